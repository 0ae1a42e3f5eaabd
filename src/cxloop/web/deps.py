"""What every route gets injected: settings, a database session and the signed-in principal.

Nothing here is a global: the app factory stores settings, the engine and the session maker
on ``app.state`` and these dependencies read them from the request. A principal comes from a
bearer token (API clients) or a session cookie (browsers); a cookie-authenticated request that
changes data must also carry the session's CSRF token (form field or ``X-CSRF-Token``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cxloop.config import Settings
from cxloop.errors import AuthenticationRequired, PermissionDenied
from cxloop.storage.models import User
from cxloop.web.permissions import WRITE_PERMISSIONS, DataScope, allowed, scope_for
from cxloop.web.security import SESSION_COOKIE, csrf_matches, session_for_cookie, user_for_token

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfFailed(PermissionDenied):
    """The form or request did not carry this session's CSRF token."""


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def get_db(request: Request) -> Iterator[Session]:
    """A session per request; routes commit their writes explicitly, the rest rolls back."""
    db: Session = request.app.state.sessionmaker()
    try:
        yield db
    finally:
        db.close()


@dataclass
class Principal:
    """The caller: a user, how they came in (web or api) and what they may touch."""

    user: User
    via: str
    scope: DataScope
    access: str | None = None
    csrf_token: str | None = None

    @property
    def role(self) -> str:
        return self.user.role

    def can(self, permission: str) -> bool:
        if not allowed(self.user.role, permission):
            return False
        return not (self.access == "read" and permission in WRITE_PERMISSIONS)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _csrf_from_request(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


async def get_principal(request: Request, db: Session = Depends(get_db)) -> Principal:
    """Resolve the caller or raise 401; cookie writes without a valid CSRF token get 403."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user, token = user_for_token(db, auth[7:].strip())
        db.commit()
        principal = Principal(user, "api", scope_for(db, user), access=token.scope)
        request.state.principal = principal
        return principal
    found = session_for_cookie(db, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise AuthenticationRequired("sign in first", hint="open /login or send a bearer token")
    account = db.get(User, found.user_id)
    if account is None or not account.active:
        raise AuthenticationRequired("this account is no longer active")
    if request.method in UNSAFE_METHODS and not csrf_matches(
        found.csrf_token, await _csrf_from_request(request)
    ):
        raise CsrfFailed(
            "the form is missing its security token or it has expired",
            hint="reload the page and submit again",
        )
    principal = Principal(account, "web", scope_for(db, account), csrf_token=found.csrf_token)
    request.state.principal = principal
    return principal


async def optional_principal(request: Request, db: Session = Depends(get_db)) -> Principal | None:
    try:
        return await get_principal(request, db)
    except AuthenticationRequired:
        return None


def require(permission: str) -> Callable[..., Principal]:
    """A dependency that admits only callers holding ``permission`` (else 403)."""

    def check(principal: Principal = Depends(get_principal)) -> Principal:
        if not principal.can(permission):
            if principal.access == "read" and allowed(principal.role, permission):
                raise PermissionDenied(
                    "this API token is read-only", hint="create a token with --scope write"
                )
            raise PermissionDenied(
                f"the {principal.role} role may not do this ({permission})",
                hint="ask an admin for a role that may",
            )
        return principal

    check.__name__ = f"require_{permission.replace('.', '_')}"
    return check
