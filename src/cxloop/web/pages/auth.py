"""Sign-in and sign-out.

The sign-in form is protected against login CSRF with a double-submit token (a random cookie
that the form must echo), because there is no session yet to hold a token. Successful sign-in
rotates to a fresh server-side session; the cookie is HTTP-only, SameSite=Lax, and Secure when
the app is served over HTTPS.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.errors import AuthenticationRequired
from cxloop.web.audit import record
from cxloop.web.deps import Principal, client_ip, get_db, get_principal, get_settings
from cxloop.web.rendering import render
from cxloop.web.security import (
    SESSION_COOKIE,
    SESSION_LIFETIME,
    TooManyAttempts,
    close_session,
    csrf_matches,
    open_session,
    sign_in,
)

router = APIRouter()
LOGIN_CSRF_COOKIE = "cxloop_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only local paths, so the sign-in page cannot be used as an open redirect."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _secure(request: Request) -> bool:
    settings = get_settings(request)
    return request.url.scheme == "https" or settings.base_url.startswith("https://")


def login_page(
    request: Request, *, error: str | None, email: str | None, next_url: str, status: int = 200
) -> Response:
    token = secrets.token_urlsafe(24)
    oidc = getattr(request.app.state, "oidc_settings", None)
    sso = oidc.label if oidc is not None and oidc.enabled else None
    response = render(
        request,
        "login.html",
        {"error": error, "email": email, "next": next_url, "login_csrf": token, "sso": sso},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=3600,
    )
    return response


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    """HTTP-only, SameSite=Lax, Secure over HTTPS; lives as long as the server-side session."""
    response.set_cookie(
        SESSION_COOKIE,
        value,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
    )


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return login_page(request, error=None, email=None, next_url=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    email: str = Form(..., max_length=320),
    password: str = Form(..., max_length=1000),
    csrf_token: str = Form(""),
    next: str = Form("/"),
    db: Session = Depends(get_db),
) -> Response:
    next_url = _safe_next(next)
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return login_page(
            request,
            error="The form expired; please sign in again.",
            email=email,
            next_url=next_url,
            status=403,
        )
    ip = client_ip(request)
    try:
        user = sign_in(db, email, password, ip=ip)
    except TooManyAttempts as exc:
        db.commit()
        return login_page(
            request, error=f"{exc.message}; {exc.hint}.", email=email, next_url=next_url, status=429
        )
    except AuthenticationRequired as exc:
        db.commit()
        return login_page(request, error=exc.message, email=email, next_url=next_url, status=401)
    new = open_session(db, user, ip=ip)
    record(db, user=user, action="auth.login", target_type="user", target_id=user.id, ip=ip)
    db.commit()
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(request, response, new.cookie_value)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request,
    principal: Principal = Depends(get_principal),
    db: Session = Depends(get_db),
) -> Response:
    close_session(db, request.cookies.get(SESSION_COOKIE))
    record(
        db,
        user=principal.user,
        action="auth.logout",
        target_type="user",
        target_id=principal.user.id,
        ip=client_ip(request),
    )
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
