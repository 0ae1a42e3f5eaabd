"""Data access for the analyses: aggregation pushed into the database, bound parameters only.

Most analyses need *sufficient statistics*, not rows: per day and group, the number of NPS
answers, promoters and detractors, CSAT answers in the top two boxes, sums and sums of
squares of CES, rating and sentiment. Those are computed by one ``GROUP BY`` in SQLite or
PostgreSQL (SQLAlchemy Core, portable), so a million feedback rows come back as a few thousand
aggregate rows; periods (week/month/quarter) are then bucketed in pandas. Analyses that need
per-row data (drivers, churn) load only the few integer columns they use.

Fields a user can name (``--by``, ``--filter``) are resolved here: feedback columns, the
enrichment's stage/touchpoint/sentiment, customer columns, ``theme``, and any customer
attribute (JSON key). Unknown names cannot become SQL: they are looked up as JSON keys with a
bound parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import (
    Engine,
    Float,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Select

from cxloop.analytics.filters import Condition, parse_filter
from cxloop.errors import InputError
from cxloop.storage.models.analytics import STAT_NAMES
from cxloop.storage.models.core import BusinessMetric, Customer, Feedback
from cxloop.storage.models.text import Enrichment, FeedbackTheme, Theme

F = Feedback.__table__
E = Enrichment.__table__
C = Customer.__table__
FT = FeedbackTheme.__table__
T = Theme.__table__

#: Feedback-level fields (``--by`` / ``--filter``) and the expression behind each.
FEEDBACK_FIELDS: dict[str, ColumnElement[Any]] = {
    "channel": F.c.channel,
    "language": func.coalesce(E.c.language, F.c.language),
    "journey_stage": func.coalesce(E.c.journey_stage, F.c.journey_stage),
    "stage": func.coalesce(E.c.journey_stage, F.c.journey_stage),
    "touchpoint": func.coalesce(E.c.touchpoint, F.c.touchpoint),
    "sentiment": E.c.sentiment_label,
    "nps": F.c.nps,
    "csat": F.c.csat,
    "ces": F.c.ces,
    "rating": F.c.rating,
    "sentiment_score": E.c.sentiment_score,
}
CUSTOMER_COLUMNS: dict[str, ColumnElement[Any]] = {
    "segment": C.c.segment,
    "region": C.c.region,
    "status": C.c.status,
    "revenue": C.c.revenue,
}
MIN_VERBATIM_CONFIDENCE = 0.6
NUMERIC_FIELDS = {"nps", "csat", "ces", "rating", "sentiment_score", "revenue"}

#: The sufficient statistics computed per group (see module docstring); the roll-up tables
#: store the same ones, so both take the names from the table definitions.
STAT_COLUMNS = STAT_NAMES


@dataclass(frozen=True)
class Scope:
    """Which feedback an analysis looks at: a date range and filter conditions."""

    since: date | None = None
    until: date | None = None
    conditions: tuple[Condition, ...] = field(default_factory=tuple)

    @classmethod
    def of(
        cls,
        since: date | str | None = None,
        until: date | str | None = None,
        filter: str | None = None,
        segment: str | None = None,
    ) -> Scope:
        """Build from user input; dates may be ISO strings, ``segment`` is a shorthand filter."""
        conds = list(parse_filter(filter))
        if segment:
            conds.append(Condition("segment", "=", (segment,)))
        s, u = _as_date(since, "since"), _as_date(until, "until")
        if s and u and s > u:
            raise InputError(f"--since {s} is after --until {u}", hint="swap the two dates")
        return cls(s, u, tuple(conds))

    def params(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "filter": [f"{c.field} {c.op} {list(c.values)}" for c in self.conditions] or None,
        }

    @property
    def uses_customers(self) -> bool:
        return any(_needs_customer(c.field) for c in self.conditions)


def _as_date(value: date | str | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise InputError(f"--{name} {value!r} is not a date", hint="use YYYY-MM-DD") from exc


def _needs_customer(name: str) -> bool:
    return name not in FEEDBACK_FIELDS and name != "theme"


def field_expr(name: str, *, numeric: bool = False) -> ColumnElement[Any]:
    """The SQL expression for a user-named field (customer attributes via a JSON key)."""
    if name in FEEDBACK_FIELDS:
        return FEEDBACK_FIELDS[name]
    if name in CUSTOMER_COLUMNS:
        return CUSTOMER_COLUMNS[name]
    if name == "theme":
        raise InputError("'theme' cannot be used here")
    if not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise InputError(f"field {name!r} is not a valid field name")
    attr = C.c.attributes[name]
    return attr.as_float() if numeric else attr.as_string()


def _condition_expr(cond: Condition) -> ColumnElement[bool]:
    if cond.field == "theme":
        names = [str(v) for v in cond.values]
        sub = exists().where(FT.c.feedback_id == F.c.id, FT.c.theme_id == T.c.id)
        if cond.op in ("=", "in"):
            return sub.where(T.c.name.in_(names))
        if cond.op in ("!=", "not in"):
            return not_(sub.where(T.c.name.in_(names)))
        raise InputError("filter: themes can only be compared with =, !=, in, not in")
    numeric_values = all(isinstance(v, float) for v in cond.values)
    numeric = cond.field in NUMERIC_FIELDS or (numeric_values and cond.op in ("<", "<=", ">", ">="))
    col = field_expr(cond.field, numeric=numeric)
    values: list[Any] = (
        [float(v) for v in cond.values] if numeric else [_as_text(v) for v in cond.values]
    )
    if numeric and not numeric_values:
        raise InputError(f"filter: {cond.field} is numeric; compare it with a number")
    v = values[0]
    match cond.op:
        case "=":
            return col == v
        case "!=":
            return col != v
        case "<":
            return col < v
        case "<=":
            return col <= v
        case ">":
            return col > v
        case ">=":
            return col >= v
        case "in":
            return col.in_(values)
        case "not in":
            return col.not_in(values)
    raise InputError(f"filter: unknown operator {cond.op!r}")  # pragma: no cover


def _as_text(v: str | float) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def scope_where(scope: Scope) -> list[ColumnElement[bool]]:
    """WHERE clauses (date range on ``received_at`` plus the filter), all bound parameters."""
    where: list[ColumnElement[bool]] = []
    if scope.since:
        where.append(F.c.received_at >= datetime.combine(scope.since, time(), UTC))
    if scope.until:
        end = datetime.combine(scope.until + timedelta(days=1), time(), UTC)
        where.append(F.c.received_at < end)
    where.extend(_condition_expr(c) for c in scope.conditions)
    return where


def feedback_from(scope: Scope, *, customers: bool = False) -> Any:
    """``feedback LEFT JOIN enrichments [LEFT JOIN customers]`` for the scope."""
    src = F.outerjoin(E, E.c.feedback_id == F.c.id)
    if customers or scope.uses_customers:
        src = src.outerjoin(C, C.c.id == F.c.customer_id)
    return src


class utc_day(FunctionElement[str]):
    """``YYYY-MM-DD`` of a timestamp in UTC, as text on both databases.

    SQLite stores UTC text, so ``date()`` is the UTC day; on PostgreSQL ``date()`` would use
    the session's time zone, which need not be UTC, while ``--since``/``--until`` and the
    roll-ups (:mod:`cxloop.analytics.rollups`) count days in UTC.
    """

    type = String()
    inherit_cache = True


@compiles(utc_day)
def _utc_day_default(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgres(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def day_expr() -> ColumnElement[Any]:
    """The UTC calendar day of ``received_at`` as ``YYYY-MM-DD`` text."""
    return utc_day(F.c.received_at)


def stat_exprs() -> list[ColumnElement[Any]]:
    """The sufficient-statistic aggregates named in :data:`STAT_COLUMNS`."""
    s = E.c.sentiment_score
    ces = cast(F.c.ces, Float)
    rating = cast(F.c.rating, Float)
    return [
        func.count().label("n"),
        func.count(F.c.nps).label("nps_n"),
        func.sum(case((F.c.nps >= 9, 1), else_=0)).label("nps_pro"),
        func.sum(case((F.c.nps <= 6, 1), else_=0)).label("nps_det"),
        func.count(F.c.csat).label("csat_n"),
        func.sum(case((F.c.csat >= 4, 1), else_=0)).label("csat_top"),
        func.count(F.c.ces).label("ces_n"),
        func.sum(ces).label("ces_sum"),
        func.sum(ces * ces).label("ces_sq"),
        func.count(F.c.rating).label("rating_n"),
        func.sum(rating).label("rating_sum"),
        func.sum(rating * rating).label("rating_sq"),
        func.count(s).label("sent_n"),
        func.sum(s).label("sent_sum"),
        func.sum(s * s).label("sent_sq"),
    ]


def _frame(engine: Engine, stmt: Select[Any]) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def parse_days(days: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` texts as timestamps; feedback without a date (NULL day) becomes NaT,
    so it counts in totals but in no period, instead of failing the analysis."""
    return pd.to_datetime(days.astype("string"), format="%Y-%m-%d", errors="coerce")


