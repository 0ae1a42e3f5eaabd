"""Jinja2 rendering with autoescaping, the navigation for the caller's role, and number filters.

Autoescaping is on for every template, so customer words (which may contain ``<script>``)
always render as text. Templates never format a metric without its n: the ``metric`` filter
prints value, interval and n together, and says "too few answers" for suppressed groups.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

#: (path, label, permission) in menu order.
NAVIGATION: tuple[tuple[str, str, str], ...] = (
    ("/", "Overview", "dashboards.read"),
    ("/journey", "Journey map", "dashboards.read"),
    ("/themes", "Themes", "dashboards.read"),
    ("/verbatims", "Verbatims", "verbatims.read"),
    ("/analysis/drivers", "Drivers", "dashboards.read"),
    ("/analysis/segments", "Segments", "dashboards.read"),
    ("/analysis/churn", "Lost customers", "dashboards.read"),
    ("/analysis/sales", "Sales linkage", "dashboards.read"),
    ("/analysis/opportunities", "Opportunities", "dashboards.read"),
    ("/analysis/alerts", "Alerts", "dashboards.read"),
    ("/cases", "Cases", "cases.read"),
    ("/plans", "Action plans", "plans.read"),
    ("/taxonomy", "Taxonomy", "taxonomy.write"),
    ("/data", "Data sources", "data.write"),
    ("/admin/users", "Users and teams", "users.admin"),
    ("/admin/audit", "Audit log", "audit.read"),
)


def _fmt_metric(value: Any, unit: str = "") -> Markup:
    if not isinstance(value, dict):
        return Markup("—")
    n = value.get("n", 0)
    if value.get("value") is None:
        return Markup('<span class="muted">no data</span> <span class="n">n=0</span>')
    if value.get("suppressed"):
        return Markup(
            '<span class="muted">too few answers</span> <span class="n">n={}</span>'
        ).format(n)
    low, high = value.get("low"), value.get("high")
    interval = f" [{low}{unit}, {high}{unit}]" if low is not None and high is not None else ""
    return Markup(
        '<span class="value">{}{}</span><span class="ci">{}</span> <span class="n">n={:,}</span>'
    ).format(value["value"], unit, interval, n)


def _fmt_when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _tojson_attr(value: Any) -> str:
    """JSON for a ``data-*`` attribute (autoescaping makes it safe inside the quotes)."""
    from cxloop.cli.output import jsonable

    return json.dumps(jsonable(value), ensure_ascii=False)


def make_templates(folder: Path) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(folder))
    env = templates.env
    env.autoescape = True
    env.filters["metric"] = _fmt_metric
    env.filters["when"] = _fmt_when
    env.filters["jsonattr"] = _tojson_attr
    return templates


def nav_for(principal: Any) -> list[dict[str, str]]:
    if principal is None:
        return []
    return [
        {"path": path, "label": label}
        for path, label, permission in NAVIGATION
        if principal.can(permission)
    ]


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    full = {
        "principal": principal,
        "user": principal.user if principal is not None else None,
        "csrf_token": principal.csrf_token if principal is not None else "",
        "nav": nav_for(principal),
        "path": request.url.path,
        **context,
    }
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, full, status_code=status_code)
