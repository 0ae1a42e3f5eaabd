"""Dashboard aggregates straight from SQL: headline metrics, trend, journey map and themes.

Why here and not in ``analytics``: these are the few aggregates the overview, journey and
themes pages need on every view, written as one GROUP BY each so they stay fast on a million
rows, scoped to the user's segments/regions. Every figure carries its n and a 95% interval
(normal approximation for NPS, Wilson for CSAT top-2-box, t for mean CES), and groups with
fewer than ``MIN_N`` answers are suppressed rather than shown as noise.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.storage.models import Customer, Enrichment, Feedback, FeedbackTheme, Theme
from cxloop.web.permissions import DataScope

MIN_N = 10
Z95 = 1.959964


@dataclass(frozen=True)
class Filters:
    """Filters shared by pages and API (same names as the CLI options)."""

    since: date | None = None
    until: date | None = None
    channel: str | None = None
    segment: str | None = None
    region: str | None = None
    stage: str | None = None
    touchpoint: str | None = None
    theme: int | None = None
    q: str | None = None
    sentiment: str | None = None

    def key(self) -> tuple[Any, ...]:
        return tuple(sorted(asdict(self).items()))

    def query_string(self, **overrides: Any) -> str:
        from urllib.parse import urlencode

        data = {k: v for k, v in asdict(self).items() if v not in (None, "")}
        data.update({k: v for k, v in overrides.items() if v is not None})
        return urlencode({k: str(v) for k, v in data.items()})


def stage_column() -> ColumnElement[Any]:
    """Journey stage as the text engine mapped it onto the workspace journey (from the data's
    own stage when there is one, else from the words), else the raw value of the data —
    the same rule as the analytics module, so pages and analyses agree."""
    return func.coalesce(Enrichment.journey_stage, Feedback.journey_stage)


def touchpoint_column() -> ColumnElement[Any]:
    return func.coalesce(Enrichment.touchpoint, Feedback.touchpoint)


def _needs_customer(filters: Filters, scope: DataScope) -> bool:
    return bool(filters.segment or filters.region or scope.restricts_customers)


def _needs_enrichment(filters: Filters) -> bool:
    return bool(filters.stage or filters.touchpoint or filters.sentiment)


def apply_filters(
    query: Any, filters: Filters, scope: DataScope, *, joined_enrichment: bool = False
) -> Any:
    """Add joins and WHERE clauses for the filters and the user's data scope."""
    if _needs_customer(filters, scope):
        query = query.join(Customer, Customer.id == Feedback.customer_id)
        if scope.segments is not None:
            query = query.where(Customer.segment.in_(scope.segments))
        if scope.regions is not None:
            query = query.where(Customer.region.in_(scope.regions))
        if filters.segment:
            query = query.where(Customer.segment == filters.segment)
        if filters.region:
            query = query.where(Customer.region == filters.region)
    if _needs_enrichment(filters) and not joined_enrichment:
        query = query.outerjoin(Enrichment, Enrichment.feedback_id == Feedback.id)
    if filters.since:
        query = query.where(
            Feedback.received_at >= datetime.combine(filters.since, datetime.min.time())
        )
    if filters.until:
        query = query.where(
            Feedback.received_at < datetime.combine(filters.until, datetime.max.time())
        )
    if filters.channel:
        query = query.where(Feedback.channel == filters.channel)
    if filters.stage:
        query = query.where(stage_column() == filters.stage)
    if filters.touchpoint:
        query = query.where(touchpoint_column() == filters.touchpoint)
    if filters.sentiment:
        query = query.where(Enrichment.sentiment_label == filters.sentiment)
    if filters.theme is not None:
        query = query.where(
            select(FeedbackTheme.feedback_id)
            .where(
                FeedbackTheme.feedback_id == Feedback.id, FeedbackTheme.theme_id == filters.theme
            )
            .exists()
        )
    if filters.q:
        pattern = (
            "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        query = query.where(
            func.lower(Feedback.text).like(pattern.lower(), escape="\\")
            | func.lower(Feedback.title).like(pattern.lower(), escape="\\")
        )
    return query


def month_of(session: Session, column: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), literal("YYYY-MM"))
    return func.substr(column, 1, 7)


# --- intervals -------------------------------------------------------------------------------


def nps_interval(n: int, promoters: int, detractors: int) -> dict[str, Any]:
    """NPS (-100..100) with a 95% normal-approximation interval on the difference of shares."""
    if n == 0:
        return {"value": None, "low": None, "high": None, "n": 0, "suppressed": True}
    p, d = promoters / n, detractors / n
    value = (p - d) * 100
    var = (p + d - (p - d) ** 2) / n
    half = Z95 * math.sqrt(max(var, 0.0)) * 100
    return {
        "value": round(value, 1),
        "low": round(max(-100.0, value - half), 1),
        "high": round(min(100.0, value + half), 1),
        "n": n,
        "suppressed": n < MIN_N,
    }


