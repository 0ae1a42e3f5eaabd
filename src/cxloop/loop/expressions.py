"""The safe ``when`` language of rules: parsed, type-checked, then evaluated column-wise.

Why not Python ``eval``: a rule comes from a YAML file a person edits, and evaluating it must
never run code. The text is parsed with ``ast.parse(mode="eval")`` (which only builds a syntax
tree) and every node is checked against an allow-list: boolean ``and``/``or``/``not``,
comparisons (``== != < <= > >= in``, ``not in``), arithmetic on numbers, literals (numbers,
strings, booleans, ``None``, lists of literals), field names and a few named functions.
Anything else (attributes other than the known ``customer.``/``extra.`` prefixes, calls to
other names, subscripts, lambdas, comprehensions, f-strings...) is rejected with a message that
names it. Field names are checked against :data:`FIELDS` at compile time, so a rule that
refers to an unknown field fails at ``rules import`` / ``rules test``, not at 3 a.m.

Semantics: a comparison involving a missing value is false (``!=`` included), like SQL;
``x == None`` and ``x != None`` test for missing values; ``'text' in text`` is a
case-insensitive substring test; ``'Delivery' in themes`` tests list membership.

Two evaluators share the checked tree: :meth:`Expression.evaluate` works on a pandas frame
(one vectorised pass for 100,000 feedback items) and :meth:`Expression.evaluate_record` on one
mapping; the property tests hold them to the same answers.
"""

from __future__ import annotations

import ast
import math
import operator
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from cxloop.errors import ValidationError

MAX_LENGTH = 2000

#: Every field a rule may use, with its type. number | string | bool | list | datetime | any.
FIELDS: dict[str, str] = {
    # feedback
    "id": "number",
    "source": "string",
    "channel": "string",
    "received_at": "datetime",
    "title": "string",
    "text": "string",
    "language": "string",
    "nps": "number",
    "csat": "number",
    "ces": "number",
    "rating": "number",
    "journey_stage": "string",
    "touchpoint": "string",
    "customer_ref": "string",
    # customer
    "segment": "string",
    "region": "string",
    "revenue": "number",
    "customer_status": "string",
    "signup_at": "datetime",
    "first_feedback": "bool",
    # enrichment
    "enriched": "bool",
    "sentiment": "string",
    "sentiment_score": "number",
    "effort": "bool",
    "urgency": "bool",
    "churn_risk": "bool",
    "signals": "list",
    "themes": "list",
    "negative_themes": "list",
    "positive_themes": "list",
}

#: Dotted spellings that mean a canonical field.
ALIASES = {
    "customer.segment": "segment",
    "customer.region": "region",
    "customer.revenue": "revenue",
    "customer.status": "customer_status",
    "customer.signup_at": "signup_at",
    "sentiment.label": "sentiment",
    "sentiment.score": "sentiment_score",
}

#: Functions of one theme name: per-theme (aspect) sentiment label and score.
FUNCTIONS = {"theme_sentiment": "string", "theme_score": "number"}
#: Frame columns the functions read (dicts keyed by theme name).
FUNCTION_COLUMNS = {"theme_sentiment": "theme_sentiments", "theme_score": "theme_scores"}

EXTRA_PREFIX = "extra."
_LISTS = (list, tuple, set, frozenset)


class ExpressionError(ValidationError):
    """A ``when`` expression that cannot be parsed, refers to an unknown field, or mixes types."""


def _fail(expr: str, message: str, node: ast.AST | None = None) -> ExpressionError:
    where = (
        f" at column {node.col_offset + 1}"
        if node is not None and hasattr(node, "col_offset")
        else ""
    )
    return ExpressionError(
        f"rule condition {expr!r}: {message}{where}",
        hint="fields: " + ", ".join(sorted(FIELDS)) + ", extra.KEY; functions: "
        "theme_sentiment('Theme'), theme_score('Theme')",
        details={"field": "when"},
    )


# --------------------------------------------------------------------------------------------
# The checked tree: small node classes that know their type and evaluate both ways.


@dataclass
class Node(ABC):
    kind: str  # number | string | bool | list | datetime | any | null

    @abstractmethod
    def vec(self, frame: pd.DataFrame) -> Any:
        """Evaluate on a whole frame (vectorised)."""

    @abstractmethod
    def row(self, record: Mapping[str, Any]) -> Any:
        """Evaluate on one record."""


@dataclass
class Const(Node):
    value: Any = None

    def vec(self, frame: pd.DataFrame) -> Any:
        return self.value

    def row(self, record: Mapping[str, Any]) -> Any:
        return self.value


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return value is pd.NaT