def _rows_frame(engine: Engine, stmt: Select[Any]) -> pd.DataFrame:
    """Like :func:`_frame` for large results of plain numbers and text (drivers' rows):
    the driver's tuples go straight into the frame, skipping SQLAlchemy's per-row objects
    (a third of the time for 300,000 rows). Not for columns that need type conversion."""
    with engine.connect() as conn:
        result = conn.execute(stmt)
        columns = list(result.keys())
        rows = result.cursor.fetchall() if result.cursor is not None else []
    return pd.DataFrame.from_records(rows, columns=columns)


def _finish_stats(df: pd.DataFrame) -> pd.DataFrame:
    for col in STAT_COLUMNS:
        if col in df:
            df[col] = pd.to_numeric(df[col], errors="coerce").fillna(0.0).astype(float)
    if "day" in df:
        df["day"] = parse_days(df["day"])
    return df


def daily_stats(engine: Engine, scope: Scope, by: str | None = None) -> pd.DataFrame:
    """Sufficient statistics per day and (optionally) group; group ``None`` is ``"(none)"``.

    ``by="theme"`` counts each feedback once per theme it mentions (mentioners only).
    """
    day = day_expr().label("day")
    where = scope_where(scope)
    if by == "theme":
        src = (
            feedback_from(scope)
            .join(FT, FT.c.feedback_id == F.c.id)
            .join(T, T.c.id == FT.c.theme_id)
        )
        group: ColumnElement[Any] = T.c.name
    elif by:
        group = field_expr(by)
        src = feedback_from(scope, customers=_needs_customer(by))
    else:
        group = literal("all")
        src = feedback_from(scope)
    g = func.coalesce(cast(group, _text_type()), "(none)").label("group")
    stmt = select(day, g, *stat_exprs()).select_from(src)
    if where:
        stmt = stmt.where(and_(*where))
    stmt = stmt.group_by(day, g)
    return _finish_stats(_frame(engine, stmt))


