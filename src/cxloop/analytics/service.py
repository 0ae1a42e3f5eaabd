"""``run_analysis(engine, name, **params)``: load what an analysis needs, then run it.

This is the one place that touches the database; the analysis functions it calls are pure
(frames and parameters in, :class:`AnalysisResult` out). The CLI, the web app and reports all
come through here, so they agree on parameters and answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from threadpoolctl import threadpool_limits

from cxloop.analytics import data, rollups
from cxloop.analytics.anomalies import detect_spikes
from cxloop.analytics.business import sales_linkage
from cxloop.analytics.churn import churn_analysis
from cxloop.analytics.customer_features import churn_flag
from cxloop.analytics.data import FEEDBACK_FIELDS, STAT_COLUMNS, Scope
from cxloop.analytics.drivers import key_drivers
from cxloop.analytics.journey import journey_map
from cxloop.analytics.metrics import DEFAULT_MIN_N, estimates, metrics_table
from cxloop.analytics.periods import period_start
from cxloop.analytics.result import AnalysisResult
from cxloop.analytics.rollup_reads import RollupSource
from cxloop.analytics.segments import segment_differences
from cxloop.analytics.themes import (
    OTHER_CAVEAT,
    OTHER_SUFFIX,
    apart_from_sub_themes,
    at_level,
    monthly_theme_counts,
    theme_impact,
    themes_at_level,
)
from cxloop.errors import InputError, NotEstimable

log = logging.getLogger(__name__)

ANALYSES = (
    "metrics",
    "journey",
    "themes",
    "drivers",
    "segments",
    "churn",
    "business",
    "opportunities",
    "anomalies",
)
#: Names other parts of cxloop use for the same analyses (web pages).
ALIASES = {"sales": "business", "alerts": "anomalies", "lost": "churn", "spikes": "anomalies"}


def _scope(params: dict[str, Any]) -> Scope:
    return Scope.of(
        params.pop("since", None),
        params.pop("until", None),
        params.pop("filter", None),
        params.pop("segment", None),
    )


def _envelope(scope: Scope, **rest: Any) -> dict[str, Any]:
    out = {k: v for k, v in scope.params().items() if v is not None}
    out.update({k: v for k, v in rest.items() if v is not None})
    return out


def run_analysis(
    engine: Engine, name: str, *, use_rollups: bool = True, **params: Any
) -> AnalysisResult:
    """Run analysis ``name`` (see :data:`ANALYSES`) with its parameters.

    Common parameters: ``since``, ``until`` (dates or ISO strings), ``filter`` (the safe
    filter language), ``segment`` (shorthand filter), ``min_n``. Per analysis: ``period`` and
    ``by`` (metrics), ``level`` (themes, opportunities, journey pain points: ``all``, ``top``
    or ``leaf`` themes),
    ``outcome`` (drivers), ``by`` and ``correction`` (segments),
    ``metric`` and ``cx_metric`` (business), ``by``/``correction``/``alpha``/``all_rows``
    (anomalies).

    The aggregates come from the per-day roll-ups (:mod:`cxloop.analytics.rollups`), brought
    up to date first, whenever they can answer exactly; ``use_rollups=False`` forces the
    exact queries over the feedback rows (tests compare the two).
    """
    key = ALIASES.get(name, name)
    runner = RUNNERS.get(key)
    if runner is None:
        raise InputError(f"unknown analysis {name!r}", hint="choose one of: " + ", ".join(ANALYSES))
    params = {k: v for k, v in params.items() if v is not None}
    src: Any = data
    if use_rollups and _rollups_ready(engine):
        src = RollupSource()
    # The models here are small dense problems: BLAS threads only add contention (measured:
    # churn on the demo took 6.3 s with 2 OpenBLAS threads on a busy 2-core machine, 1.5 s
    # with one).
    with threadpool_limits(limits=1, user_api="blas"):
        return runner(engine, dict(params), src)


def _rollups_ready(engine: Engine) -> bool:
    """Refresh the roll-ups; when that cannot happen now (another process has held SQLite's
    write lock past the busy timeout, a read-only database or replica), answer from the rows
    instead of failing: the exact path gives the same numbers, only slower."""
    try:
        return rollups.ensure_fresh(engine)
    except DBAPIError as exc:
        log.warning("analytics roll-ups not refreshed (%s); answering from the rows", exc.orig)
        return False


def _min_n(p: dict[str, Any]) -> int:
    value = int(p.pop("min_n", DEFAULT_MIN_N))
    if value < 1:
        raise InputError("--min-n must be at least 1")
    return value


def _reject_unknown(name: str, p: dict[str, Any]) -> None:
    if p:
        raise InputError(f"{name}: unknown parameter(s) {', '.join(sorted(p))}")


def _metrics(engine: Engine, p: dict[str, Any], src: Any) -> AnalysisResult:
    scope = _scope(p)
    period = p.pop("period", "month")
    by = p.pop("by", None)
    min_n = _min_n(p)
    _reject_unknown("metrics", p)
    daily = src.daily_stats(engine, scope, by)
    return metrics_table(
        daily,
        period=None if period in ("all", "none") else period,
        min_n=min_n,
        params=_envelope(scope, period=period, by=by, min_n=min_n),
    )


def _themes(engine: Engine, p: dict[str, Any], src: Any) -> AnalysisResult:
    scope = _scope(p)
    min_n = _min_n(p)
    level = str(p.pop("level", "all"))
    _reject_unknown("themes", p)
    return _theme_result(engine, scope, min_n, src, level)


def _theme_result(
    engine: Engine, scope: Scope, min_n: int, src: Any, level: str = "all"
) -> AnalysisResult:
    daily = src.daily_stats(engine, scope)
    if daily.empty:
        raise NotEstimable("no feedback in the selected range and filter")
    totals = daily[list(STAT_COLUMNS)].sum()
    by_day = src.theme_mentions_stats(engine, scope)
    cols = [*STAT_COLUMNS, "negative", "positive", "aspect_sum"]
    mentions = by_day.groupby("theme_id", as_index=False)[cols].sum()
    mentions["aspect_sentiment"] = mentions["aspect_sum"] / mentions["n"].where(mentions["n"] > 0)
    td = by_day[["day", "theme_id"]].assign(count=by_day["n"])
    counts, mtotals = monthly_theme_counts(td, daily) if not td.empty else (None, None)
    themes = data.themes_table(engine)
    result = theme_impact(
        mentions,
        totals,
        themes,
        counts,
        mtotals,
        min_n=min_n,
        params=_envelope(scope, min_n=min_n, **_level_param(level)),
    )
    result.rows = at_level(result.rows, themes, level)
    return result


def _level_param(level: str) -> dict[str, str]:
    """``level`` for a result's parameters, when one was chosen."""
    return {"level": level} if level != "all" else {}


