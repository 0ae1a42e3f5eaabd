"""The analysis pages (drivers, segments, lost customers, sales linkage, opportunities, alerts)
and their API twins, on top of ``cxloop.analytics.run_analysis`` when it is installed.

Until the analytics service answers, two views are computed here so the pages are useful:
drivers as an importance–performance view of themes (importance = |NPS impact|, performance =
share of positive mentions) and segments as NPS/CSAT/CES per segment. Every row carries its n
and links to the verbatims behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cxloop.errors import NotFoundError
from cxloop.storage.models import Theme
from cxloop.web import insights
from cxloop.web.cache import ResultCache
from cxloop.web.insights import Filters
from cxloop.web.permissions import DataScope


@dataclass(frozen=True)
class AnalysisView:
    slug: str
    title: str
    analysis: str
    explain: str
    params: tuple[tuple[str, Any], ...] = ()
    #: Whether the page can show its themes at one level of the hierarchy (``?level=``).
    levels: bool = False


VIEWS = {
    v.slug: v
    for v in (
        AnalysisView(
            "drivers",
            "Key drivers",
            "drivers",
            "What moves NPS: importance (effect on the outcome) against performance "
            "(how well it goes today). High importance, low performance first.",
            (("outcome", "nps"),),
        ),
        AnalysisView(
            "segments",
            "Segments",
            "segments",
            "Do some customers need a different experience? Differences between "
            "segments, flagged only when significant after correction.",
        ),
        AnalysisView(
            "churn",
            "Lost customers",
            "churn",
            "What drove customers away: churn drivers, exit reasons and revenue at risk.",
        ),
        AnalysisView(
            "sales",
            "Sales linkage",
            "sales",
            "CX metrics against sales over time, with the lag at which they move together.",
        ),
        AnalysisView(
            "opportunities",
            "Opportunities",
            "opportunities",
            "Issues ranked by scope, severity, value and feasibility.",
            levels=True,
        ),
        AnalysisView(
            "alerts", "Alerts", "alerts", "Spikes and emerging issues, flagged when significant."
        ),
    )
}


def view_runner(
    request: Request,
    db: Session,
    view: AnalysisView,
    filters: Filters,
    scope: DataScope,
    extra: dict[str, Any] | None = None,
) -> Callable[[], dict[str, Any]]:
    """:func:`run_view` for one request, deferred: the page and the API hand it to the
    cache, which calls it only on a miss."""
    from cxloop.web.deps import get_engine

    return lambda: run_view(
        get_engine(request), db, view, filters, scope, request.app.state.cache, extra=extra
    )


def _run_analysis() -> Any:
    try:
        from cxloop import analytics
    except ImportError:  # pragma: no cover - the package always exists
        return None
    return getattr(analytics, "run_analysis", None)


def run_view(
    engine: Engine,
    db: Session,
    view: AnalysisView,
    filters: Filters,
    scope: DataScope,
    cache: ResultCache | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rows, method and the chart spec for one analysis page.

    ``extra`` holds CLI-style parameters from the API (``outcome``, ``filter``); a user
    ``filter`` is combined with the data-scope filter by ``and``, never replacing it.
    """
    extra = dict(extra or {})
    user_filter = extra.pop("filter", None)
    run = _run_analysis()
    if run is not None:
        params = {**dict(view.params), **extra}
        if filters.since:
            params["since"] = filters.since
        if filters.until:
            params["until"] = filters.until
        parts = [analytics_filter(filters, scope), user_filter]
        expression = " and ".join(p for p in parts if p)
        if expression:
            params["filter"] = expression
        result = run(engine, view.analysis, **params)
        rows = _rows_of(result)
        theme_ids = {t.name: t.id for t in db.scalars(select(Theme))}
        for row in rows:
            row.setdefault("_link", _link_for(row, filters, theme_ids))
        return {
            "rows": rows,
            "method": _attr(result, "method"),
            "source": "analytics",
            "params": {k: str(v) for k, v in params.items()},
            "caveats": _attr(result, "caveats") or [],
        }
    if view.slug == "drivers":
        return _drivers_from_themes(db, filters, scope, cache)
    if view.slug == "segments":
        from cxloop.web import views

        rows = (
            views.metrics(cache, db, filters, scope, "segment")
            if cache is not None
            else insights.metrics_by(db, filters, scope, "segment")
        )
        flat = [
            {
                "segment": r["segment"],
                "n": r["nps"]["n"],
                "nps": r["nps"]["value"],
                "nps_low": r["nps"]["low"],
                "nps_high": r["nps"]["high"],
                "csat": r["csat"]["value"],
                "ces": r["ces"]["value"],
                "volume": r["volume"],
                "_link": "/verbatims?" + filters.query_string(segment=r["segment"]),
            }
            for r in rows
            if r["segment"]
        ]
        return {
            "rows": flat,
            "method": "NPS per segment, 95% normal interval",
            "source": "web",
            "params": {},
        }
    raise NotFoundError(
        f"the {view.title.lower()} analysis is not available in this installation",
        hint="it comes with the analytics module (cxloop analyze)",
    )


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def analytics_filter(filters: Filters, scope: DataScope) -> str | None:
    """The analytics filter expression for the page filters and the user's data scope.

    Values are quoted for the analytics filter language (which parses, never evaluates, and
    binds every value as a parameter), so the user's scope always narrows the analysis.
    """
    clauses = []
    for field, values in (("segment", scope.segments), ("region", scope.regions)):
        if values is not None:
            clauses.append(f"{field} in ({', '.join(_quote(v) for v in values) or _quote('')})")
    for field in ("segment", "region", "channel"):
        value = getattr(filters, field)
        if value:
            clauses.append(f"{field} = {_quote(value)}")
    return " and ".join(clauses) or None


