"""Serve the analyses' aggregate queries from the roll-ups, or fall back to the exact ones.

:class:`RollupSource` has the same functions, with the same arguments and the same frames,
as the exact queries of :mod:`cxloop.analytics.data`. Each function first asks whether the
roll-ups can answer exactly:

* dates (``--since``/``--until``) always can: the roll-ups are per UTC day;
* ``--by`` and ``--filter`` can when every field they name is a key of one roll-up:
  channel, journey_stage (stage), touchpoint; or segment, region, status; theme figures are
  keyed by journey stage, or by the customer's segment and region, and theme mentions by
  channel. Filters with ``=``, ``!=``, ``in``, ``not in`` are applied to the roll-up's key in
  SQL, so NULL behaves as in the exact query;
* per-customer summaries (churn, opportunities, customer-level drivers) without dates, with
  filters on the customer (any customer column or attribute, applied through a join to
  customers); they summarise a customer's whole history.

Anything else (a customer attribute, ``theme`` in a filter, a numeric comparison) goes to the
exact query on the feedback rows, so results never depend on which path answered.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, Table, and_, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from cxloop.analytics import data
from cxloop.analytics.data import STAT_COLUMNS, Scope
from cxloop.analytics.filters import Condition
from cxloop.analytics.rollups import CD, CN, CT, FD, TC, TD, TG, THEME_GROUP_DIMS

#: Field names users write, resolved to roll-up key columns.
ALIASES = {"stage": "journey_stage"}
FEEDBACK_KEYS = ("channel", "journey_stage", "touchpoint")
CUSTOMER_KEYS = ("segment", "region", "status")
THEME_KEYS = ("journey_stage",)
THEME_CUSTOMER_KEYS = ("segment", "region")
TEXT_OPS = ("=", "!=", "in", "not in")


def _field(name: str) -> str:
    return ALIASES.get(name, name)


def _condition(cond: Condition, table: Table, keys: tuple[str, ...]) -> ColumnElement[bool] | None:
    """The condition on the roll-up's key column, or None when it cannot be served."""
    name = _field(cond.field)
    if name not in keys or cond.op not in TEXT_OPS:
        return None
    col = table.c[name]
    values = [data._as_text(v) for v in cond.values]
    match cond.op:
        case "=":
            return col == values[0]
        case "!=":
            return col != values[0]
        case "in":
            return col.in_(values)
        case _:
            return col.not_in(values)


def _where(scope: Scope, table: Table, keys: tuple[str, ...]) -> list[ColumnElement[bool]] | None:
    """Day range and filter on ``table``; None when some condition cannot be served."""
    where: list[ColumnElement[bool]] = []
    if scope.since:
        where.append(table.c.day >= scope.since.isoformat())
    if scope.until:
        where.append(table.c.day <= scope.until.isoformat())
    for cond in scope.conditions:
        expr = _condition(cond, table, keys)
        if expr is None:
            return None
        where.append(expr)
    return where


def _sums(table: Table, names: tuple[str, ...] = STAT_COLUMNS) -> list[Any]:
    return [func.sum(table.c[n]).label(n) for n in names]


def _frame(engine: Engine, stmt: Any) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _label(column: Any, missing: str) -> Any:
    return func.coalesce(column, missing)


def _theme_table(scope: Scope, by: str | None = None) -> tuple[Table, tuple[str, ...]]:
    """The theme roll-up keyed by the fields the filter (and grouping) name: by journey
    stage, or by the customer's segment and region."""
    fields = {_field(c.field) for c in scope.conditions} | ({by} if by else set())
    if fields and fields <= set(THEME_CUSTOMER_KEYS):
        return TC, THEME_CUSTOMER_KEYS
    return TD, THEME_KEYS