def _journey(engine: Engine, p: dict[str, Any], src: Any) -> AnalysisResult:
    scope = _scope(p)
    min_n = _min_n(p)
    verbatims = bool(p.pop("verbatims", True))
    level = str(p.pop("level", "all"))
    _reject_unknown("journey", p)
    stats = src.stage_touchpoint_stats(engine, scope)
    themes = data.themes_table(engine)
    stage_themes = src.stage_theme_counts(engine, scope)
    keep = themes_at_level(themes, level)  # pain points and delights at that level only
    if keep is not None:
        stage_themes = stage_themes[stage_themes["theme_id"].astype(int).isin(keep)]

    def find(stage: str, theme_id: int, sentiment: str) -> list[dict[str, Any]]:
        return data.verbatims(engine, scope, theme_id=theme_id, stage=stage, sentiment=sentiment)

    return journey_map(
        stats,
        stage_themes,
        themes,
        find if verbatims else None,
        min_n=min_n,
        stage_order=_stage_order(engine),
        params=_envelope(scope, min_n=min_n, **_level_param(level)),
    )


def _stage_order(engine: Engine) -> list[str]:
    """The workspace's journey stages in order, when a journey definition is stored."""
    from cxloop.storage.models.core import WorkspaceDocument

    with engine.connect() as conn:
        doc = conn.execute(
            select(WorkspaceDocument.value).where(WorkspaceDocument.key == "journey")
        ).scalar()
    stages = doc.get("stages") if isinstance(doc, dict) else None
    if not isinstance(stages, list):
        return []
    return [str(s.get("name")) if isinstance(s, dict) else str(s) for s in stages]