def wilson_interval(n: int, hits: int) -> dict[str, Any]:
    """A share in percent with the Wilson 95% interval (well-behaved near 0 and 100%)."""
    if n == 0:
        return {"value": None, "low": None, "high": None, "n": 0, "suppressed": True}
    p = hits / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return {
        "value": round(p * 100, 1),
        "low": round((centre - half) * 100, 1),
        "high": round((centre + half) * 100, 1),
        "n": n,
        "suppressed": n < MIN_N,
    }


def mean_interval(n: int, total: float, total_sq: float) -> dict[str, Any]:
    """A mean with its t-based 95% interval."""
    if n == 0:
        return {"value": None, "low": None, "high": None, "n": 0, "suppressed": True}
    mean = total / n
    if n < 2:
        return {"value": round(mean, 2), "low": None, "high": None, "n": n, "suppressed": True}
    from scipy.stats import t

    var = max((total_sq - n * mean * mean) / (n - 1), 0.0)
    half = float(t.ppf(0.975, n - 1)) * math.sqrt(var / n)
    return {
        "value": round(mean, 2),
        "low": round(mean - half, 2),
        "high": round(mean + half, 2),
        "n": n,
        "suppressed": n < MIN_N,
    }


# --- aggregates ------------------------------------------------------------------------------


def _metric_columns() -> list[Any]:
    return [
        func.count().label("volume"),
        func.count(Feedback.nps).label("nps_n"),
        func.sum(case((Feedback.nps >= 9, 1), else_=0)).label("promoters"),
        func.sum(case((Feedback.nps <= 6, 1), else_=0)).label("detractors"),
        func.count(Feedback.csat).label("csat_n"),
        func.sum(case((Feedback.csat >= 4, 1), else_=0)).label("csat_top2"),
        func.count(Feedback.ces).label("ces_n"),
        func.sum(Feedback.ces).label("ces_sum"),
        func.sum(Feedback.ces * Feedback.ces).label("ces_sq"),
    ]


def _metrics_from(row: Any) -> dict[str, Any]:
    return {
        "volume": int(row.volume or 0),
        "nps": nps_interval(int(row.nps_n or 0), int(row.promoters or 0), int(row.detractors or 0)),
        "csat": wilson_interval(int(row.csat_n or 0), int(row.csat_top2 or 0)),
        "ces": mean_interval(int(row.ces_n or 0), float(row.ces_sum or 0), float(row.ces_sq or 0)),
    }


_COUNT_KEYS = (
    "volume",
    "nps_n",
    "promoters",
    "detractors",
    "csat_n",
    "csat_top2",
    "ces_n",
    "ces_sum",
    "ces_sq",
)


class _Counts:
    """Summed raw counts of several months, shaped like a result row."""

    def __init__(self, rows: list[Any]) -> None:
        for key in _COUNT_KEYS:
            setattr(self, key, sum(float(getattr(r, key) or 0) for r in rows))


def metrics_by_month(db: Session, filters: Filters, scope: DataScope) -> dict[str, Any]:
    """Headline NPS/CSAT/CES and volume, overall and per month, each with n and a 95% CI."""
    month = month_of(db, Feedback.received_at).label("month")
    query = apply_filters(select(month, *_metric_columns()).select_from(Feedback), filters, scope)
    rows = db.execute(query.group_by(month).order_by(month)).all()
    dated = [r for r in rows if r.month]
    months = [{"month": r.month, **_metrics_from(r)} for r in dated]
    counts = _Counts(list(rows))
    headline = _metrics_from(counts)
    headline["nps_counts"] = {
        "n": int(counts.nps_n),  # type: ignore[attr-defined]
        "promoters": int(counts.promoters),  # type: ignore[attr-defined]
        "detractors": int(counts.detractors),  # type: ignore[attr-defined]
    }
    headline["sentiment"] = sentiment_share(db, filters, scope)
    headline["trend"] = _trend(dated)
    return {"headline": headline, "months": months}


