"""Credentials: password checks, browser sessions, API tokens and login rate limiting.

Why these choices: passwords are argon2 hashes checked by the people service; session
cookies and API tokens are 256-bit random values of which only the SHA-256 is stored, so the
database alone cannot be used to sign in; failed sign-ins are counted per e-mail and per
address over a sliding window, which slows guessing without locking real users out for long.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxloop.errors import AuthenticationRequired, CxloopError, NotFoundError, PermissionDenied
from cxloop.people.users import authenticate
from cxloop.storage.models import User
from cxloop.storage.models.web import ApiToken, LoginAttempt, WebSession
from cxloop.storage.types import utcnow

SESSION_COOKIE = "cxloop_session"
SESSION_LIFETIME = timedelta(hours=12)
TOKEN_PREFIX = "cxl_"  # noqa: S105 - a public marker, not a secret
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 20
SCOPES = ("read", "write")


class TooManyAttempts(CxloopError):
    """Too many failed sign-ins in the window; the caller must wait."""

    http_status = 429


def digest(secret: str) -> str:
    """SHA-256 hex of a random secret (enough for high-entropy tokens; no salt needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _recent_failures(db: Session, *, email: str, ip: str | None) -> tuple[int, int]:
    since = utcnow() - LOGIN_WINDOW
    by_email = db.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.email == email, LoginAttempt.at >= since, ~LoginAttempt.success)
    )
    by_ip = 0
    if ip:
        by_ip = (
            db.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.ip == ip, LoginAttempt.at >= since, ~LoginAttempt.success)
            )
            or 0
        )
    return int(by_email or 0), int(by_ip)


def sign_in(db: Session, email: str, password: str, *, ip: str | None) -> User:
    """Check the credentials under the rate limit; every attempt is recorded.

    Raises ``TooManyAttempts`` (429) when the e-mail or the address failed too often in the
    last 15 minutes, and ``AuthenticationRequired`` (401) for a wrong e-mail or password
    (the same message for both, so it does not reveal which accounts exist).
    """
    email = email.strip().lower()
    by_email, by_ip = _recent_failures(db, email=email, ip=ip)
    if by_email >= MAX_FAILURES_PER_EMAIL or by_ip >= MAX_FAILURES_PER_IP:
        db.add(LoginAttempt(email=email, ip=ip, success=False, reason="rate limited"))
        raise TooManyAttempts(
            "too many failed sign-ins", hint="wait 15 minutes or ask an admin to reset it"
        )
    user = authenticate(db, email, password)
    db.add(LoginAttempt(email=email, ip=ip, success=user is not None))
    if user is None:
        raise AuthenticationRequired("wrong e-mail or password")
    return user


@dataclass(frozen=True)
class NewSession:
    cookie_value: str
    csrf_token: str


def open_session(db: Session, user: User, *, ip: str | None) -> NewSession:
    value = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        WebSession(
            token_hash=digest(value),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
            ip=ip,
        )
    )
    db.execute(delete(WebSession).where(WebSession.expires_at < now))
    return NewSession(value, csrf)


def session_for_cookie(db: Session, cookie_value: str | None) -> WebSession | None:
    if not cookie_value:
        return None
    found = db.get(WebSession, digest(cookie_value))
    if found is None or found.expires_at <= utcnow():
        return None
    return found


def close_session(db: Session, cookie_value: str | None) -> None:
    if cookie_value:
        db.execute(delete(WebSession).where(WebSession.token_hash == digest(cookie_value)))


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def create_token(db: Session, user: User, scope: str, *, name: str | None = None) -> IssuedToken:
    """Issue a bearer token; the clear value is returned once and never stored."""
    if scope not in SCOPES:
        raise PermissionDenied(f"scope {scope!r} is not one of {', '.join(SCOPES)}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id, name=name, prefix=secret[:12], token_hash=digest(secret), scope=scope
    )
    db.add(row)
    db.flush()
    return IssuedToken(row, secret)


def user_for_token(db: Session, secret: str) -> tuple[User, ApiToken]:
    """The active user and token behind a bearer value, or ``AuthenticationRequired``."""
    row = db.scalars(select(ApiToken).where(ApiToken.token_hash == digest(secret))).first()
    if row is None or row.revoked_at is not None:
        raise AuthenticationRequired("the API token is unknown or revoked")
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthenticationRequired("the API token's user is no longer active")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return user, row


def revoke_token(db: Session, token_id: int) -> ApiToken:
    row = db.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"no API token with id {token_id}", hint="see 'cxloop tokens list'")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def session_is_fresh(found: WebSession, now: datetime | None = None) -> bool:
    return found.expires_at > (now or utcnow())