FEEDBACK_OUTCOMES = {
    "nps": FEEDBACK_FIELDS["nps"],
    "csat": FEEDBACK_FIELDS["csat"],
    "ces": FEEDBACK_FIELDS["ces"],
    "rating": FEEDBACK_FIELDS["rating"],
    "sentiment": FEEDBACK_FIELDS["sentiment_score"],
}


def _drivers(engine: Engine, p: dict[str, Any], src: Any) -> AnalysisResult:
    scope = _scope(p)
    outcome = str(p.pop("outcome", "nps"))
    attrs = p.pop("attributes", ())
    if isinstance(attrs, str):
        attrs = tuple(a.strip() for a in attrs.split(",") if a.strip())
    min_n = _min_n(p)
    _reject_unknown("drivers", p)
    themes = data.themes_table(engine)
    names = dict(zip(themes["theme_id"], themes["theme"], strict=False))
    envelope = _envelope(scope, outcome=outcome, attributes=list(attrs), min_n=min_n)
    if outcome in FEEDBACK_OUTCOMES:
        col = FEEDBACK_OUTCOMES[outcome]
        cols = {"y": col, **{f"attr:{a}": data.field_expr(a) for a in attrs}}
        frame = data.feedback_rows(engine, scope, cols, require=col.is_not(None))
        pairs = data.feedback_theme_pairs(engine, scope, require=col.is_not(None))
        key = "feedback_id"
    else:
        frame, pairs = _customer_outcome(engine, scope, outcome, attrs, src)
        key = "customer_id"
    if frame.empty:
        raise NotEstimable(
            f"no feedback in range has the outcome {outcome!r}",
            hint="choose another --outcome or widen the date range",
        )
    frame["y"] = pd.to_numeric(frame["y"], errors="coerce")
    drivers: list[str] = []
    kinds: dict[str, str] = {}
    perf: dict[str, float | None] = {}
    pos = pd.Index(frame[key])
    pairs, reduced = apart_from_sub_themes(pairs, key, themes)
    for tid, part in pairs.groupby("theme_id"):
        name = names.get(tid, str(tid)) + (OTHER_SUFFIX if int(tid) in reduced else "")
        flag = pos.isin(part[key].unique())
        frame[name] = flag.astype(float)
        drivers.append(name)
        neg = (part["sentiment_label"] == "negative").mean()
        perf[name] = 100.0 * (1.0 - float(neg))
    for a in attrs:
        values = frame.pop(f"attr:{a}").astype("string").fillna("(missing)")
        counts = values.value_counts()
        for level in counts.index[1:]:
            name = f"{a}={level}"
            frame[name] = (values == level).astype(float).to_numpy()
            drivers.append(name)
            kinds[name] = "attribute"
            perf[name] = _outcome_mean(frame, name)
    result = key_drivers(
        frame, "y", drivers, performance=perf, kinds=kinds, min_n=min_n, params=envelope
    )
    if reduced:
        result.caveats.append(OTHER_CAVEAT)
    return result


def _outcome_mean(frame: pd.DataFrame, name: str) -> float | None:
    vals = frame.loc[frame[name] == 1, "y"].dropna()
    return float(vals.mean()) if len(vals) else None