def _text_type() -> Any:
    from sqlalchemy import String

    return String()


def theme_mentions_stats(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Per theme and day: mentioners' statistics plus aspect sentiment counts and sum.

    Everything is additive, so per-theme totals and monthly trends come from this one pass.
    """
    day = day_expr().label("day")
    where = scope_where(scope)
    src = feedback_from(scope).join(FT, FT.c.feedback_id == F.c.id)
    stmt = select(
        FT.c.theme_id.label("theme_id"),
        day,
        *stat_exprs(),
        func.sum(case((FT.c.sentiment_label == "negative", 1), else_=0)).label("negative"),
        func.sum(case((FT.c.sentiment_label == "positive", 1), else_=0)).label("positive"),
        func.sum(FT.c.sentiment_score).label("aspect_sum"),
    ).select_from(src)
    if where:
        stmt = stmt.where(and_(*where))
    stmt = stmt.group_by(FT.c.theme_id, day)
    df = _frame(engine, stmt)
    for col in ("negative", "positive", "aspect_sum"):
        df[col] = pd.to_numeric(df[col]).fillna(0).astype(float)
    return _finish_stats(df)


def themes_table(engine: Engine) -> pd.DataFrame:
    """All themes with their id, name, parent id (None at the top), the effort a person set
    (default medium) and whether they are active."""
    stmt = select(
        T.c.id.label("theme_id"), T.c.name.label("theme"), T.c.parent_id, T.c.effort, T.c.active
    )
    return _frame(engine, stmt)


def theme_daily_counts(engine: Engine, scope: Scope, by: str | None) -> pd.DataFrame:
    """Mentions per theme, day and group (``by`` a field or None) for spike detection."""
    day = day_expr().label("day")
    where = scope_where(scope)
    src = feedback_from(scope, customers=bool(by) and _needs_customer(by or "")).join(
        FT, FT.c.feedback_id == F.c.id
    )
    group = (
        func.coalesce(cast(field_expr(by), _text_type()), "(none)") if by else literal("all")
    ).label("group")
    stmt = select(day, FT.c.theme_id.label("theme_id"), group, func.count().label("count"))
    stmt = stmt.select_from(src)
    if where:
        stmt = stmt.where(and_(*where))
    stmt = stmt.group_by(day, FT.c.theme_id, group)
    df = _frame(engine, stmt)
    df["day"] = parse_days(df["day"])
    df["count"] = pd.to_numeric(df["count"]).astype(float)
    return df


def feedback_rows(
    engine: Engine,
    scope: Scope,
    columns: dict[str, ColumnElement[Any]],
    require: ColumnElement[bool] | None = None,
) -> pd.DataFrame:
    """Per-feedback rows with ``columns`` (for drivers); only the needed columns travel."""
    needs_c = scope.uses_customers or any(
        any(getattr(t, "name", "") == "customers" for t in _tables_of(col))
        for col in columns.values()
    )
    stmt = select(F.c.id.label("feedback_id"), *(c.label(k) for k, c in columns.items()))
    stmt = stmt.select_from(feedback_from(scope, customers=needs_c))
    return _scoped_rows(engine, stmt, scope, require)


def _scoped_rows(
    engine: Engine, stmt: Any, scope: Scope, require: ColumnElement[bool] | None
) -> pd.DataFrame:
    """Rows of ``stmt`` limited to the scope (and ``require``, when given)."""
    where = scope_where(scope)
    if require is not None:
        where.append(require)
    if where:
        stmt = stmt.where(and_(*where))
    return _rows_frame(engine, stmt)


def _tables_of(col: ColumnElement[Any]) -> list[Any]:
    from sqlalchemy.sql import visitors

    return [
        el.table
        for el in visitors.iterate(col)
        if hasattr(el, "table") and getattr(el, "table", None) is not None
    ]


def feedback_theme_pairs(
    engine: Engine, scope: Scope, require: ColumnElement[bool] | None = None
) -> pd.DataFrame:
    """``(feedback_id, theme_id, sentiment_label)`` for feedback in scope."""
    stmt = select(FT.c.feedback_id, FT.c.theme_id, FT.c.sentiment_label).select_from(
        feedback_from(scope).join(FT, FT.c.feedback_id == F.c.id)
    )
    return _scoped_rows(engine, stmt, scope, require)


def customers_frame(engine: Engine, scope: Scope, *, attributes: bool = True) -> pd.DataFrame:
    """Customers (one row each) with their columns and attributes; customer filters apply.

    ``attributes=False`` skips the JSON bag (and the reason text), which is most of the cost
    of reading 100,000 customers when only revenue and status are needed.
    """
    cols: list[Any] = [
        C.c.id.label("customer_id"),
        C.c.segment,
        C.c.region,
        C.c.revenue,
        C.c.status,
        raw_value(C.c.signup_at),
        raw_value(C.c.churned_at),
    ]
    if attributes:
        cols += [C.c.churn_reason, raw_value(C.c.attributes)]
    stmt = select(*cols)
    conds = [c for c in scope.conditions if _needs_customer(c.field)]
    if conds:
        stmt = stmt.where(and_(*(_condition_expr(c) for c in conds)))
    df = _rows_frame(engine, stmt)
    if attributes:
        df["attributes"] = [
            json.loads(a) if isinstance(a, str) else a for a in df["attributes"].tolist()
        ]
    return df


def raw_value(column: Any) -> Any:
    """``column`` as the driver returns it, skipping SQLAlchemy's per-row conversion.

    Timestamps then arrive as UTC text on SQLite (datetimes on PostgreSQL) and JSON as text
    on SQLite: callers convert whole columns at once (``pd.to_datetime``, ``json.loads``),
    which for 100,000 customers takes milliseconds instead of about a second.
    """
    return type_coerce(column, String()).label(column.name)


def customer_theme_first(engine: Engine, scope: Scope, *, negative_only: bool) -> pd.DataFrame:
    """Per customer and theme: the first time they mentioned it (negatively) and how often."""
    cond: list[ColumnElement[bool]] = [F.c.customer_id.is_not(None)]
    if negative_only:
        cond.append(FT.c.sentiment_label == "negative")
    where = scope_where(scope) + cond
    stmt = (
        select(
            F.c.customer_id,
            FT.c.theme_id,
            func.min(F.c.received_at).label("first_at"),
            func.count().label("mentions"),
        )
        .select_from(feedback_from(scope).join(FT, FT.c.feedback_id == F.c.id))
        .where(and_(*where))
        .group_by(F.c.customer_id, FT.c.theme_id)
    )
    return _frame(engine, stmt)


def customer_nps(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Per customer: NPS answers, detractor answers and the first detractor time."""
    where = [*scope_where(scope), F.c.customer_id.is_not(None), F.c.nps.is_not(None)]
    stmt = (
        select(
            F.c.customer_id,
            func.count().label("nps_n"),
            func.avg(cast(F.c.nps, Float)).label("nps_mean"),
            func.min(case((F.c.nps <= 6, F.c.received_at), else_=None)).label("first_detractor"),
        )
        .select_from(feedback_from(scope))
        .where(and_(*where))
        .group_by(F.c.customer_id)
    )
    return _frame(engine, stmt)


def business_series(engine: Engine, name: str) -> pd.DataFrame:
    """A business metric's total per period (dimensions summed), oldest first."""
    bm = BusinessMetric.__table__
    stmt = (
        select(
            bm.c.period_start,
            bm.c.grain,
            func.sum(bm.c.value).label("value"),
        )
        .where(bm.c.name == name)
        .group_by(bm.c.period_start, bm.c.grain)
        .order_by(bm.c.period_start)
    )
    return _frame(engine, stmt)


def business_names(engine: Engine) -> list[str]:
    bm = BusinessMetric.__table__
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(bm.c.name).distinct().order_by(bm.c.name))]


