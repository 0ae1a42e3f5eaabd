"""Dashboards: overview, journey map, themes explorer and verbatims.

Aggregates come from ``insights`` through the app's result cache, keyed by the filters and
the caller's data scope, so a segment-scoped user never receives another scope's figures.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from cxloop.analytics.themes import at_level
from cxloop.storage.models import Theme
from cxloop.web import insights, views
from cxloop.web.deps import Principal, get_db, require
from cxloop.web.filters import parse_filters
from cxloop.web.insights import Filters
from cxloop.web.rendering import render

router = APIRouter()


def cached(
    request: Request, principal: Principal, name: str, filters: Filters, compute: Any
) -> Any:
    key = (name, filters.key(), principal.scope.cache_key())
    return request.app.state.cache.get(key, compute)


def facets(request: Request, db: Session, principal: Principal) -> dict[str, list[str]]:
    return views.facets(request.app.state.cache, db, principal.scope)  # type: ignore[no-any-return]


@router.get("/")
def overview(
    request: Request,
    filters: Filters = Depends(parse_filters),
    principal: Principal = Depends(require("dashboards.read")),
    db: Session = Depends(get_db),
) -> Response:
    data = views.overview(request.app.state.cache, db, filters, principal.scope)
    return render(
        request,
        "overview.html",
        {"data": data, "filters": filters, "facets": facets(request, db, principal)},
    )


@router.get("/journey")
def journey(
    request: Request,
    filters: Filters = Depends(parse_filters),
    principal: Principal = Depends(require("dashboards.read")),
    db: Session = Depends(get_db),
) -> Response:
    data = views.journey(request.app.state.cache, db, filters, principal.scope)
    cells = {(c["stage"], c["touchpoint"]): c for c in data["cells"]}
    return render(
        request,
        "journey.html",
        {
            "data": data,
            "cells": cells,
            "filters": filters,
            "facets": facets(request, db, principal),
        },
    )


@router.get("/themes")
def themes(
    request: Request,
    filters: Filters = Depends(parse_filters),
    level: str = Query("all", pattern="^(all|top|leaf)$"),
    principal: Principal = Depends(require("dashboards.read")),
    db: Session = Depends(get_db),
) -> Response:
    rows = views.themes(request.app.state.cache, db, filters, principal.scope)
    ids = [r["theme_id"] for r in rows]  # all of them: the trends are cached per filter
    trends = views.theme_trend(request.app.state.cache, db, filters, principal.scope, ids)
    if level != "all":
        rows = at_level(rows, insights.theme_tree(db), level)
    return render(
        request,
        "themes.html",
        {
            "rows": rows,
            "trends": trends,
            "filters": filters,
            "level": level,
            "facets": facets(request, db, principal),
        },
    )


@router.get("/verbatims")
def verbatims(
    request: Request,
    filters: Filters = Depends(parse_filters),
    offset: int = Query(0, ge=0, le=1_000_000),
    principal: Principal = Depends(require("verbatims.read")),
    db: Session = Depends(get_db),
) -> Response:
    limit = 50
    rows = views.verbatims(
        request.app.state.cache, db, filters, principal.scope, limit=limit, offset=offset
    )
    total = None
    if not filters.q:
        total = views.count(request.app.state.cache, db, filters, principal.scope)
    theme_name = None
    if filters.theme is not None:
        theme = db.get(Theme, filters.theme)
        theme_name = theme.name if theme is not None else None
    return render(
        request,
        "verbatims.html",
        {
            "rows": rows,
            "filters": filters,
            "total": total,
            "offset": offset,
            "limit": limit,
            "theme_name": theme_name,
        },
    )
