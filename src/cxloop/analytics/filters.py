"""A small, safe filter language for ``--filter``: parsed, never evaluated.

Grammar (case-insensitive keywords)::

    expr   := clause (("and") clause)*
    clause := FIELD op VALUE | FIELD ["not"] "in" "(" VALUE ("," VALUE)* ")"
    op     := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    VALUE  := 'quoted text' | "quoted text" | number | bare_word

Why so small: filters come from users and web query strings, so they are tokenised here and
turned into SQLAlchemy expressions with bound parameters by :mod:`cxloop.analytics.data`.
Nothing from the text reaches SQL as text, and unknown fields are refused by name there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxloop.errors import InputError

OPERATORS = ("<=", ">=", "!=", "<>", "=", "<", ">")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^']|'')*'|"(?:[^"]|"")*")
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.\-]*|-?\d+(?:\.\d+)?)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Condition:
    """``field op value(s)``; ``op`` is one of OPERATORS, ``in`` or ``not in``."""

    field: str
    op: str
    values: tuple[str | float, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    pos = 0
    out: list[tuple[str, str]] = []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InputError(
                f"filter: cannot read {text[pos : pos + 20]!r} at position {pos}",
                hint="write e.g. segment = 'SMB' and region in ('North','South')",
            )
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _value(kind: str, raw: str) -> str | float:
    if kind == "str":
        quote = raw[0]
        return raw[1:-1].replace(quote * 2, quote)
    if kind == "word":
        try:
            return float(raw) if re.fullmatch(r"-?\d+(?:\.\d+)?", raw) else raw
        except ValueError:  # pragma: no cover - the pattern guarantees a number
            return raw
    raise InputError(f"filter: expected a value, found {raw!r}")


def parse_filter(text: str | None) -> list[Condition]:
    """Parse ``text`` into conditions joined by AND; an empty text is no condition."""
    if not text or not text.strip():
        return []
    toks = _tokens(text)
    conds: list[Condition] = []
    i = 0

    def need(j: int, what: str) -> tuple[str, str]:
        if j >= len(toks):
            raise InputError(f"filter: expected {what} at the end of {text!r}")
        return toks[j]

    while True:
        kind, field_name = need(i, "a field name")
        if kind != "word" or re.fullmatch(r"-?\d+(?:\.\d+)?", field_name):
            raise InputError(f"filter: expected a field name, found {field_name!r}")
        i += 1
        kind, op = need(i, "an operator")
        negate = False
        if kind == "word" and op.lower() == "not":
            negate = True
            i += 1
            kind, op = need(i, "'in'")
        if kind == "word" and op.lower() == "in":
            i += 1
            if need(i, "'('") != ("punct", "("):
                raise InputError("filter: 'in' must be followed by a list in parentheses")
            i += 1
            values: list[str | float] = []
            while True:
                vk, vr = need(i, "a value")
                values.append(_value(vk, vr))
                i += 1
                sep = need(i, "',' or ')'")
                i += 1
                if sep == ("punct", ")"):
                    break
                if sep != ("punct", ","):
                    raise InputError(f"filter: expected ',' or ')' in the list, found {sep[1]!r}")
            conds.append(Condition(field_name, "not in" if negate else "in", tuple(values)))
        elif kind == "op" and not negate:
            i += 1
            vk, vr = need(i, "a value")
            i += 1
            conds.append(Condition(field_name, "!=" if op == "<>" else op, (_value(vk, vr),)))
        else:
            raise InputError(
                f"filter: expected an operator after {field_name!r}, found {op!r}",
                hint="operators: = != < <= > >= in, not in",
            )
        if i == len(toks):
            return conds
        kind, word = toks[i]
        if kind == "word" and word.lower() == "and":
            i += 1
            continue
        raise InputError(
            f"filter: expected 'and' between conditions, found {word!r}",
            hint="conditions are joined with 'and'; use 'in (...)' for alternatives",
        )
