"""Act through the API: the caller's cases, one case with its thread, and case actions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from cxloop.web.api.schemas import ERRORS
from cxloop.web.case_access import case_dict, case_in_scope, list_cases
from cxloop.web.deps import Principal, get_db, require

router = APIRouter(tags=["cases"], responses=ERRORS)


@router.get("/cases")
def cases(
    status: str | None = Query(None, max_length=30),
    mine: bool = Query(False, description="only cases assigned to me"),
    priority: str | None = Query(None, max_length=10),
    open_only: bool = Query(False, alias="open"),
    limit: int = Query(200, ge=1, le=1000),
    principal: Principal = Depends(require("cases.read")),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """Cases in the caller's scope (an agent's team, a manager's teams, everything for admins)."""
    rows = list_cases(
        db,
        principal.scope,
        status=status,
        priority=priority,
        open_only=open_only,
        mine_user_id=principal.user.id if mine else None,
        limit=limit,
    )
    return {"rows": [case_dict(c) for c in rows], "n": len(rows)}


@router.get("/cases/{case_id}")
def case(
    case_id: int,
    principal: Principal = Depends(require("cases.read")),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """One case with its events; 404 when it does not exist or is outside your scope."""
    from cxloop.web.case_thread import thread_for

    found = case_in_scope(db, case_id, principal.scope)
    return {**case_dict(found), "thread": thread_for(db, found)}
