"""Cases inbox and case detail."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.storage.models import Team, User
from cxloop.web.case_access import case_in_scope, list_cases, sla_state
from cxloop.web.case_thread import thread_for
from cxloop.web.deps import Principal, get_db, require
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
    teams = {t.id: t.name for t in db.scalars(select(Team))}
    users = {u.id: u.email for u in db.scalars(select(User))}
    return render(
        request,
        "case.html",
        {
            "case": case,
            "sla": sla_state(case),
            "thread": thread_for(db, case),
            "teams": teams,
            "users": users,
            "can_act": principal.can("cases.act"),
            "statuses": _statuses(),
        },
    )


def _statuses() -> list[str]:
    try:
        from cxloop.loop import cases as service

        found = getattr(service, "STATUSES", None)
        if found:
            return list(found)
    except ImportError:
        pass
    return ["new", "open", "waiting_customer", "resolved", "closed"]
