"""Act and prove through the API: action plans with their measured impact, and CX plan gaps."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from cxloop.cli.output import jsonable
from cxloop.web.api.schemas import ERRORS, Rows
from cxloop.web.deps import Principal, get_db, require
from cxloop.web.pages.plans import gaps, initiatives_with_impact

router = APIRouter(tags=["plans"], responses=ERRORS)


@router.get("/actions", response_model=Rows)
def actions(
    request: Request,
    principal: Principal = Depends(require("plans.read")),
    db: Session = Depends(get_db),
) -> Rows:
    """Initiatives (owner, themes, stages, baseline, target) with the estimated impact."""
    rows = initiatives_with_impact(request, db)
    return Rows(
        analysis="actions",
        params={},
        rows=jsonable(rows),
        method="difference-in-differences against a comparison group, 95% interval",
    )


@router.get("/plan/gaps", response_model=Rows)
def plan_gaps(
    request: Request,
    principal: Principal = Depends(require("plans.read")),
    db: Session = Depends(get_db),
) -> Rows:
    """The CX plan's target per stage against the measured score, with the gap's interval."""
    rows, params = gaps(request, db)
    return Rows(
        analysis="plan_gaps",
        params=jsonable(params),
        rows=jsonable(rows),
        method=str(params.get("method", "")),
    )
