"""Who may do what: one table of permissions per role, and the data scope of a user.

The table is the single source of truth for pages, API routes and the authorization-matrix
test. Row-level scoping is separate: an agent sees the cases of their team, a manager those of
the teams they manage, and ``user.scope`` (e.g. {"segment": ["SMB"], "region": ["North"]})
narrows every feedback query to those customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.storage.models import Team, User

#: permission -> roles that hold it.
PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboards.read": frozenset({"admin", "analyst", "manager", "agent", "viewer"}),
    "verbatims.read": frozenset({"admin", "analyst", "manager", "agent", "viewer"}),
    "cases.read": frozenset({"admin", "analyst", "manager", "agent"}),
    "cases.act": frozenset({"admin", "manager", "agent"}),
    "plans.read": frozenset({"admin", "analyst", "manager", "agent", "viewer"}),
    "plans.write": frozenset({"admin", "analyst", "manager"}),
    "data.write": frozenset({"admin", "analyst"}),
    "taxonomy.write": frozenset({"admin", "analyst"}),
    "users.admin": frozenset({"admin"}),
    "audit.read": frozenset({"admin"}),
    "webhook.mail": frozenset({"admin", "analyst", "manager", "agent"}),
}

#: Permissions that change data; an API token with scope ``read`` may never use them.
WRITE_PERMISSIONS = frozenset(
    {"cases.act", "plans.write", "data.write", "taxonomy.write", "users.admin", "webhook.mail"}
)


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS.get(permission, frozenset())


@dataclass(frozen=True)
class DataScope:
    """The rows a user may see. ``None`` for a dimension means no restriction."""

    segments: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None
    #: team ids whose cases are visible; ``None`` means all teams.
    case_teams: tuple[int, ...] | None = None
    user_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def restricts_customers(self) -> bool:
        return self.segments is not None or self.regions is not None

    def cache_key(self) -> str:
        return f"s={self.segments}|r={self.regions}"


def _values(scope: dict[str, Any], key: str) -> tuple[str, ...] | None:
    raw = scope.get(key) or scope.get(key + "s")
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = [raw]
    return tuple(str(v) for v in raw)


def scope_for(db: Session, user: User) -> DataScope:
    """Compute the user's data scope from role, team membership and ``user.scope``."""
    raw = user.scope or {}
    segments = _values(raw, "segment")
    regions = _values(raw, "region")
    case_teams: tuple[int, ...] | None
    if user.role in ("admin", "analyst"):
        case_teams = None
    elif user.role == "manager":
        managed = set(db.scalars(select(Team.id).where(Team.manager_id == user.id)))
        if user.team_id is not None:
            managed.add(user.team_id)
        case_teams = tuple(sorted(managed))
    elif user.role == "agent":
        case_teams = (user.team_id,) if user.team_id is not None else ()
    else:
        case_teams = ()
    return DataScope(segments=segments, regions=regions, case_teams=case_teams, user_id=user.id)