def _trend(rows: list[Any]) -> dict[str, Any] | None:
    """NPS of the last 3 months vs the 3 before, and whether the change is significant (95%)."""
    if len(rows) < 6:
        return None
    before, after = _Counts(rows[-6:-3]), _Counts(rows[-3:])
    n1, n2 = int(before.nps_n), int(after.nps_n)  # type: ignore[attr-defined]
    if n1 < MIN_N or n2 < MIN_N:
        return None

    def share(c: Any, n: int) -> tuple[float, float]:
        p, d = c.promoters / n, c.detractors / n
        return (p - d) * 100, (p + d - (p - d) ** 2) / n * 10000

    v1, var1 = share(before, n1)
    v2, var2 = share(after, n2)
    se = math.sqrt(var1 + var2)
    delta = v2 - v1
    return {
        "previous": round(v1, 1),
        "current": round(v2, 1),
        "change": round(delta, 1),
        "low": round(delta - Z95 * se, 1),
        "high": round(delta + Z95 * se, 1),
        "significant": bool(se > 0 and abs(delta) > Z95 * se),
        "n_previous": n1,
        "n_current": n2,
        "months_previous": [r.month for r in rows[-6:-3]],
        "months_current": [r.month for r in rows[-3:]],
    }


GROUPINGS = ("month", "channel", "stage", "touchpoint", "segment", "region")


def metrics_by(db: Session, filters: Filters, scope: DataScope, by: str) -> list[dict[str, Any]]:
    """NPS/CSAT/CES with n and 95% CI per group (``by`` is one of ``GROUPINGS``)."""
    if by == "month":
        return list(metrics_by_month(db, filters, scope)["months"])
    query_filters = filters
    if by in ("segment", "region"):
        column: Any = Customer.segment if by == "segment" else Customer.region
        query = select(column.label("grp"), *_metric_columns()).select_from(Feedback)
        if not _needs_customer(filters, scope):
            query = query.join(Customer, Customer.id == Feedback.customer_id)
            query = apply_filters(query, query_filters, scope)
        else:
            query = apply_filters(query, query_filters, scope)
    elif by in ("stage", "touchpoint"):
        column = stage_column() if by == "stage" else touchpoint_column()
        query = select(column.label("grp"), *_metric_columns()).select_from(Feedback)
        query = query.outerjoin(Enrichment, Enrichment.feedback_id == Feedback.id)
        query = apply_filters(query, query_filters, scope, joined_enrichment=True)
    elif by == "channel":
        column = Feedback.channel
        query = apply_filters(
            select(column.label("grp"), *_metric_columns()).select_from(Feedback),
            query_filters,
            scope,
        )
    else:
        raise ValueError(by)
    rows = db.execute(query.group_by(column)).all()
    return sorted(
        ({by: r.grp, **_metrics_from(r)} for r in rows),
        key=lambda row: -int(row["volume"]),
    )


def _unfiltered(filters: Filters, scope: DataScope) -> bool:
    return filters == Filters() and not scope.restricts_customers


def sentiment_share(db: Session, filters: Filters, scope: DataScope) -> dict[str, Any]:
    if _unfiltered(filters, scope):
        # Every enrichment belongs to a feedback row (FK, cascade): no join needed.
        row = db.execute(
            select(
                func.count().label("n"),
                func.sum(case((Enrichment.sentiment_label == "negative", 1), else_=0)),
            )
        ).one()
        return wilson_interval(int(row[0] or 0), int(row[1] or 0))
    query = select(
        func.count().label("n"),
        func.sum(case((Enrichment.sentiment_label == "negative", 1), else_=0)).label("neg"),
    ).select_from(Feedback)
    query = query.join(Enrichment, Enrichment.feedback_id == Feedback.id)
    query = apply_filters(query, filters, scope, joined_enrichment=True)
    row = db.execute(query).one()
    return wilson_interval(int(row.n or 0), int(row.neg or 0))


def journey_map(db: Session, filters: Filters, scope: DataScope) -> dict[str, Any]:
    """Stage x touchpoint cells: volume, NPS with CI, share negative; n per cell."""
    stage = stage_column().label("stage")
    tp = touchpoint_column().label("touchpoint")
    query = select(
        stage,
        tp,
        *_metric_columns(),
        func.count(Enrichment.feedback_id).label("sent_n"),
        func.sum(case((Enrichment.sentiment_label == "negative", 1), else_=0)).label("neg"),
        func.avg(Enrichment.sentiment_score).label("sent_mean"),
    ).select_from(Feedback)
    query = query.outerjoin(Enrichment, Enrichment.feedback_id == Feedback.id)
    query = apply_filters(query, filters, scope, joined_enrichment=True)
    rows = db.execute(query.group_by(stage, tp)).all()
    cells = []
    for r in rows:
        if r.stage is None:
            continue
        m = _metrics_from(r)
        cells.append(
            {
                "stage": r.stage,
                "touchpoint": r.touchpoint or "(any)",
                "volume": m["volume"],
                "nps": m["nps"],
                "negative": wilson_interval(int(r.sent_n or 0), int(r.neg or 0)),
                "sentiment_mean": None if r.sent_mean is None else round(float(r.sent_mean), 3),
            }
        )
    stages = _ordered_stages(db, sorted({c["stage"] for c in cells}))
    touchpoints = sorted({c["touchpoint"] for c in cells})
    unmapped = sum(int(r.volume or 0) for r in rows if r.stage is None)
    return {"stages": stages, "touchpoints": touchpoints, "cells": cells, "unmapped": unmapped}


