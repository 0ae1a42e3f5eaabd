"""Accounts: create, find, list, change password, and authenticate.

E-mail addresses are stored lower-case and compared that way, so ``Ana@Example.com`` and
``ana@example.com`` are one person. Roles come from :data:`cxloop.storage.models.people.ROLES`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.errors import ConflictError, NotFoundError, ValidationError
from cxloop.people.passwords import hash_password, needs_rehash, verify_password
from cxloop.people.teams import get_team
from cxloop.storage.models.people import ROLES, Team, User

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    value = (email or "").strip().lower()
    if not _EMAIL.match(value) or len(value) > 320:
        raise ValidationError(f"{email!r} is not an e-mail address", details={"field": "email"})
    return value


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(
            f"unknown role {role!r}",
            hint="choose one of: " + ", ".join(ROLES),
            details={"field": "role"},
        )
    return role


def create_user(
    session: Session,
    *,
    email: str,
    role: str,
    team: str | None = None,
    name: str | None = None,
    password: str | None = None,
    scope: dict | None = None,
) -> User:
    """Add an account; a user without a password exists for routing but cannot sign in."""
    address = normalise_email(email)
    check_role(role)
    if find_user(session, address) is not None:
        raise ConflictError(f"a user {address} already exists", hint="pick another e-mail")
    team_row: Team | None = get_team(session, team) if team else None
    user = User(
        email=address,
        role=role,
        name=name,
        team_id=team_row.id if team_row else None,
        password_hash=hash_password(password) if password else None,
        scope=scope or {},
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalars(
        select(User).where(func.lower(User.email) == (email or "").strip().lower())
    ).first()


def get_user(session: Session, email: str) -> User:
    """The user with this e-mail, or a NotFoundError that says how to create one."""
    user = find_user(session, email)
    if user is None:
        raise NotFoundError(
            f"no user with e-mail {email!r}",
            hint=f"create one with: cxloop users create --email {email} --role agent",
        )
    return user


def get_user_by_id(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    return user


def list_users(session: Session, *, team: str | None = None) -> Sequence[User]:
    query = select(User).order_by(User.email)
    if team:
        query = query.where(User.team_id == get_team(session, team).id)
    return session.scalars(query).all()


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    user.active = active
    session.flush()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user whose password matches, else None (same work either way).

    A successful sign-in upgrades the stored hash when the hashing parameters changed.
    """
    user = find_user(session, email) if email else None
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.active:
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