def verbatims(
    engine: Engine,
    scope: Scope,
    *,
    theme_id: int | None = None,
    stage: str | None = None,
    sentiment: str | None = None,
    limit: int = 2,
) -> list[dict[str, Any]]:
    """Representative verbatims: the first confidently themed items (confidence >= 0.6).

    No ORDER BY on purpose: with LIMIT the database stops at the first matches instead of
    sorting every mention of a theme (a full sort per stage cost seconds on a million rows).
    Only redacted text leaves this function: personal data is never shown.
    """
    where = [*scope_where(scope), E.c.redacted_text.is_not(None)]
    src = feedback_from(scope)
    if theme_id is not None:
        src = src.join(FT, FT.c.feedback_id == F.c.id)
        where.append(FT.c.theme_id == theme_id)
        if sentiment:
            where.append(FT.c.sentiment_label == sentiment)
        where.append(FT.c.confidence >= MIN_VERBATIM_CONFIDENCE)
    elif sentiment:
        where.append(E.c.sentiment_label == sentiment)
    if stage is not None:
        where.append(FEEDBACK_FIELDS["journey_stage"] == stage)
    stmt = (
        select(F.c.id, E.c.redacted_text)
        .select_from(src)
        .where(and_(*where) if where else false())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [{"id": r[0], "text": (r[1] or "")[:280]} for r in conn.execute(stmt)]


def stage_theme_counts(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Mentions per journey stage, theme and aspect sentiment (pain points and delights)."""
    stage = func.coalesce(FEEDBACK_FIELDS["journey_stage"], "(unmapped)").label("stage")
    where = scope_where(scope)
    stmt = (
        select(stage, FT.c.theme_id, FT.c.sentiment_label, func.count().label("count"))
        .select_from(feedback_from(scope).join(FT, FT.c.feedback_id == F.c.id))
        .group_by(stage, FT.c.theme_id, FT.c.sentiment_label)
    )
    if where:
        stmt = stmt.where(and_(*where))
    df = _frame(engine, stmt)
    df["count"] = pd.to_numeric(df["count"]).astype(float)
    return df


def stage_touchpoint_stats(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Sufficient statistics per journey stage and touchpoint."""
    stage = func.coalesce(FEEDBACK_FIELDS["journey_stage"], "(unmapped)").label("stage")
    tp = func.coalesce(FEEDBACK_FIELDS["touchpoint"], "(any)").label("touchpoint")
    stmt = select(stage, tp, *stat_exprs()).select_from(feedback_from(scope))
    where = scope_where(scope)
    if where:
        stmt = stmt.where(and_(*where))
    stmt = stmt.group_by(stage, tp)
    return _finish_stats(_frame(engine, stmt))
