"""Administration: users and teams, and the audit log (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.errors import CxloopError
from cxloop.people.teams import create_team, list_teams
from cxloop.people.users import create_user, get_user_by_id, list_users, set_active
from cxloop.storage.models import ROLES
from cxloop.storage.models.web import ApiToken
from cxloop.web import audit
from cxloop.web.deps import Principal, client_ip, get_db, require
from cxloop.web.rendering import render

router = APIRouter(prefix="/admin")


def _users_page(
    request: Request,
    db: Session,
    *,
    error: str | None = None,
    flash: str | None = None,
    status: int = 200,
) -> Response:
    users = list_users(db)
    teams = list_teams(db)
    team_names = {t.id: t.name for t in teams}
    tokens = list(db.scalars(select(ApiToken).order_by(ApiToken.id.desc()).limit(200)))
    return render(
        request,
        "admin_users.html",
        {
            "users": users,
            "teams": teams,
            "team_names": team_names,
            "roles": ROLES,
            "tokens": tokens,
            "error": error,
            "flash": flash,
        },
        status_code=status,
    )


@router.get("/users")
def users_page(
    request: Request,
    principal: Principal = Depends(require("users.admin")),
    db: Session = Depends(get_db),
) -> Response:
    return _users_page(request, db)


@router.post("/users")
def add_user(
    request: Request,
    email: str = Form(..., max_length=320),
    role: str = Form(...),
    name: str = Form("", max_length=200),
    team: str = Form(""),
    password: str = Form("", max_length=1000),
    principal: Principal = Depends(require("users.admin")),
    db: Session = Depends(get_db),
) -> Response:
    try:
        user = create_user(
            db,
            email=email,
            role=role,
            team=team or None,
            name=name or None,
            password=password or None,
        )
    except CxloopError as exc:
        db.rollback()
        return _users_page(request, db, error=str(exc), status=exc.http_status)
    audit.record(
        db,
        user=principal.user,
        action="user.create",
        target_type="user",
        target_id=user.id,
        detail={"email": user.email, "role": role, "team": team},
        ip=client_ip(request),
    )
    db.commit()
    return RedirectResponse("/admin/users?created=1", status_code=303)


@router.post("/users/{user_id}/active")
def toggle_user(
    request: Request,
    user_id: int,
    active: str = Form(...),
    principal: Principal = Depends(require("users.admin")),
    db: Session = Depends(get_db),
) -> Response:
    user = get_user_by_id(db, user_id)
    set_active(db, user, active == "1")
    audit.record(
        db,
        user=principal.user,
        action="user.activate" if active == "1" else "user.deactivate",
        target_type="user",
        target_id=user.id,
        ip=client_ip(request),
    )
    db.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/teams")
def add_team(
    request: Request,
    name: str = Form(..., max_length=120),
    manager: str = Form(""),
    principal: Principal = Depends(require("users.admin")),
    db: Session = Depends(get_db),
) -> Response:
    try:
        team = create_team(db, name, manager_email=manager or None)
    except CxloopError as exc:
        db.rollback()
        return _users_page(request, db, error=str(exc), status=exc.http_status)
    audit.record(
        db,
        user=principal.user,
        action="team.create",
        target_type="team",
        target_id=team.id,
        detail={"name": team.name},
        ip=client_ip(request),
    )
    db.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/tokens/{token_id}/revoke")
def revoke(
    request: Request,
    token_id: int,
    principal: Principal = Depends(require("users.admin")),
    db: Session = Depends(get_db),
) -> Response:
    from cxloop.web.security import revoke_token

    token = revoke_token(db, token_id)
    audit.record(
        db,
        user=principal.user,
        action="token.revoke",
        target_type="api_token",
        target_id=token.id,
        ip=client_ip(request),
    )
    db.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit")
def audit_page(
    request: Request,
    action: str | None = Query(None, max_length=80),
    actor: str | None = Query(None, max_length=320),
    principal: Principal = Depends(require("audit.read")),
    db: Session = Depends(get_db),
) -> Response:
    entries = audit.recent(db, action=action or None, actor=actor or None)
    return render(
        request,
        "admin_audit.html",
        {"entries": entries, "action": action or "", "actor": actor or ""},
    )
