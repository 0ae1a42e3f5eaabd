"""Act through the API: the caller's cases, one case with its thread, and case actions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from cxloop.storage.models.loop import CASE_PRIORITIES, CASE_STATUSES, Case
from cxloop.web import case_actions
from cxloop.web.api.schemas import ERRORS
from cxloop.web.case_access import case_dict, case_in_scope, list_cases
from cxloop.web.deps import Principal, client_ip, get_db, get_settings, require

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


class ReplyBody(BaseModel):
    body: str = Field(..., min_length=1, max_length=20000)
    wait_on_customer: bool = False


class NoteBody(BaseModel):
    body: str = Field(..., min_length=1, max_length=20000)


class StatusBody(BaseModel):
    status: str = Field(..., description=", ".join(CASE_STATUSES))
    resolution_code: str | None = Field(None, max_length=120)
    root_cause: str | None = Field(None, max_length=120)
    reason: str | None = Field(None, max_length=2000)


class AssignBody(BaseModel):
    user: str | None = Field(None, description="assignee e-mail")
    team: str | None = Field(None, description="team name")


class PriorityBody(BaseModel):
    priority: str = Field(..., description=", ".join(CASE_PRIORITIES))


def _acting(request: Request, case_id: int, principal: Principal, db: Session) -> Case:
    return case_in_scope(db, case_id, principal.scope)


@router.post("/cases/{case_id}/reply")
def reply(
    request: Request,
    case_id: int,
    payload: ReplyBody,
    principal: Principal = Depends(require("cases.act")),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """E-mail the customer (queued in the outbox) and record it on the case."""
    case = _acting(request, case_id, principal, db)
    return case_actions.reply(
        db,
        get_settings(request),
        principal,
        case,
        payload.body,
        wait_on_customer=payload.wait_on_customer,
        ip=client_ip(request),
    )


@router.post("/cases/{case_id}/notes")
def add_note(
    request: Request,
    case_id: int,
    payload: NoteBody,
    principal: Principal = Depends(require("cases.act")),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """An internal note (never sent to the customer)."""
    case = _acting(request, case_id, principal, db)
    return case_actions.note(db, principal, case, payload.body, ip=client_ip(request))


@router.post("/cases/{case_id}/status")
def set_status(
    request: Request,
    case_id: int,
    payload: StatusBody,
    principal: Principal = Depends(require("cases.act")),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """Move the case along its lifecycle (409 when the move is not allowed)."""
    case = _acting(request, case_id, principal, db)
    return case_actions.change_status(
        db,
        principal,
        case,
        payload.status,
        resolution_code=payload.resolution_code,
        root_cause=payload.root_cause,
        reason=payload.reason,
        ip=client_ip(request),
    )


@router.post("/cases/{case_id}/assign")
def assign(
    request: Request,
    case_id: int,
    payload: AssignBody,
    principal: Principal = Depends(require("cases.act")),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """Assign to a person and/or a team."""
    case = _acting(request, case_id, principal, db)
    return case_actions.assign(
        db, principal, case, user_email=payload.user, team_name=payload.team, ip=client_ip(request)
    )


@router.post("/cases/{case_id}/priority")
def set_priority(
    request: Request,
    case_id: int,
    payload: PriorityBody,
    principal: Principal = Depends(require("cases.act")),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    case = _acting(request, case_id, principal, db)
    return case_actions.priority(db, principal, case, payload.priority, ip=client_ip(request))
