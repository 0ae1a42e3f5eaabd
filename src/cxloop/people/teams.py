"""Teams: a name, a manager (who is told when an SLA is breached) and business hours."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.errors import ConflictError, NotFoundError, ValidationError
from cxloop.people.hours import BusinessHours
from cxloop.storage.models.people import Team, User


def create_team(
    session: Session,
    name: str,
    *,
    manager_email: str | None = None,
    hours: BusinessHours | None = None,
) -> Team:
    clean = (name or "").strip()
    if not clean or len(clean) > 120:
        raise ValidationError("a team needs a name of 1-120 characters", details={"field": "name"})
    if find_team(session, clean) is not None:
        raise ConflictError(f"a team {clean!r} already exists")
    team = Team(name=clean, business_hours=(hours or BusinessHours()).to_dict())
    session.add(team)
    session.flush()
    if manager_email:
        set_manager(session, team, manager_email)
    return team


def find_team(session: Session, name: str) -> Team | None:
    return session.scalars(
        select(Team).where(func.lower(Team.name) == (name or "").strip().lower())
    ).first()


def get_team(session: Session, name: str) -> Team:
    team = find_team(session, name)
    if team is None:
        raise NotFoundError(
            f"no team named {name!r}", hint=f"create it with: cxloop teams create {name}"
        )
    return team


def list_teams(session: Session) -> Sequence[Team]:
    return session.scalars(select(Team).order_by(Team.name)).all()


def set_manager(session: Session, team: Team, manager_email: str) -> User:
    """Make an existing user the team's manager (the person SLA breaches escalate to)."""
    from cxloop.people.users import get_user

    manager = get_user(session, manager_email)
    team.manager_id = manager.id
    session.flush()
    return manager


def set_hours(session: Session, team: Team, hours: BusinessHours) -> None:
    team.business_hours = hours.to_dict()
    session.flush()


def manager_of(session: Session, team: Team | None) -> User | None:
    if team is None or team.manager_id is None:
        return None
    return session.get(User, team.manager_id)


def hours_of(team: Team | None) -> BusinessHours:
    return BusinessHours.from_dict(team.business_hours if team else None)
