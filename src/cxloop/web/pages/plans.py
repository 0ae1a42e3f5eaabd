"""Action plans with their measured impact, and the CX plan's gaps per journey stage.

Impact estimates (difference-in-differences over the feedback frame) take a second or more, so
they go through the result cache like every other aggregate; each row links to the verbatims
of the themes and stages the initiative addresses.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.errors import CxloopError
from cxloop.storage.models import Theme
from cxloop.web.deps import Principal, get_db, get_engine, require
from cxloop.web.insights import Filters
from cxloop.web.rendering import render

router = APIRouter()


def initiatives_with_impact(request: Request, db: Session) -> list[dict[str, Any]]:
    """Every initiative with its summary and impact estimate (cached until new data)."""
    from cxloop.plans.initiatives import estimate_impact, initiative_summary, list_initiatives

    def compute() -> list[dict[str, Any]]:
        themes = {t.name: t.id for t in db.scalars(select(Theme))}
        out = []
        for initiative in list_initiatives(db):
            row = initiative_summary(db, initiative)
            try:
                impact = estimate_impact(get_engine(request), initiative)
                row["impact"] = {
                    "status": impact.status,
                    "effect": impact.effect,
                    "low": impact.ci_low,
                    "high": impact.ci_high,
                    "p_value": impact.p_value,
                    "verdict": impact.verdict,
                    "reason": impact.reason,
                    "method": impact.method,
                    "cells": impact.cells,
                    "n": sum(int(c.get("n", 0)) for c in impact.cells),
                }
            except CxloopError as exc:
                row["impact"] = {"status": "not_estimable", "reason": exc.message}
            theme_ids = [themes[t] for t in initiative.themes if t in themes]
            params: dict[str, Any] = {}
            if theme_ids:
                params["theme"] = theme_ids[0]
            if initiative.stages:
                params["stage"] = initiative.stages[0]
            row["link"] = "/verbatims?" + urlencode(params)
            out.append(row)
        return out

    key = ("initiatives", (), "all")
    return request.app.state.cache.get(key, compute)  # type: ignore[no-any-return]


@router.get("/plans")
def plans(
    request: Request,
    principal: Principal = Depends(require("plans.read")),
    db: Session = Depends(get_db),
) -> Response:
    rows = initiatives_with_impact(request, db)
    chart = [
        {
            "label": r["name"],
            "value": _round(r["impact"].get("effect")),
            "low": _round(r["impact"].get("low")),
            "high": _round(r["impact"].get("high")),
            "n": r["impact"].get("n"),
            "link": r["link"],
        }
        for r in rows
        if r["impact"].get("effect") is not None
    ]
    return render(request, "plans.html", {"rows": rows, "chart": chart})


def _round(value: Any) -> Any:
    return round(float(value), 2) if isinstance(value, int | float) else None


def gaps(request: Request, db: Session) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from cxloop.plans.cxplan import plan_gaps

    def compute() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        return plan_gaps(get_engine(request), db)

    return request.app.state.cache.get(("plan_gaps", (), "all"), compute)  # type: ignore[no-any-return]


@router.get("/plans/gaps")
def plan_gaps_page(
    request: Request,
    principal: Principal = Depends(require("plans.read")),
    db: Session = Depends(get_db),
) -> Response:
    error = None
    rows: list[dict[str, Any]] = []
    params: dict[str, Any] = {}
    try:
        rows, params = gaps(request, db)
    except CxloopError as exc:
        error = f"{exc.message}" + (f" ({exc.hint})" if exc.hint else "")
    chart = [
        {
            "label": f"{r['stage']} · {r['metric']}",
            "value": r.get("current"),
            "low": None
            if r.get("ci_low") is None
            else round(r["current"] - r["gap"] + r["ci_low"], 2),
            "high": None
            if r.get("ci_high") is None
            else round(r["current"] - r["gap"] + r["ci_high"], 2),
            "target": r["target"],
            "n": r["n"],
            "link": "/verbatims?" + Filters(stage=r["stage"]).query_string(),
        }
        for r in rows
    ]
    return render(
        request, "plan_gaps.html", {"rows": rows, "params": params, "error": error, "chart": chart}
    )