class RollupSource:
    """The aggregate queries of :mod:`cxloop.analytics.data`, answered from roll-ups when
    they can be answered exactly (see the module docstring). ``served`` counts answers."""

    def __init__(self) -> None:
        self.served: dict[str, int] = {"rollup": 0, "exact": 0}

    def _hit(self, ok: bool) -> bool:
        self.served["rollup" if ok else "exact"] += 1
        return ok

    # -- per-day statistics ------------------------------------------------------------------

    def daily_stats(self, engine: Engine, scope: Scope, by: str | None = None) -> pd.DataFrame:
        field = _field(by) if by else None
        choice: tuple[Table, tuple[str, ...]] | None = None
        if field == "theme":
            choice = _theme_table(scope)
        elif field is None:
            fields = {_field(c.field) for c in scope.conditions}
            choice = (CD, CUSTOMER_KEYS) if fields & set(CUSTOMER_KEYS) else (FD, FEEDBACK_KEYS)
        elif field in FEEDBACK_KEYS:
            choice = (FD, FEEDBACK_KEYS)
        elif field in CUSTOMER_KEYS:
            choice = (CD, CUSTOMER_KEYS)
        where = _where(scope, *choice) if choice else None
        if not self._hit(choice is not None and where is not None):
            return data.daily_stats(engine, scope, by)
        assert choice is not None and where is not None
        table = choice[0]
        if field == "theme":
            from cxloop.analytics.data import T

            src: Any = table.join(T, T.c.id == table.c.theme_id)
            group = _label(T.c.name, "(none)")
        else:
            src = table
            group = _label(table.c[field], "(none)") if field else literal("all")
        g = group.label("group")
        stmt = select(table.c.day, g, *_sums(table)).select_from(src)
        if where:
            stmt = stmt.where(and_(*where))
        stmt = stmt.group_by(table.c.day, g)
        return data._finish_stats(_frame(engine, stmt))

    def theme_mentions_stats(self, engine: Engine, scope: Scope) -> pd.DataFrame:
        table, keys = _theme_table(scope)
        where = _where(scope, table, keys)
        if not self._hit(where is not None):
            return data.theme_mentions_stats(engine, scope)
        extra = ("negative", "positive", "aspect_sum")
        stmt = select(table.c.theme_id, table.c.day, *_sums(table, STAT_COLUMNS + extra))
        if where:
            stmt = stmt.where(and_(*where))
        stmt = stmt.group_by(table.c.theme_id, table.c.day)
        df = _frame(engine, stmt)
        for col in extra:
            df[col] = pd.to_numeric(df[col]).fillna(0).astype(float)
        return data._finish_stats(df)

    def theme_daily_counts(self, engine: Engine, scope: Scope, by: str | None) -> pd.DataFrame:
        field = _field(by) if by else None
        if field is None or field in THEME_KEYS or field in THEME_CUSTOMER_KEYS:
            table, keys = _theme_table(scope, field)
            where = _where(scope, table, keys) if not field or field in keys else None
            count = func.sum(table.c.n)
            group = (
                _label(table.c[field], "(none)") if where is not None and field else literal("all")
            )
        elif field in THEME_GROUP_DIMS:
            where = _where(scope, TG, ())
            table, count = TG, func.sum(TG.c.mentions)
            group = _label(TG.c.value, "(none)")
            if where is not None:
                where.append(TG.c.dim == field)
        else:
            where = None
        if not self._hit(where is not None):
            return data.theme_daily_counts(engine, scope, by)
        assert where is not None
        g = group.label("group")
        stmt = select(table.c.day, table.c.theme_id, g, count.label("count"))
        if where:
            stmt = stmt.where(and_(*where))
        stmt = stmt.group_by(table.c.day, table.c.theme_id, g)
        df = _frame(engine, stmt)
        df["day"] = data.parse_days(df["day"])
        df["count"] = pd.to_numeric(df["count"]).astype(float)
        return df

    def stage_touchpoint_stats(self, engine: Engine, scope: Scope) -> pd.DataFrame:
        where = _where(scope, FD, FEEDBACK_KEYS)
        if not self._hit(where is not None):
            return data.stage_touchpoint_stats(engine, scope)
        stage = _label(FD.c.journey_stage, "(unmapped)").label("stage")
        tp = _label(FD.c.touchpoint, "(any)").label("touchpoint")
        stmt = select(stage, tp, *_sums(FD))
        if where:
            stmt = stmt.where(and_(*where))
        return data._finish_stats(_frame(engine, stmt.group_by(stage, tp)))

    def stage_theme_counts(self, engine: Engine, scope: Scope) -> pd.DataFrame:
        """Negative and positive mentions per stage and theme (what the journey map uses;
        the exact query also returns other labels, which the journey map ignores)."""
        where = _where(scope, TD, THEME_KEYS)
        if not self._hit(where is not None):
            return data.stage_theme_counts(engine, scope)
        stage = _label(TD.c.journey_stage, "(unmapped)").label("stage")
        stmt = select(
            stage,
            TD.c.theme_id,
            func.sum(TD.c.negative).label("negative"),
            func.sum(TD.c.positive).label("positive"),
        )
        if where:
            stmt = stmt.where(and_(*where))
        wide = _frame(engine, stmt.group_by(stage, TD.c.theme_id))
        long = wide.melt(
            id_vars=["stage", "theme_id"],
            value_vars=["negative", "positive"],
            var_name="sentiment_label",
            value_name="count",
        )
        long["count"] = pd.to_numeric(long["count"]).astype(float)
        return long[long["count"] > 0].reset_index(drop=True)

    # -- per-customer summaries ---------------------------------------------------------------

    @staticmethod
    def _customer_conditions(scope: Scope) -> list[ColumnElement[bool]] | None:
        """Conditions on the customer (any customer column or attribute) apply to the
        summaries through a join to customers; dates and feedback fields cannot."""
        if scope.since or scope.until:
            return None
        if not all(data._needs_customer(c.field) for c in scope.conditions):
            return None
        return [data._condition_expr(c) for c in scope.conditions]

    @staticmethod
    def _of_customers(table: Table, stmt: Any, conds: list[ColumnElement[bool]]) -> Any:
        if not conds:
            return stmt
        return stmt.select_from(table.join(data.C, data.C.c.id == table.c.customer_id)).where(
            *conds
        )

    def customer_theme_first(
        self, engine: Engine, scope: Scope, *, negative_only: bool
    ) -> pd.DataFrame:
        conds = self._customer_conditions(scope)
        if not self._hit(conds is not None):
            return data.customer_theme_first(engine, scope, negative_only=negative_only)
        assert conds is not None
        if negative_only:
            stmt = select(
                CT.c.customer_id,
                CT.c.theme_id,
                data.raw_value(CT.c.first_negative_at).label("first_at"),
                CT.c.negative_mentions.label("mentions"),
            ).where(CT.c.negative_mentions > 0)
        else:
            stmt = select(
                CT.c.customer_id, CT.c.theme_id, data.raw_value(CT.c.first_at), CT.c.mentions
            )
        return data._rows_frame(engine, self._of_customers(CT, stmt, conds))

    def customer_nps(self, engine: Engine, scope: Scope) -> pd.DataFrame:
        conds = self._customer_conditions(scope)
        if not self._hit(conds is not None):
            return data.customer_nps(engine, scope)
        assert conds is not None
        stmt = select(
            CN.c.customer_id,
            CN.c.nps_n,
            (CN.c.nps_sum / CN.c.nps_n).label("nps_mean"),
            data.raw_value(CN.c.first_detractor),
        ).where(CN.c.nps_n > 0)
        return data._rows_frame(engine, self._of_customers(CN, stmt, conds))

    def feedback_range(self, engine: Engine, scope: Scope) -> tuple[Any, Any] | None:
        """First and last feedback time of customers matching a customer filter (None: not
        answerable here; the caller asks the feedback rows)."""
        conds = self._customer_conditions(scope)
        if not scope.conditions or not self._hit(conds is not None):
            return None
        assert conds is not None
        stmt = select(func.min(CN.c.first_feedback_at), func.max(CN.c.last_feedback_at))
        with engine.connect() as conn:
            lo, hi = conn.execute(self._of_customers(CN, stmt, conds)).one()
        return lo, hi

    # -- everything else is exact --------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        return getattr(data, name)


__all__ = ["RollupSource"]