def _coerce_number(value: Any) -> float | None:
    """Like ``pd.to_numeric(errors="coerce")`` for one value: not a number -> missing."""
    if _missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _as_utc(value: Any) -> Any:
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass
class Field(Node):
    column: str = ""
    key: str | None = None  # for extra.KEY

    def vec(self, frame: pd.DataFrame) -> Any:
        if self.key is not None:
            key = self.key
            values = frame["extra"].tolist()
            return pd.Series(
                [d.get(key) if isinstance(d, dict) else None for d in values],
                index=frame.index,
                dtype=object,
            )
        series = frame[self.column]
        if self.kind == "list":
            return pd.Series(
                [v if isinstance(v, _LISTS) else () for v in series.tolist()],
                index=frame.index,
                dtype=object,
            )
        if self.kind == "bool":
            return series.astype(object).where(series.notna(), False).astype(bool)
        if self.kind == "number":
            return pd.to_numeric(series, errors="coerce").astype(float)
        if self.kind == "datetime":
            return pd.to_datetime(series, utc=True, errors="coerce")
        return series

    def row(self, record: Mapping[str, Any]) -> Any:
        if self.key is not None:
            extra = record.get("extra")
            return extra.get(self.key) if isinstance(extra, dict) else None
        value = record.get(self.column)
        if self.kind == "list":
            return value if isinstance(value, list | tuple | set | frozenset) else ()
        if self.kind == "bool":
            return bool(value) if not _missing(value) else False
        if self.kind == "number":
            return _coerce_number(value)
        if self.kind == "datetime":
            return _as_utc(value)
        return None if _missing(value) else value


@dataclass
class ThemeCall(Node):
    column: str = ""
    theme: str = ""

    def vec(self, frame: pd.DataFrame) -> Any:
        theme = self.theme
        series = pd.Series(
            [d.get(theme) if isinstance(d, dict) else None for d in frame[self.column].tolist()],
            index=frame.index,
            dtype=object,
        )
        if self.kind == "number":
            return pd.to_numeric(series, errors="coerce").astype(float)
        return series

    def row(self, record: Mapping[str, Any]) -> Any:
        d = record.get(self.column)
        value = d.get(self.theme) if isinstance(d, dict) else None
        if self.kind == "number":
            return _coerce_number(value)
        return None if _missing(value) else value


_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


