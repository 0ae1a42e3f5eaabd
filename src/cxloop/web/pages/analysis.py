"""Analysis pages: one template for drivers, segments, lost customers, sales, opportunities,
alerts (rows, method, chart, links to verbatims)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from cxloop.errors import CxloopError, NotFoundError
from cxloop.web.analyses import VIEWS, chart_for, table_columns, view_runner
from cxloop.web.deps import Principal, get_db, require
from cxloop.web.filters import parse_filters
from cxloop.web.insights import Filters
from cxloop.web.pages.dashboards import facets
from cxloop.web.rendering import render

router = APIRouter()
log = logging.getLogger(__name__)


@router.get("/analysis/{slug}")
def analysis_page(
    request: Request,
    slug: str,
    filters: Filters = Depends(parse_filters),
    level: str = Query("all", pattern="^(all|top|leaf)$"),
    principal: Principal = Depends(require("dashboards.read")),
    db: Session = Depends(get_db),
) -> Response:
    view = VIEWS.get(slug)
    if view is None:
        raise NotFoundError(f"no analysis page {slug!r}")
    level = level if view.levels else "all"
    extra = {"level": level} if level != "all" else None
    error = None
    result: dict = {"rows": [], "method": None}
    try:
        key = (f"analysis:{slug}:{level}", filters.key(), principal.scope.cache_key())
        result = request.app.state.cache.get(
            key, view_runner(request, db, view, filters, principal.scope, extra)
        )
    except CxloopError as exc:
        error = exc.message + (f" ({exc.hint})" if exc.hint else "")
    except Exception:  # a failing analysis must not take the page down; the log has it
        log.exception("analysis %s failed", slug)
        error = "this analysis failed unexpectedly; the server log has the details"
    rows = result["rows"]
    columns = table_columns(rows)
    return render(
        request,
        "analysis.html",
        {
            "view": view,
            "rows": rows,
            "columns": columns,
            "method": result.get("method"),
            "chart": chart_for(slug, rows),
            "caveats": result.get("caveats") or [],
            "error": error,
            "filters": filters,
            "level": level,
            "facets": facets(request, db, principal),
        },
    )