def _ordered_stages(db: Session, found: list[str]) -> list[str]:
    """Order stages as the workspace journey defines them, when it is defined."""
    from cxloop.storage.models import WorkspaceDocument

    doc = db.get(WorkspaceDocument, "journey")
    order: list[str] = []
    value = doc.value if doc is not None else None
    if isinstance(value, dict):
        for item in value.get("stages", []):
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, str):
                order.append(name)
    ranked = [s for s in order if s in found]
    return ranked + [s for s in found if s not in ranked]


def theme_table(
    db: Session, filters: Filters, scope: DataScope, overall: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Per theme: mentions, share negative, mean sentiment and NPS impact (a parent theme's
    mentions include its sub-themes', see :mod:`cxloop.text.theme_rollup`).

    ``overall`` is ``metrics_by_month`` for the same filters without the theme (the cached
    overview), passed in so the totals are not recomputed.

    Impact is the NPS of feedback mentioning the theme minus the NPS of all other feedback
    with a score (negative means the theme pulls NPS down), with a 95% interval.
    """
    base = select(
        FeedbackTheme.theme_id.label("theme_id"),
        func.count().label("mentions"),
        func.sum(case((FeedbackTheme.sentiment_label == "negative", 1), else_=0)).label("neg"),
        func.avg(FeedbackTheme.sentiment_score).label("sent_mean"),
        func.count(Feedback.nps).label("nps_n"),
        func.sum(case((Feedback.nps >= 9, 1), else_=0)).label("promoters"),
        func.sum(case((Feedback.nps <= 6, 1), else_=0)).label("detractors"),
    ).select_from(FeedbackTheme)
    base = base.join(Feedback, Feedback.id == FeedbackTheme.feedback_id)
    base = apply_filters(base, Filters(**{**asdict(filters), "theme": None}), scope)
    rows = db.execute(base.group_by(FeedbackTheme.theme_id)).all()
    if overall is None:
        overall = metrics_by_month(db, Filters(**{**asdict(filters), "theme": None}), scope)
    counts = overall["headline"]["nps_counts"]
    names = {t.id: t for t in db.scalars(select(Theme))}
    total_n = int(counts["n"])
    total_p, total_d = float(counts["promoters"]), float(counts["detractors"])
    out = []
    for r in rows:
        theme = names.get(r.theme_id)
        if theme is None:
            continue
        n_in = int(r.nps_n or 0)
        n_out = total_n - n_in
        impact = None
        if n_in >= MIN_N and n_out >= MIN_N:
            p_in, d_in = float(r.promoters or 0) / n_in, float(r.detractors or 0) / n_in
            p_out = (total_p - float(r.promoters or 0)) / n_out
            d_out = (total_d - float(r.detractors or 0)) / n_out
            diff = ((p_in - d_in) - (p_out - d_out)) * 100
            var = (p_in + d_in - (p_in - d_in) ** 2) / n_in + (
                p_out + d_out - (p_out - d_out) ** 2
            ) / n_out
            impact = {"value": diff, "se": math.sqrt(max(var, 0.0)) * 100, "n": n_in}
        out.append(
            {
                "theme_id": r.theme_id,
                "theme": theme.name,
                "parent": names[theme.parent_id].name if theme.parent_id in names else None,
                "mentions": int(r.mentions),
                "negative": wilson_interval(int(r.mentions), int(r.neg or 0)),
                "sentiment_mean": None if r.sent_mean is None else round(float(r.sent_mean), 3),
                "nps": nps_interval(n_in, int(r.promoters or 0), int(r.detractors or 0)),
                "nps_impact": impact,
            }
        )
    _bonferroni_intervals([row["nps_impact"] for row in out if row["nps_impact"]])
    out.sort(key=lambda row: (row["nps_impact"] or {}).get("value") or 0)
    return out


def theme_tree(db: Session) -> pd.DataFrame:
    """Theme ids with their parent and whether active (what
    :func:`cxloop.analytics.themes.at_level` reads to pick a level)."""
    rows = db.execute(select(Theme.id, Theme.parent_id, Theme.active)).all()
    return pd.DataFrame(rows, columns=["theme_id", "parent_id", "active"])


def _bonferroni_intervals(impacts: list[dict[str, Any]]) -> None:
    """Family-wise 95% intervals over all themes tested at once (Bonferroni), so "significant"
    holds for the whole table, not only for one theme picked after looking."""
    from scipy.stats import norm

    k = max(len(impacts), 1)
    z = float(norm.ppf(1 - 0.05 / (2 * k)))
    for impact in impacts:
        diff, se = impact.pop("value"), impact.pop("se")
        impact.update(
            value=round(diff, 1),
            low=round(diff - z * se, 1),
            high=round(diff + z * se, 1),
            significant=bool(se > 0 and abs(diff) > z * se),
            correction=f"Bonferroni over {k} themes",
        )


def theme_trend(
    db: Session, filters: Filters, scope: DataScope, theme_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """Mentions per month for the given themes (for sparklines)."""
    if not theme_ids:
        return {}
    month = month_of(db, Feedback.received_at).label("month")
    query = (
        select(FeedbackTheme.theme_id, month, func.count().label("n"))
        .select_from(FeedbackTheme)
        .join(Feedback, Feedback.id == FeedbackTheme.feedback_id)
        .where(FeedbackTheme.theme_id.in_(theme_ids))
    )
    query = apply_filters(query, Filters(**{**asdict(filters), "theme": None}), scope)
    result: dict[int, list[dict[str, Any]]] = {}
    for r in db.execute(query.group_by(FeedbackTheme.theme_id, month).order_by(month)):
        if r.month:
            result.setdefault(r.theme_id, []).append({"month": r.month, "n": int(r.n)})
    return result


def facet_values(db: Session, scope: DataScope) -> dict[str, list[str]]:
    """Distinct channels, segments and regions for filter drop-downs."""
    channels = [
        c
        for c in db.scalars(
            select(Feedback.channel).distinct().where(Feedback.channel.is_not(None)).limit(50)
        )
    ]
    seg_q = select(Customer.segment).distinct().where(Customer.segment.is_not(None))
    reg_q = select(Customer.region).distinct().where(Customer.region.is_not(None))
    if scope.segments is not None:
        seg_q = seg_q.where(Customer.segment.in_(scope.segments))
    if scope.regions is not None:
        reg_q = reg_q.where(Customer.region.in_(scope.regions))
    return {
        "channels": sorted(c for c in channels if c),
        "segments": sorted(s for s in db.scalars(seg_q.limit(50)) if s),
        "regions": sorted(r for r in db.scalars(reg_q.limit(50)) if r),
    }


def verbatims(
    db: Session, filters: Filters, scope: DataScope, *, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """Feedback rows for reading, newest first, with redacted text where the engine has it."""
    query = (
        select(
            Feedback.id,
            Feedback.received_at,
            Feedback.channel,
            Feedback.title,
            Feedback.text,
            Feedback.nps,
            Feedback.csat,
            Feedback.ces,
            Feedback.rating,
            stage_column().label("stage"),
            touchpoint_column().label("touchpoint"),
            Enrichment.redacted_text,
            Enrichment.redacted_title,
            Enrichment.sentiment_label,
        )
        .select_from(Feedback)
        .outerjoin(Enrichment, Enrichment.feedback_id == Feedback.id)
    )
    query = apply_filters(query, filters, scope, joined_enrichment=True)
    query = query.order_by(Feedback.id.desc()).limit(limit).offset(offset)
    from cxloop.web.redaction import redact_for_display

    out = []
    for r in db.execute(query):
        out.append(
            {
                "id": r.id,
                "received_at": r.received_at,
                "channel": r.channel,
                "title": r.redacted_title or redact_for_display(r.title),
                "text": r.redacted_text or redact_for_display(r.text),
                "nps": r.nps,
                "csat": r.csat,
                "ces": r.ces,
                "rating": r.rating,
                "stage": r.stage,
                "touchpoint": r.touchpoint,
                "sentiment": r.sentiment_label,
            }
        )
    return out


def count_matching(db: Session, filters: Filters, scope: DataScope) -> int:
    query = apply_filters(select(func.count()).select_from(Feedback), filters, scope)
    return int(db.scalar(query) or 0)


def in_scope_feedback(db: Session, feedback_id: int, scope: DataScope) -> bool:
    query = select(Feedback.id).where(Feedback.id == feedback_id)
    query = apply_filters(query, Filters(), scope)
    return db.scalar(query) is not None