def _link_for(row: dict[str, Any], filters: Filters, theme_ids: dict[str, int]) -> str:
    """Verbatims behind an analysis row: by theme, stage, segment or channel when named."""
    from urllib.parse import urlencode

    params: dict[str, Any] = {
        k: v for k, v in (("since", filters.since), ("until", filters.until)) if v
    }
    for key, target in (
        ("stage", "stage"),
        ("journey_stage", "stage"),
        ("touchpoint", "touchpoint"),
        ("segment", "segment"),
        ("region", "region"),
        ("channel", "channel"),
    ):
        if isinstance(row.get(key), str):
            params[target] = row[key]
    label = row.get("theme") or row.get("driver") or row.get("label")
    if isinstance(label, str) and label in theme_ids:
        params["theme"] = theme_ids[label]
    elif isinstance(label, str) and not params.get("stage"):
        params["q"] = label
    return "/verbatims?" + urlencode({k: str(v) for k, v in params.items()})


def _drivers_from_themes(
    db: Session, filters: Filters, scope: DataScope, cache: ResultCache | None
) -> dict[str, Any]:
    from cxloop.web import views

    rows = []
    table = (
        views.themes(cache, db, filters, scope)
        if cache is not None
        else insights.theme_table(db, filters, scope)
    )
    for t in table:
        impact = t["nps_impact"]
        if impact is None:
            continue
        negative = t["negative"]["value"] or 0.0
        rows.append(
            {
                "theme": t["theme"],
                "importance": round(abs(impact["value"]), 1),
                "performance": round(100.0 - negative, 1),
                "nps_impact": impact["value"],
                "impact_low": impact["low"],
                "impact_high": impact["high"],
                "n": t["mentions"],
                "_link": "/verbatims?" + filters.query_string(theme=t["theme_id"]),
            }
        )
    rows.sort(key=lambda r: (-r["importance"], r["performance"]))
    return {
        "rows": rows,
        "source": "web",
        "params": {"outcome": "nps"},
        "method": "importance = |NPS with theme - NPS without| (95% interval on the "
        "difference); performance = % of mentions not negative",
    }


def _attr(result: Any, name: str) -> Any:
    if isinstance(result, dict):
        return result.get(name)
    return getattr(result, name, None)


def _rows_of(result: Any) -> list[dict[str, Any]]:
    from cxloop.cli.output import jsonable

    rows = _attr(result, "rows")
    if rows is None and isinstance(result, list):
        rows = result
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict(orient="records")
    return [jsonable(dict(r)) for r in (rows or [])]


LABEL_KEYS = (
    "driver",
    "factor",
    "theme",
    "segment",
    "stage",
    "label",
    "name",
    "metric",
    "week",
    "period",
    "month",
)
VALUE_KEYS = (
    "importance",
    "effect",
    "hazard_ratio",
    "nps",
    "churn_rate",
    "score",
    "priority",
    "value",
    "lift",
    "correlation",
    "revenue_at_risk",
    "n",
)


def table_columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every key of every row, in first-seen order (rows of one analysis may differ)."""
    return list(dict.fromkeys(k for r in rows for k in r if not k.startswith("_")))


def _numeric(rows: list[dict[str, Any]], key: str) -> bool:
    values = [r.get(key) for r in rows if r.get(key) is not None]
    return bool(values) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )


def chart_for(slug: str, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Pick a chart: importance–performance scatter for drivers, else bars of the most
    telling number, drawn for one section of the rows when an analysis mixes several."""
    if not rows:
        return None
    keys = table_columns(rows)
    if slug == "drivers" and {"importance", "performance"} <= set(keys):
        first = next((k for k in LABEL_KEYS if k in keys), keys[0])
        return {
            "kind": "scatter",
            "x": "performance",
            "y": "importance",
            "label": first,
            "rows": rows,
        }
    best: tuple[int, str, list[dict[str, Any]]] | None = None
    sections = {r.get("section") for r in rows} if "section" in keys else {None}
    for section in sections:
        part = [r for r in rows if section is None or r.get("section") == section]
        for value in VALUE_KEYS:
            with_value = [r for r in part if r.get(value) is not None]
            if with_value and _numeric(with_value, value):
                rank = VALUE_KEYS.index(value) * 1000 - len(with_value)
                if best is None or rank < best[0]:
                    best = (rank, value, with_value)
                break
    if best is None:
        return None
    _, measure, chosen = best
    label = next((k for k in LABEL_KEYS if any(isinstance(r.get(k), str) for r in chosen)), None)
    if label is None:
        label = next((k for k in keys if not _numeric(rows, k)), keys[0])
    return {"kind": "bars", "x": measure, "label": label, "rows": chosen[:40]}
