"""Cases inbox and case detail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.errors import CxloopError
from cxloop.storage.models import Team, User
from cxloop.storage.models.loop import CASE_STATUSES, Case
from cxloop.web import case_actions
from cxloop.web.case_access import case_in_scope, list_cases, sla_state
from cxloop.web.case_thread import thread_for
from cxloop.web.deps import Principal, client_ip, get_db, get_settings, require
from cxloop.web.rendering import render

router = APIRouter()


@router.get("/cases")
def inbox(
    request: Request,
    view: str = Query("team", pattern="^(mine|team|all)$"),
    status: str | None = Query(None, max_length=30),
    priority: str | None = Query(None, max_length=10),
    principal: Principal = Depends(require("cases.read")),
    db: Session = Depends(get_db),
) -> Response:
    rows = list_cases(
        db,
        principal.scope,
        status=status or None,
        priority=priority or None,
        mine_user_id=principal.user.id if view == "mine" else None,
        open_only=not status,
    )
    teams = {t.id: t.name for t in db.scalars(select(Team))}
    users = {u.id: u.email for u in db.scalars(select(User))}
    return render(
        request,
        "cases.html",
        {
            "rows": [(c, sla_state(c)) for c in rows],
            "view": view,
            "status": status or "",
            "priority": priority or "",
            "teams": teams,
            "users": users,
        },
    )


@router.get("/cases/{case_id}")
def detail(
    request: Request,
    case_id: int,
    principal: Principal = Depends(require("cases.read")),
    db: Session = Depends(get_db),
) -> Response:
    case = case_in_scope(db, case_id, principal.scope)
    return _detail_page(request, db, principal, case)


def _detail_page(
    request: Request,
    db: Session,
    principal: Principal,
    case: Case,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    teams = {t.id: t.name for t in db.scalars(select(Team))}
    users = {u.id: u.email for u in db.scalars(select(User))}
    assignable = [
        u.email
        for u in db.scalars(
            select(User).where(User.active, User.role.in_(("admin", "manager", "agent")))
        )
    ]
    context = {
        "assignable": assignable,
        "case": case,
        "sla": sla_state(case),
        "thread": thread_for(db, case),
        "teams": teams,
        "users": users,
        "can_act": principal.can("cases.act"),
        "statuses": _statuses(),
        "error": error,
    }
    return render(request, "case.html", context, status_code=status)


def _statuses() -> list[str]:
    return list(CASE_STATUSES)


def _act(request: Request, db: Session, principal: Principal, case_id: int, run: Any) -> Response:
    """Run one case action; a refused action re-renders the case with the reason."""
    case = case_in_scope(db, case_id, principal.scope)
    try:
        run(case)
    except CxloopError as exc:
        db.rollback()
        case = case_in_scope(db, case_id, principal.scope)
        return _detail_page(request, db, principal, case, error=str(exc), status=exc.http_status)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/reply")
def reply(
    request: Request,
    case_id: int,
    body: str = Form(..., max_length=20000),
    principal: Principal = Depends(require("cases.act")),
    db: Session = Depends(get_db),
) -> Response:
    settings = get_settings(request)
    return _act(
        request,
        db,
        principal,
        case_id,
        lambda case: case_actions.reply(db, settings, principal, case, body, ip=client_ip(request)),
    )


@router.post("/cases/{case_id}/note")
def note(
    request: Request,
    case_id: int,
    body: str = Form(..., max_length=20000),
    principal: Principal = Depends(require("cases.act")),
    db: Session = Depends(get_db),
) -> Response:
    return _act(
        request,
        db,
        principal,
        case_id,
        lambda case: case_actions.note(db, principal, case, body, ip=client_ip(request)),
    )


@router.post("/cases/{case_id}/status")
def status(
    request: Request,
    case_id: int,
    status: str = Form(..., max_length=30),
    resolution_code: str = Form("", max_length=120),
    root_cause: str = Form("", max_length=120),
    principal: Principal = Depends(require("cases.act")),
    db: Session = Depends(get_db),
) -> Response:
    return _act(
        request,
        db,
        principal,
        case_id,
        lambda case: case_actions.change_status(
            db,
            principal,
            case,
            status,
            resolution_code=resolution_code or None,
            root_cause=root_cause or None,
            ip=client_ip(request),
        ),
    )


@router.post("/cases/{case_id}/assign")
def assign(
    request: Request,
    case_id: int,
    assignee: str = Form("", max_length=320),
    team: str = Form("", max_length=120),
    principal: Principal = Depends(require("cases.act")),
    db: Session = Depends(get_db),
) -> Response:
    return _act(
        request,
        db,
        principal,
        case_id,
        lambda case: case_actions.assign(
            db,
            principal,
            case,
            user_email=assignee or None,
            team_name=team or None,
            ip=client_ip(request),
        ),
    )


@router.get("/followup")
def followup_form(request: Request, token: str = Query(..., max_length=500)) -> Response:
    """The page a customer's follow-up link opens (no account needed)."""
    return render(request, "followup.html", {"token": token, "done": False, "error": None})


@router.post("/followup")
def followup_submit(
    request: Request,
    token: str = Form(..., max_length=500),
    answer: str = Form(..., max_length=20),
    comment: str = Form("", max_length=4000),
    db: Session = Depends(get_db),
) -> Response:
    from cxloop.loop.followup import answer_followup
    from cxloop.web import audit

    try:
        followup = answer_followup(
            db, get_settings(request), token, answer, comment=comment or None
        )
    except CxloopError as exc:
        db.rollback()
        return render(
            request,
            "followup.html",
            {"token": token, "done": False, "error": exc.message},
            status_code=exc.http_status,
        )
    audit.record(
        db,
        user=None,
        via="web",
        action="followup.answer",
        target_type="case",
        target_id=followup.case_id,
        ip=client_ip(request),
        actor="customer",
        detail={"score": followup.score, "resolved": followup.resolved},
    )
    db.commit()
    return render(request, "followup.html", {"token": None, "done": True, "error": None})
