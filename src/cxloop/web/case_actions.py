"""Case actions from the web and the API: one function per action, each calling the loop
service, recording the audit entry, and committing — so both entry points behave the same.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cxloop.config import Settings
from cxloop.errors import ValidationError
from cxloop.loop import cases as service
from cxloop.storage.models.loop import CASE_PRIORITIES, CASE_STATUSES, Case
from cxloop.web import audit
from cxloop.web.deps import Principal

ACTIONS = ("reply", "note", "status", "resolve", "assign", "priority")


def _audit(
    db: Session,
    principal: Principal,
    case: Case,
    action: str,
    ip: str | None,
    detail: dict[str, Any],
) -> None:
    audit.record(
        db,
        user=principal.user,
        via=principal.via,
        action=f"case.{action}",
        target_type="case",
        target_id=case.id,
        detail=detail,
        ip=ip,
    )


def reply(
    db: Session,
    settings: Settings,
    principal: Principal,
    case: Case,
    body: str,
    *,
    wait_on_customer: bool = False,
    ip: str | None = None,
) -> dict[str, Any]:
    from cxloop.loop.dialogue import send_reply

    sent = send_reply(
        db, settings, case, body=body, actor=principal.user, wait_on_customer=wait_on_customer
    )
    _audit(
        db,
        principal,
        case,
        "reply",
        ip,
        {"message_id": sent.message_id, "outbox_id": sent.outbox_id},
    )
    db.commit()
    return {"message_id": sent.message_id, "outbox_id": sent.outbox_id, "subject": sent.subject}


def note(
    db: Session, principal: Principal, case: Case, body: str, *, ip: str | None = None
) -> dict[str, Any]:
    event = service.add_note(db, case, body, principal.user)
    db.flush()
    _audit(db, principal, case, "note", ip, {"event_id": event.id})
    db.commit()
    return {"event_id": event.id}


def change_status(
    db: Session,
    principal: Principal,
    case: Case,
    status: str,
    *,
    resolution_code: str | None = None,
    root_cause: str | None = None,
    reason: str | None = None,
    ip: str | None = None,
) -> dict[str, Any]:
    if status not in CASE_STATUSES:
        raise ValidationError(
            f"status: {status!r} is not one of {', '.join(CASE_STATUSES)}",
            details=[{"field": "status"}],
        )
    old = case.status
    if status == case.status:
        return {"status": case.status, "changed": False}
    if status == "resolved":
        if not resolution_code:
            raise ValidationError(
                "a resolution code is needed to resolve a case",
                hint="fill in the resolution code, e.g. refund_issued",
                details=[{"field": "resolution_code"}],
            )
        service.resolve(
            db,
            case,
            principal.user,
            resolution_code=resolution_code,
            root_cause=root_cause or None,
            note=reason,
        )
    else:
        service.transition(db, case, status, principal.user, reason=reason)
    _audit(db, principal, case, "status", ip, {"from": old, "to": status})
    db.commit()
    return {"status": case.status, "changed": True}


def assign(
    db: Session,
    principal: Principal,
    case: Case,
    *,
    user_email: str | None,
    team_name: str | None,
    ip: str | None = None,
) -> dict[str, Any]:
    from cxloop.people.teams import get_team
    from cxloop.people.users import get_user

    user = get_user(db, user_email) if user_email else None
    team = get_team(db, team_name) if team_name else None
    service.assign(db, case, principal.user, user=user, team=team)
    _audit(db, principal, case, "assign", ip, {"user": user_email, "team": team_name})
    db.commit()
    return {"assignee_id": case.assignee_id, "team_id": case.team_id}


def priority(
    db: Session, principal: Principal, case: Case, value: str, *, ip: str | None = None
) -> dict[str, Any]:
    if value not in CASE_PRIORITIES:
        raise ValidationError(
            f"priority: {value!r} is not one of {', '.join(CASE_PRIORITIES)}",
            details=[{"field": "priority"}],
        )
    service.set_priority(db, case, value, principal.user)
    _audit(db, principal, case, "priority", ip, {"priority": value})
    db.commit()
    return {"priority": case.priority}
