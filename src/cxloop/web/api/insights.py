"""Understand through the API: metrics, themes, journey, verbatims and analyses.

Parameters match the CLI (``--since``, ``--until``, ``--channel``, ``--segment``, ...); every
figure comes with n and its 95% interval. Results are scoped to the caller's segments and
regions and cached until new data arrives.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from cxloop.errors import ValidationError
from cxloop.web import insights, views
from cxloop.web.api.schemas import ERRORS, Rows
from cxloop.web.deps import Principal, get_db, require
from cxloop.web.filters import parse_filters
from cxloop.web.insights import Filters

router = APIRouter(tags=["insights"], responses=ERRORS)


def _cached(
    request: Request, principal: Principal, name: str, filters: Filters, compute: Any
) -> Any:
    key = (name, filters.key(), principal.scope.cache_key())
    return request.app.state.cache.get(key, compute)


@router.get("/metrics", response_model=Rows)
def metrics(
    request: Request,
    by: str = Query("month", description="month|channel|stage|touchpoint|segment|region"),
    filters: Filters = Depends(parse_filters),
    principal: Principal = Depends(require("dashboards.read")),
    db: Session = Depends(get_db),
) -> Rows:
    """NPS, CSAT (top-2-box %) and CES per group, each with n and a 95% interval."""
    if by not in insights.GROUPINGS:
        raise ValidationError(
            f"by: {by!r} is not one of {', '.join(insights.GROUPINGS)}", details=[{"field": "by"}]
        )
    rows = views.metrics(request.app.state.cache, db, filters, principal.scope, by)
    return Rows(
        analysis="metrics",
        params={"by": by, **_params(filters)},
        rows=rows,
        method="NPS normal approximation, CSAT Wilson, CES t interval; 95%",
    )


@router.get("/themes", response_model=Rows)
def themes(
    request: Request,
    filters: Filters = Depends(parse_filters),
    principal: Principal = Depends(require("dashboards.read")),
    db: Session = Depends(get_db),
) -> Rows:
    """Per theme: mentions, negative share, sentiment and NPS impact with its interval."""
    rows = views.themes(request.app.state.cache, db, filters, principal.scope)
    return Rows(
        analysis="themes",
        params=_params(filters),
        rows=rows,
        method="impact = NPS(with theme) - NPS(without), normal interval, family-wise 95% "
        "(Bonferroni over the themes)",
    )


@router.get("/journey", response_model=Rows)
def journey(
    request: Request,
    filters: Filters = Depends(parse_filters),
    principal: Principal = Depends(require("dashboards.read")),
    db: Session = Depends(get_db),
) -> Rows:
    """The journey map: one row per stage and touchpoint with NPS, negative share and n."""
    data = views.journey(request.app.state.cache, db, filters, principal.scope)
    return Rows(analysis="journey", params=_params(filters), rows=data["cells"])


@router.get("/verbatims", response_model=Rows)
def verbatims(
    filters: Filters = Depends(parse_filters),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = Depends(require("verbatims.read")),
    db: Session = Depends(get_db),
) -> Rows:
    """Feedback texts (personal data redacted), newest first."""
    rows = insights.verbatims(db, filters, principal.scope, limit=limit, offset=offset)
    return Rows(
        analysis="verbatims",
        params={**_params(filters), "limit": limit, "offset": offset},
        rows=rows,
    )


def _params(filters: Filters) -> dict[str, Any]:
    return {k: v for k, v in filters.key() if v is not None}


def _analysis(
    request: Request,
    slug: str,
    filters: Filters,
    principal: Principal,
    db: Session,
    extra: dict[str, Any] | None = None,
) -> Rows:
    from cxloop.errors import NotFoundError
    from cxloop.web.analyses import VIEWS, view_runner

    view = VIEWS.get(slug)
    if view is None:
        raise NotFoundError(f"no analysis {slug!r}", hint="one of: " + ", ".join(VIEWS))
    extra = {k: v for k, v in (extra or {}).items() if v not in (None, "")}
    name = f"analysis:{slug}" + (f":{sorted(extra.items())}" if extra else "")
    result = _cached(
        request,
        principal,
        name,
        filters,
        view_runner(request, db, view, filters, principal.scope, extra),
    )
    rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in result["rows"]]
    return Rows(
        analysis=view.analysis,
        params={**result.get("params", {}), **_params(filters)},
        rows=rows,
        method=result.get("method"),
    )


FILTER_HELP = "analytics filter language, as the CLI's --filter, e.g. channel = 'email'"


@router.get("/drivers", response_model=Rows)
def drivers(
    request: Request,
    outcome: str = Query("nps", max_length=20, description="nps|csat|ces|sentiment"),
    filter: str | None = Query(None, max_length=500, description=FILTER_HELP),
    filters: Filters = Depends(parse_filters),
    principal: Principal = Depends(require("dashboards.read")),
    db: Session = Depends(get_db),
) -> Rows:
    """Key drivers: importance and performance per driver, with n (as ``cxloop analyze
    drivers --outcome --filter``)."""
    return _analysis(
        request, "drivers", filters, principal, db, {"outcome": outcome, "filter": filter}
    )


@router.get("/analyses/{name}", response_model=Rows)
def analysis(
    request: Request,
    name: str,
    filter: str | None = Query(None, max_length=500, description=FILTER_HELP),
    level: str | None = Query(
        None,
        pattern="^(all|top|leaf)$",
        description="opportunities: themes at one level (top-level or most specific)",
    ),
    filters: Filters = Depends(parse_filters),
    principal: Principal = Depends(require("dashboards.read")),
    db: Session = Depends(get_db),
) -> Rows:
    """Any analysis page's rows: drivers, segments, churn, sales, opportunities, alerts."""
    return _analysis(request, name, filters, principal, db, {"filter": filter, "level": level})