def _customer_outcome(
    engine: Engine, scope: Scope, outcome: str, attrs: tuple[str, ...], src: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customer-level outcome (churn, revenue, a numeric attribute) and themes they raised."""
    cust = data.customers_frame(engine, scope)
    if cust.empty:
        raise NotEstimable("no customers are loaded", hint="cxloop ingest FILE --kind customers")
    if outcome == "churn":
        y = churn_flag(cust)
    elif outcome == "revenue":
        y = pd.to_numeric(cust["revenue"], errors="coerce")
    else:
        attrs_df = cust["attributes"].map(
            lambda a: (a or {}).get(outcome) if isinstance(a, dict) else None
        )
        if attrs_df.isna().all():
            raise InputError(
                f"outcome {outcome!r} is not a column or customer attribute",
                hint="use nps, csat, ces, rating, sentiment, churn, revenue or a numeric "
                "customer attribute",
            )
        y = pd.to_numeric(attrs_df, errors="coerce")
        if y.isna().all():
            raise InputError(f"outcome {outcome!r} is not numeric")
    frame = pd.DataFrame({"customer_id": cust["customer_id"], "y": y})
    for a in attrs:
        if a in ("segment", "region", "status"):
            frame[f"attr:{a}"] = cust[a]
        else:
            frame[f"attr:{a}"] = cust["attributes"].map(
                lambda d, a=a: d.get(a) if isinstance(d, dict) else None
            )
    first = src.customer_theme_first(engine, scope, negative_only=False)
    pairs = first.rename(columns={"mentions": "n"}).assign(sentiment_label="mentioned")
    neg = src.customer_theme_first(engine, scope, negative_only=True)
    pairs = pairs.merge(
        neg[["customer_id", "theme_id"]].assign(neg=True),
        how="left",
        on=["customer_id", "theme_id"],
    )
    pairs["sentiment_label"] = pairs["neg"].map(lambda v: "negative" if v is True else "other")
    return frame, pairs


def _segments(engine: Engine, p: dict[str, Any], src: Any) -> AnalysisResult:
    scope = _scope(p)
    by = str(p.pop("by", "segment"))
    correction = str(p.pop("correction", "bh"))
    alpha = float(p.pop("alpha", 0.05))
    min_n = _min_n(p)
    _reject_unknown("segments", p)
    stats = src.daily_stats(engine, scope, by)
    counts = src.theme_daily_counts(engine, scope, by)
    return segment_differences(
        stats,
        counts,
        data.themes_table(engine),
        by=by,
        min_n=min_n,
        alpha=alpha,
        correction=correction,
        params=_envelope(scope, by=by, correction=correction, alpha=alpha, min_n=min_n),
    )


def _feedback_range(engine: Engine, scope: Scope) -> tuple[Any, Any]:
    """First and last feedback time in scope. Without a filter the query reads feedback
    alone, so the database answers MIN/MAX from the ``received_at`` index instead of
    scanning a join (9 s on a million rows under load)."""
    f = data.F
    stmt = select(func.min(f.c.received_at), func.max(f.c.received_at))
    where = data.scope_where(scope)
    stmt = stmt.select_from(data.feedback_from(scope) if scope.conditions else f)
    if where:
        from sqlalchemy import and_

        stmt = stmt.where(and_(*where))
    with engine.connect() as conn:
        lo, hi = conn.execute(stmt).one()
    return (
        pd.Timestamp(scope.since, tz="UTC") if scope.since else lo,
        pd.Timestamp(scope.until, tz="UTC") + pd.Timedelta(days=1) if scope.until else hi,
    )


def _churn(engine: Engine, p: dict[str, Any], src: Any) -> AnalysisResult:
    scope = _scope(p)
    min_n = _min_n(p)
    top = int(p.pop("top", 10))
    _reject_unknown("churn", p)
    cust = data.customers_frame(engine, scope)
    if cust.empty:
        raise NotEstimable(
            "no customers are loaded", hint="load them with: cxloop ingest FILE --kind customers"
        )
    served = src.feedback_range(engine, scope) if hasattr(src, "feedback_range") else None
    start, end = served if served is not None else _feedback_range(engine, scope)
    return churn_analysis(
        cust,
        src.customer_theme_first(engine, scope, negative_only=True),
        src.customer_nps(engine, scope),
        data.themes_table(engine),
        data_start=start,
        data_end=end,
        min_n=min_n,
        top_reasons=top,
        params=_envelope(scope, min_n=min_n),
    )


def _business(engine: Engine, p: dict[str, Any], src: Any) -> AnalysisResult:
    scope = _scope(p)
    metric = str(p.pop("metric", "revenue"))
    cx_metric = str(p.pop("cx_metric", "nps"))
    max_lag = int(p.pop("max_lag", 6))
    _reject_unknown("business", p)
    series = data.business_series(engine, metric)
    if series.empty:
        known = data.business_names(engine)
        raise InputError(
            f"no business metric named {metric!r}",
            hint=("loaded: " + ", ".join(known)) if known else "cxloop ingest FILE --kind metrics",
        )
    grain = str(series["grain"].mode().iloc[0])
    period = {"month": "month", "quarter": "quarter", "week": "week"}.get(grain)
    if period is None:
        raise NotEstimable(f"business metric {metric!r} has grain {grain!r}; use month or quarter")
    series = series[series["grain"] == grain]
    biz = pd.Series(
        series["value"].to_numpy(float), index=pd.to_datetime(series["period_start"].astype(str))
    )
    if scope.since:
        biz = biz[biz.index >= pd.Timestamp(scope.since)]
    if scope.until:
        biz = biz[biz.index <= pd.Timestamp(scope.until)]
    daily = src.daily_stats(engine, scope)
    if daily.empty:
        raise NotEstimable("no feedback in the selected range and filter")
    daily["period"] = period_start(daily["day"], period)
    agg = daily.groupby("period")[list(STAT_COLUMNS)].sum()
    values = {}
    for ts, row in agg.iterrows():
        est = estimates(row).get(cx_metric)
        if est is None:
            raise InputError(f"CX metric {cx_metric!r} is not known", hint="nps, csat, ces, rating")
        values[ts] = est.value
    cx = pd.Series(values, dtype=float)
    return sales_linkage(
        cx,
        biz,
        cx_name=cx_metric,
        metric=metric,
        max_lag=max_lag,
        params=_envelope(scope, metric=metric, cx_metric=cx_metric, period=period),
    )


def _opportunities(engine: Engine, p: dict[str, Any], src: Any) -> AnalysisResult:
    from cxloop.analytics.opportunities import rank_opportunities

    scope = _scope(p)
    min_n = _min_n(p)
    level = str(p.pop("level", "all"))
    _reject_unknown("opportunities", p)
    themes = _theme_result(engine, scope, min_n, src, level)
    cust = data.customers_frame(engine, Scope(), attributes=False)
    churned = churn_flag(cust).set_axis(cust["customer_id"]) if len(cust) else None
    return rank_opportunities(
        themes.rows,
        data.themes_table(engine),
        cust,
        src.customer_theme_first(engine, scope, negative_only=True),
        churned=churned,
        min_n=min_n,
        params=_envelope(scope, min_n=min_n, **_level_param(level)),
    )


def _anomalies(engine: Engine, p: dict[str, Any], src: Any) -> AnalysisResult:
    scope = _scope(p)
    by = p.pop("by", "segment")
    correction = str(p.pop("correction", "bh"))
    alpha = float(p.pop("alpha", 0.01))
    all_rows = bool(p.pop("all_rows", False))
    baseline = int(p.pop("baseline_weeks", 8))
    _reject_unknown("anomalies", p)
    counts = src.theme_daily_counts(engine, scope, by)
    totals = src.daily_stats(engine, scope, by)[["day", "group", "n"]]
    if by:  # "all" is the sum over the groups: no second pass over the feedback
        counts = pd.concat(
            [
                counts,
                counts.groupby(["day", "theme_id"], as_index=False)["count"]
                .sum()
                .assign(group="all"),
            ],
            ignore_index=True,
        )
        totals = pd.concat(
            [totals, totals.groupby("day", as_index=False)["n"].sum().assign(group="all")],
            ignore_index=True,
        )
    return detect_spikes(
        counts,
        totals,
        data.themes_table(engine),
        baseline_weeks=baseline,
        alpha=alpha,
        correction=correction,
        all_rows=all_rows,
        params=_envelope(scope, by=by, correction=correction, alpha=alpha, baseline_weeks=baseline),
    )


RUNNERS: dict[str, Callable[[Engine, dict[str, Any], Any], AnalysisResult]] = {
    "metrics": _metrics,
    "journey": _journey,
    "themes": _themes,
    "drivers": _drivers,
    "segments": _segments,
    "churn": _churn,
    "business": _business,
    "opportunities": _opportunities,
    "anomalies": _anomalies,
}

__all__ = ["ALIASES", "ANALYSES", "run_analysis"]
