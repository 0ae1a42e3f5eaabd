"""The audit log: every write through the web app or the API is recorded here.

Entries are added in the same transaction as the change they describe, so a write that rolls
back leaves no entry and an entry never describes a write that did not happen. Details never
hold secrets (passwords, token values) — only ids, counts and field names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.storage.models import User
from cxloop.storage.models.web import AuditEntry


def record(
    db: Session,
    *,
    user: User | None,
    action: str,
    via: str = "web",
    target_type: str | None = None,
    target_id: object | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    actor: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        actor=actor or (user.email if user is not None else "anonymous"),
        via=via,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        detail=detail or {},
        ip=ip,
    )
    db.add(entry)
    return entry


def recent(
    db: Session, *, limit: int = 200, action: str | None = None, actor: str | None = None
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return list(db.scalars(query))