@dataclass
class Arith(Node):
    op: type[ast.operator] = ast.Add
    left: Node = field(default_factory=lambda: Const("null"))
    right: Node = field(default_factory=lambda: Const("null"))

    def vec(self, frame: pd.DataFrame) -> Any:
        a, b = self.left.vec(frame), self.right.vec(frame)
        if self.op is ast.Div:
            sa = a if isinstance(a, pd.Series) else pd.Series(a, index=frame.index, dtype=float)
            sb = b if isinstance(b, pd.Series) else pd.Series(b, index=frame.index, dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                out = sa / sb
            return out.replace([np.inf, -np.inf], np.nan)
        return _ARITH[self.op](a, b)

    def row(self, record: Mapping[str, Any]) -> Any:
        a, b = self.left.row(record), self.right.row(record)
        if _missing(a) or _missing(b):
            return None
        if self.op is ast.Div and b == 0:
            return None
        return _ARITH[self.op](a, b)


@dataclass
class Neg(Node):
    operand: Node = field(default_factory=lambda: Const("null"))

    def vec(self, frame: pd.DataFrame) -> Any:
        return -self.operand.vec(frame)

    def row(self, record: Mapping[str, Any]) -> Any:
        v = self.operand.row(record)
        return None if _missing(v) else -v


_CMP: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def _full(frame: pd.DataFrame, value: bool) -> pd.Series:
    return pd.Series(np.full(len(frame), value, dtype=bool), index=frame.index)


def _present(value: Any, frame: pd.DataFrame) -> Any:
    if isinstance(value, pd.Series):
        return value.notna()
    return _full(frame, not _missing(value))


@dataclass
class Compare(Node):
    op: type[ast.cmpop] = ast.Eq
    left: Node = field(default_factory=lambda: Const("null"))
    right: Node = field(default_factory=lambda: Const("null"))

    def vec(self, frame: pd.DataFrame) -> pd.Series:
        a, b = self.left.vec(frame), self.right.vec(frame)
        if isinstance(self.right, Const) and self.right.value is None:
            present = _present(a, frame)
            return present if self.op is ast.NotEq else ~present
        fn = _CMP[self.op]
        if self.left.kind == "any" or self.right.kind == "any":
            return self._vec_any(frame, a, b, fn)
        ok = _present(a, frame) & _present(b, frame)
        out = fn(a, b)
        if not isinstance(out, pd.Series):
            out = _full(frame, bool(out))
        return (out.fillna(False).astype(bool)) & ok

    def _vec_any(self, frame: pd.DataFrame, a: Any, b: Any, fn: Callable[[Any, Any], Any]) -> Any:
        sa = a if isinstance(a, pd.Series) else pd.Series([a] * len(frame), index=frame.index)
        sb = b if isinstance(b, pd.Series) else pd.Series([b] * len(frame), index=frame.index)
        values = [_compare_loose(fn, x, y) for x, y in zip(sa, sb, strict=True)]
        return pd.Series(np.array(values, dtype=bool), index=frame.index)

    def row(self, record: Mapping[str, Any]) -> bool:
        a, b = self.left.row(record), self.right.row(record)
        if isinstance(self.right, Const) and self.right.value is None:
            return (not _missing(a)) if self.op is ast.NotEq else _missing(a)
        return _compare_loose(_CMP[self.op], a, b)


def _compare_loose(fn: Callable[[Any, Any], Any], a: Any, b: Any) -> bool:
    """Compare two scalars; missing or incomparable values give False (never an exception)."""
    if _missing(a) or _missing(b):
        return False
    a, b = _as_utc(a), _as_utc(b)
    if isinstance(a, bool | int | float) and isinstance(b, str):
        b = _to_number(b)
    elif isinstance(b, bool | int | float) and isinstance(a, str):
        a = _to_number(a)
    if _missing(a) or _missing(b):
        return False
    try:
        return bool(fn(a, b))
    except TypeError:
        return False


def _to_number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


@dataclass
class Membership(Node):
    """``needle in haystack``: list membership, value-in-constant-list, or substring."""

    mode: str = "list"  # list | isin | substring
    needle: Node = field(default_factory=lambda: Const("null"))
    haystack: Node = field(default_factory=lambda: Const("null"))
    negate: bool = False

    def vec(self, frame: pd.DataFrame) -> pd.Series:
        if self.mode == "list":
            item = self.needle.vec(frame)
            hay = self.haystack.vec(frame)
            out = pd.Series(
                np.fromiter((item in v for v in hay.tolist()), dtype=bool, count=len(hay)),
                index=frame.index,
            )
            return ~out if self.negate else out
        if self.mode == "isin":
            series = self.needle.vec(frame)
            options = list(self.haystack.vec(frame))
            if isinstance(series, pd.Series):
                present = series.notna()
                out = (
                    series.isin(options)
                    if self.needle.kind != "any"
                    else series.map(
                        lambda v: any(_compare_loose(operator.eq, v, o) for o in options)
                    ).astype(bool)
                )
            else:
                present = _full(frame, not _missing(series))
                out = _full(frame, series in options)
            return (~out if self.negate else out) & present
        needle = str(self.needle.vec(frame)).lower()
        text = self.haystack.vec(frame)
        present = text.notna()
        out = text.fillna("").astype(str).str.lower().str.contains(needle, regex=False)
        out = out.astype(bool)
        return (~out if self.negate else out) & present

    def row(self, record: Mapping[str, Any]) -> bool:
        if self.mode == "list":
            result = self.needle.row(record) in self.haystack.row(record)
            return not result if self.negate else result
        if self.mode == "isin":
            value = self.needle.row(record)
            if _missing(value):
                return False
            options = self.haystack.row(record)
            found = any(_compare_loose(operator.eq, value, o) for o in options)
            return not found if self.negate else found
        text = self.haystack.row(record)
        if _missing(text):
            return False
        found = str(self.needle.row(record)).lower() in str(text).lower()
        return not found if self.negate else found


@dataclass
class BoolOp(Node):
    is_and: bool = True
    values: list[Node] = field(default_factory=list)

    def vec(self, frame: pd.DataFrame) -> pd.Series:
        out = self.values[0].vec(frame)
        for node in self.values[1:]:
            out = (out & node.vec(frame)) if self.is_and else (out | node.vec(frame))
        return out

    def row(self, record: Mapping[str, Any]) -> bool:
        if self.is_and:
            return all(v.row(record) for v in self.values)
        return any(v.row(record) for v in self.values)


@dataclass
class Not(Node):
    operand: Node = field(default_factory=lambda: Const("null"))

    def vec(self, frame: pd.DataFrame) -> pd.Series:
        return ~self.operand.vec(frame)

    def row(self, record: Mapping[str, Any]) -> bool:
        return not self.operand.row(record)


# --------------------------------------------------------------------------------------------
# The checker: AST -> checked tree, with types.


class _Checker:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.columns: set[str] = set()
        self.themes: set[str] = set()

    def fail(self, message: str, node: ast.AST | None = None) -> ExpressionError:
        return _fail(self.expr, message, node)

    def condition(self, node: ast.AST) -> Node:
        checked = self.value(node)
        if checked.kind != "bool":
            raise self.fail(
                f"{ast.unparse(node)!r} is a {checked.kind}, not a condition; compare it "
                "(for example nps <= 6)",
                node,
            )
        if isinstance(checked, Const):
            raise self.fail("a condition must use at least one field", node)
        return checked

    def value(self, node: ast.AST) -> Node:
        if isinstance(node, ast.BoolOp):
            values = [self.condition(v) for v in node.values]
            return BoolOp("bool", isinstance(node.op, ast.And), values)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return Not("bool", self.condition(node.operand))
            if isinstance(node.op, ast.USub | ast.UAdd):
                operand = self.value(node.operand)
                if operand.kind != "number":
                    raise self.fail("a sign applies only to numbers", node)
                if isinstance(operand, Const):
                    value = -operand.value if isinstance(node.op, ast.USub) else operand.value
                    return Const("number", value)
                return Neg("number", operand) if isinstance(node.op, ast.USub) else operand
            raise self.fail(f"operator {type(node.op).__name__} is not allowed", node)
        if isinstance(node, ast.Compare):
            parts: list[Node] = []
            left = node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                parts.append(self.compare(op, left, right, node))
                left = right
            return parts[0] if len(parts) == 1 else BoolOp("bool", True, parts)
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _ARITH:
                raise self.fail(f"operator {type(node.op).__name__} is not allowed", node)
            a, b = self.value(node.left), self.value(node.right)
            if a.kind != "number" or b.kind != "number":
                raise self.fail("arithmetic works on numbers only", node)
            return Arith("number", type(node.op), a, b)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.List | ast.Tuple):
            items = []
            for elt in node.elts:
                item = self.value(elt)
                if not isinstance(item, Const) or item.kind not in ("number", "string", "bool"):
                    raise self.fail("a list may hold only numbers, strings and booleans", elt)
                items.append(item.value)
            return Const("constlist", tuple(items))
        if isinstance(node, ast.Name | ast.Attribute):
            return self.field(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(f"{type(node).__name__} ({ast.unparse(node)!r}) is not allowed", node)

    def constant(self, node: ast.Constant) -> Const:
        value = node.value
        if value is None:
            return Const("null", None)
        if isinstance(value, bool):
            return Const("bool", value)
        if isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                raise self.fail("numbers must be finite", node)
            return Const("number", float(value))
        if isinstance(value, str):
            return Const("string", value)
        raise self.fail(f"literal {value!r} is not allowed", node)

    def dotted(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return f"{self.dotted(node.value)}.{node.attr}"
        raise self.fail(f"{ast.unparse(node)!r} is not a field name", node)

    def field(self, node: ast.AST) -> Node:
        name = self.dotted(node)
        if name.startswith(EXTRA_PREFIX) and name.count(".") == 1 and len(name) > len(EXTRA_PREFIX):
            self.columns.add("extra")
            return Field("any", "extra", name[len(EXTRA_PREFIX) :])
        if name in ("true", "false", "True", "False"):
            return Const("bool", name.lower() == "true")
        canonical = ALIASES.get(name, name)
        if canonical not in FIELDS:
            raise self.fail(f"unknown field {name!r}", node)
        self.columns.add(canonical)
        return Field(FIELDS[canonical], canonical)

    def call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self.fail(f"function {ast.unparse(node.func)!r} is not allowed", node)
        name = node.func.id
        if node.keywords or len(node.args) != 1:
            raise self.fail(f"{name}() takes exactly one theme name", node)
        arg = node.args[0]
        if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
            raise self.fail(f"{name}() takes a theme name in quotes", node)
        self.columns.add(FUNCTION_COLUMNS[name])
        self.themes.add(arg.value)
        return ThemeCall(FUNCTIONS[name], FUNCTION_COLUMNS[name], arg.value)

    def compare(self, op: ast.cmpop, left_ast: ast.AST, right_ast: ast.AST, node: ast.AST) -> Node:
        left, right = self.value(left_ast), self.value(right_ast)
        if isinstance(op, ast.In | ast.NotIn):
            negate = isinstance(op, ast.NotIn)
            if right.kind == "list":
                if left.kind != "string" or not isinstance(left, Const):
                    raise self.fail(
                        "only a quoted name can be looked up in a list field "
                        "(for example 'Delivery' in themes)",
                        node,
                    )
                return Membership("bool", "list", left, right, negate)
            if right.kind == "constlist":
                if isinstance(left, Const) or left.kind not in ("number", "string", "any"):
                    raise self.fail("'in [...]' needs a number or text field on its left", node)
                wanted = {"number": (int, float), "string": (str,)}.get(left.kind)
                if wanted and any(
                    isinstance(v, bool) or not isinstance(v, wanted) for v in right.row({})
                ):
                    raise self.fail(f"every value in the list must be a {left.kind}", node)
                return Membership("bool", "isin", left, right, negate)
            if right.kind in ("string", "any") and not isinstance(right, Const):
                if not (isinstance(left, Const) and left.kind == "string"):
                    raise self.fail("a text search looks like 'refund' in text", node)
                return Membership("bool", "substring", left, right, negate)
            raise self.fail(
                f"'in' needs a list or a text field on its right, not a {right.kind}", node
            )
        if left.kind == "null" or (isinstance(left, Const) and isinstance(right, Const)):
            raise self.fail("a comparison needs a field (put it on the left of None)", node)
        if right.kind == "null":
            if not isinstance(op, ast.Eq | ast.NotEq):
                raise self.fail("only == None and != None test for a missing value", node)
            return Compare("bool", type(op), left, right)
        if "list" in (left.kind, right.kind) or "constlist" in (left.kind, right.kind):
            raise self.fail("a list is compared with 'in', not with an operator", node)
        ordered = isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE)
        kinds = {left.kind, right.kind}
        if "any" in kinds:
            return Compare("bool", type(op), left, right)
        if "datetime" in kinds:
            left, right = self.datetime_side(left, node), self.datetime_side(right, node)
            return Compare("bool", type(op), left, right)
        if left.kind != right.kind:
            raise self.fail(f"cannot compare a {left.kind} with a {right.kind}", node)
        if ordered and left.kind not in ("number",):
            raise self.fail(f"'<' and '>' compare numbers and dates, not {left.kind}s", node)
        return Compare("bool", type(op), left, right)

    def datetime_side(self, side: Node, node: ast.AST) -> Node:
        if side.kind == "datetime":
            return side
        if isinstance(side, Const) and side.kind == "string":
            try:
                stamp = pd.Timestamp(side.value)
            except (ValueError, TypeError) as exc:
                raise self.fail(f"{side.value!r} is not a date (use '2026-01-31')", node) from exc
            stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
            return Const("datetime", stamp)
        raise self.fail(
            f"a date is compared with a date like '2026-01-31', not a {side.kind}", node
        )


@dataclass(frozen=True)
class Expression:
    """A checked ``when`` expression: evaluate it on a frame or on one record."""

    text: str
    root: Node
    columns: frozenset[str]
    themes: frozenset[str]

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """A boolean array with one entry per row of ``frame`` (which has :attr:`columns`)."""
        if len(frame) == 0:
            return np.zeros(0, dtype=bool)
        missing = self.columns - set(frame.columns)
        if missing:
            raise _fail(self.text, f"the data has no column(s) {sorted(missing)}")
        out = self.root.vec(frame)
        return np.asarray(out, dtype=bool)

    def evaluate_record(self, record: Mapping[str, Any]) -> bool:
        """The same answer as :meth:`evaluate` for one feedback item given as a mapping."""
        return bool(self.root.row(record))


def compile_expression(text: str) -> Expression:
    """Parse and type-check ``text``; raises :class:`ExpressionError` with a clear message."""
    if not isinstance(text, str) or not text.strip():
        raise _fail(str(text), "the condition is empty")
    if len(text) > MAX_LENGTH:
        raise _fail(text[:40] + "...", f"the condition is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _fail(text, f"syntax error ({exc.msg}) at column {exc.offset or 0}") from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise _fail(text, "the condition cannot be parsed") from exc
    checker = _Checker(text)
    try:
        root = checker.condition(tree.body)
    except RecursionError as exc:
        raise _fail(text, "the condition is nested too deeply") from exc
    return Expression(text, root, frozenset(checker.columns), frozenset(checker.themes))
