"""Routing: which team or person owns a case, from the feedback's theme, stage, segment...

A routing table maps one value of one dimension (``theme = Delivery``, ``segment =
Enterprise``) to a team, a person, or both. Dimensions are tried in the order of
:data:`ROUTING_DIMENSIONS` (theme first: it says most about who can fix the problem), and within
a dimension by ``position``. A person without a team routes the case to that person's team.
Values match case-insensitively.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.errors import NotFoundError, ValidationError
from cxloop.people.teams import get_team
from cxloop.people.users import get_user
from cxloop.storage.models.loop import ROUTING_DIMENSIONS, RoutingEntry
from cxloop.storage.models.people import Team, User

#: The record field each dimension reads (``theme`` reads the list of theme names).
DIMENSION_FIELDS = {
    "theme": "themes",
    "journey_stage": "journey_stage",
    "touchpoint": "touchpoint",
    "segment": "segment",
    "region": "region",
    "channel": "channel",
}


@dataclass(frozen=True)
class Route:
    team_id: int | None
    user_id: int | None
    via: str | None  # e.g. "theme=Delivery"; None when nothing matched


def check_dimension(dimension: str) -> str:
    if dimension not in ROUTING_DIMENSIONS:
        raise ValidationError(
            f"unknown routing dimension {dimension!r}",
            hint="choose one of: " + ", ".join(ROUTING_DIMENSIONS),
            details={"field": "dimension"},
        )
    return dimension


def add_route(
    session: Session,
    dimension: str,
    value: str,
    *,
    team: str | None = None,
    user: str | None = None,
    position: int = 100,
) -> RoutingEntry:
    """Add or replace the entry for (dimension, value)."""
    check_dimension(dimension)
    if not value or not value.strip():
        raise ValidationError("a routing entry needs a value", details={"field": "value"})
    if not team and not user:
        raise ValidationError(
            "a routing entry needs a team or a user", hint="pass --team NAME or --user EMAIL"
        )
    team_row = get_team(session, team) if team else None
    user_row = get_user(session, user) if user else None
    entry = session.scalars(
        select(RoutingEntry).where(
            RoutingEntry.dimension == dimension, RoutingEntry.value == value.strip()
        )
    ).first()
    if entry is None:
        entry = RoutingEntry(dimension=dimension, value=value.strip())
        session.add(entry)
    entry.team_id = team_row.id if team_row else None
    entry.user_id = user_row.id if user_row else None
    entry.position = position
    session.flush()
    return entry


def remove_route(session: Session, dimension: str, value: str) -> None:
    entry = session.scalars(
        select(RoutingEntry).where(
            RoutingEntry.dimension == check_dimension(dimension), RoutingEntry.value == value
        )
    ).first()
    if entry is None:
        raise NotFoundError(f"no routing entry for {dimension}={value!r}")
    session.delete(entry)
    session.flush()


def list_routes(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(RoutingEntry, Team.name, User.email)
        .outerjoin(Team, Team.id == RoutingEntry.team_id)
        .outerjoin(User, User.id == RoutingEntry.user_id)
    ).all()
    order = {d: i for i, d in enumerate(ROUTING_DIMENSIONS)}
    rows = sorted(rows, key=lambda r: (order[r[0].dimension], r[0].position, r[0].id))
    return [
        {
            "dimension": e.dimension,
            "value": e.value,
            "team": team,
            "user": email,
            "position": e.position,
        }
        for e, team, email in rows
    ]


class Router:
    """The routing table loaded once, for routing many records without a query each."""

    def __init__(self, entries: Sequence[RoutingEntry], user_teams: Mapping[int, int | None]):
        order = {d: i for i, d in enumerate(ROUTING_DIMENSIONS)}
        self._by_dim: dict[str, dict[str, RoutingEntry]] = {d: {} for d in ROUTING_DIMENSIONS}
        for e in sorted(entries, key=lambda e: (order.get(e.dimension, 99), e.position, e.id)):
            self._by_dim.setdefault(e.dimension, {}).setdefault(e.value.strip().lower(), e)
        self._user_teams = dict(user_teams)

    @classmethod
    def load(cls, session: Session) -> Router:
        """Load the table; entries pointing at a deactivated person are skipped."""
        entries = list(session.scalars(select(RoutingEntry)).all())
        user_ids = {e.user_id for e in entries if e.user_id}
        teams: dict[int, int | None] = {}
        if user_ids:
            active = select(User.id, User.team_id).where(User.id.in_(user_ids), User.active)
            teams = dict(session.execute(active).tuples().all())
        entries = [e for e in entries if e.user_id is None or e.user_id in teams]
        return cls(entries, teams)

    def route(self, record: Mapping[str, Any]) -> Route:
        """The first matching entry for ``record`` (a feedback row as the rules see it)."""
        for dimension in ROUTING_DIMENSIONS:
            table = self._by_dim.get(dimension)
            if not table:
                continue
            value = record.get(DIMENSION_FIELDS[dimension])
            candidates: Iterable[Any] = value if isinstance(value, list | tuple) else [value]
            for candidate in candidates:
                if not isinstance(candidate, str):
                    continue
                entry = table.get(candidate.strip().lower())
                if entry is not None:
                    team_id = entry.team_id
                    if team_id is None and entry.user_id is not None:
                        team_id = self._user_teams.get(entry.user_id)
                    return Route(team_id, entry.user_id, f"{dimension}={entry.value}")
        return Route(None, None, None)
