"""Cases: the state machine, assignment, notes, codes and the full history of every change.

Lifecycle: ``new → acknowledged → in_progress → waiting_on_customer → resolved → closed``, with
shortcuts that real work needs (an agent may start or resolve without acknowledging first) and
``reopen`` from resolved or closed back to in progress. Anything else is a
:class:`ConflictError` that names the allowed moves. Every change writes a ``case_events`` row
(who, when, what, from → to) in the same transaction, so the history is never out of step.

The first response stops when the case leaves ``new`` (acknowledging is responding) or when the
delivery side records a reply (:func:`record_first_response`), whichever comes first. The
resolution clock pauses while the case waits on the customer (see :mod:`cxloop.loop.sla`).

Functions take a ``Session`` and never commit; ``actor`` is a :class:`User` or a label such as
``"system"``, ``"rule:detractor-delivery"`` or ``"customer"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.errors import ConflictError, NotFoundError, ValidationError
from cxloop.loop import sla
from cxloop.storage.models.core import Customer, Feedback
from cxloop.storage.models.loop import CASE_PRIORITIES, CASE_STATUSES, Case, CaseEvent, Rule
from cxloop.storage.models.people import Team, User
from cxloop.storage.types import utcnow

Actor = User | str

#: Allowed moves; ``reopen`` is the move from resolved/closed back to in_progress.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "in_progress", "waiting_on_customer", "resolved"),
    "acknowledged": ("in_progress", "waiting_on_customer", "resolved"),
    "in_progress": ("waiting_on_customer", "resolved"),
    "waiting_on_customer": ("in_progress", "resolved"),
    "resolved": ("closed", "in_progress"),
    "closed": ("in_progress",),
}

_REFERENCE = re.compile(r"^\s*CX-?(\d{1,12})\s*$", re.IGNORECASE)
_CODE = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,119}$")


def _actor(actor: Actor) -> tuple[str, int | None]:
    if isinstance(actor, User):
        return actor.email, actor.id
    label = (actor or "system").strip() or "system"
    return label[:320], None


def parse_reference(reference: str) -> int:
    """``"CX-000123"`` (or ``"123"``) → 123; a clear error for anything else."""
    text = str(reference)
    m = _REFERENCE.match(text) or re.match(r"^\s*(\d{1,12})\s*$", text)
    if not m:
        raise ValidationError(
            f"{reference!r} is not a case reference like CX-000123", details={"field": "case"}
        )
    return int(m[1])


def get_case(session: Session, case_id: int | str) -> Case:
    """The case by id or reference, or a NotFoundError."""
    number = case_id if isinstance(case_id, int) else parse_reference(case_id)
    case = session.get(Case, number)
    if case is None:
        raise NotFoundError(f"no case {case_id}", hint="list cases with: cxloop cases list")
    return case


def add_event(
    session: Session,
    case: Case,
    kind: str,
    actor: Actor,
    *,
    from_value: str | None = None,
    to_value: str | None = None,
    body: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Append one history entry (also used by the delivery side for replies and follow-ups)."""
    label, user_id = _actor(actor)
    event = CaseEvent(
        case_id=case.id,
        at=at or utcnow(),
        actor=label,
        actor_user_id=user_id,
        kind=kind,
        from_value=from_value,
        to_value=to_value,
        body=body,
        data=data or {},
    )
    session.add(event)
    case.updated_at = event.at
    session.flush()
    return event


def history(session: Session, case: Case) -> Sequence[CaseEvent]:
    """Every change to the case, oldest first."""
    return session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)
    ).all()


def open_case(
    session: Session,
    *,
    title: str,
    actor: Actor = "system",
    feedback_id: int | None = None,
    rule: Rule | None = None,
    priority: str = "normal",
    team: Team | None = None,
    assignee: User | None = None,
    sla_first_response: str | None = None,
    sla_resolution: str | None = None,
    tags: Sequence[str] = (),
    at: datetime | None = None,
) -> Case:
    """Open one case (rules open many at once through the engine's bulk path)."""
    check_priority(priority)
    opened = at or utcnow()
    if team is None and assignee is not None and assignee.team_id:
        team = session.get(Team, assignee.team_id)
    fr_due, res_due = sla.due_dates(
        opened, team, first_response=sla_first_response, resolution=sla_resolution
    )
    customer_id = None
    if feedback_id is not None:
        fb = session.get(Feedback, feedback_id)
        if fb is None:
            raise NotFoundError(f"no feedback with id {feedback_id}")
        customer_id = fb.customer_id
    case = Case(
        feedback_id=feedback_id,
        rule_id=rule.id if rule else None,
        customer_id=customer_id,
        title=title[:300],
        status="new",
        priority=priority,
        team_id=team.id if team else None,
        assignee_id=assignee.id if assignee else None,
        tags=list(tags),
        first_response_due_at=fr_due,
        resolution_due_at=res_due,
        created_at=opened,
        updated_at=opened,
    )
    session.add(case)
    session.flush()
    add_event(
        session,
        case,
        "created",
        actor,
        to_value="new",
        data={
            "rule": rule.name if rule else None,
            "feedback_id": feedback_id,
            "priority": priority,
            "team": team.name if team else None,
            "assignee": assignee.email if assignee else None,
        },
        at=opened,
    )
    return case


def check_priority(priority: str) -> str:
    if priority not in CASE_PRIORITIES:
        raise ValidationError(
            f"unknown priority {priority!r}",
            hint="choose one of: " + ", ".join(CASE_PRIORITIES),
            details={"field": "priority"},
        )
    return priority


def _check_code(value: str | None, field_name: str) -> str | None:
    if value is None:
        return None
    code = value.strip().lower()
    if not _CODE.match(code):
        raise ValidationError(
            f"{field_name} {value!r} must be a short code like 'carrier-delay' "
            "(letters, digits, - _ .)",
            details={"field": field_name},
        )
    return code


def transition(
    session: Session,
    case: Case,
    new_status: str,
    actor: Actor,
    *,
    reason: str | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Move the case to ``new_status`` if the state machine allows it; record who and why."""
    if new_status not in CASE_STATUSES:
        raise ValidationError(
            f"unknown case status {new_status!r}",
            hint="statuses: " + ", ".join(CASE_STATUSES),
            details={"field": "status"},
        )
    old = case.status
    allowed = TRANSITIONS.get(old, ())
    if new_status not in allowed:
        raise ConflictError(
            f"case {case.reference} cannot go from {old} to {new_status}",
            hint=("allowed next: " + ", ".join(allowed)) if allowed else None,
        )
    if new_status == "resolved" and not case.resolution_code:
        raise ConflictError(
            f"case {case.reference} needs a resolution code before it is resolved",
            hint=f"cxloop cases resolve {case.reference} --code CODE [--root-cause CAUSE]",
        )
    now = at or utcnow()
    reopening = old in ("resolved", "closed") and new_status not in ("resolved", "closed")
    moved_due = _resume_resolution_clock(session, case, now) if old in sla.PAUSED_STATUSES else None
    case.status = new_status
    if old == "new" and case.first_response_at is None:
        case.first_response_at = now
    if new_status == "resolved":
        case.resolved_at = now
    elif new_status == "closed":
        case.closed_at = now
    elif reopening:
        case.resolved_at = None
        case.closed_at = None
    return add_event(
        session,
        case,
        "reopened" if reopening else "status",
        actor,
        from_value=old,
        to_value=new_status,
        body=reason,
        data={"resolution_due_at": moved_due.isoformat()} if moved_due else None,
        at=now,
    )


def _paused_since(session: Session, case: Case) -> datetime | None:
    """When the case last entered a paused status (``None`` if it never did)."""
    return session.scalar(
        select(CaseEvent.at)
        .where(
            CaseEvent.case_id == case.id,
            CaseEvent.kind == "status",
            CaseEvent.to_value.in_(sla.PAUSED_STATUSES),
        )
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
        .limit(1)
    )


def _resume_resolution_clock(session: Session, case: Case, now: datetime) -> datetime | None:
    """Move the resolution deadline by the pause that ends now; the new deadline or ``None``."""
    paused_at = _paused_since(session, case)
    if paused_at is None or case.resolution_escalated_at is not None:
        return None
    team = session.get(Team, case.team_id) if case.team_id else None
    moved = sla.resume_after_pause(case.resolution_due_at, paused_at, now, team)
    if moved is not None:
        case.resolution_due_at = moved
    return moved


def acknowledge(
    session: Session, case: Case, actor: Actor, *, at: datetime | None = None
) -> CaseEvent:
    return transition(session, case, "acknowledged", actor, at=at)


def start(session: Session, case: Case, actor: Actor, *, at: datetime | None = None) -> CaseEvent:
    return transition(session, case, "in_progress", actor, at=at)


def wait_on_customer(
    session: Session,
    case: Case,
    actor: Actor,
    *,
    reason: str | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    return transition(session, case, "waiting_on_customer", actor, reason=reason, at=at)


def resolve(
    session: Session,
    case: Case,
    actor: Actor,
    *,
    resolution_code: str,
    root_cause: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Resolve with a resolution code (and optionally the root cause) — both kept for analysis."""
    code = _check_code(resolution_code, "resolution_code")
    cause = _check_code(root_cause, "root_cause")
    previous = (case.resolution_code, case.root_cause)
    case.resolution_code = code
    if cause:
        case.root_cause = cause
    try:
        event = transition(session, case, "resolved", actor, reason=note, at=at)
    except ConflictError:
        case.resolution_code, case.root_cause = previous
        raise
    event.data = {"resolution_code": code, "root_cause": case.root_cause}
    session.flush()
    return event


def close(
    session: Session,
    case: Case,
    actor: Actor,
    *,
    reason: str | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    return transition(session, case, "closed", actor, reason=reason, at=at)


def reopen(
    session: Session,
    case: Case,
    actor: Actor,
    *,
    reason: str | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    if case.status not in ("resolved", "closed"):
        raise ConflictError(
            f"case {case.reference} is {case.status}; only resolved or closed cases can be reopened"
        )
    return transition(session, case, "in_progress", actor, reason=reason, at=at)


def record_first_response(
    session: Session, case: Case, actor: Actor, *, at: datetime | None = None
) -> bool:
    """Stop the first-response clock (a reply went to the customer); False if already stopped."""
    if case.first_response_at is not None:
        return False
    case.first_response_at = at or utcnow()
    add_event(session, case, "first_response", actor, at=case.first_response_at)
    return True


def assign(
    session: Session,
    case: Case,
    actor: Actor,
    *,
    user: User | None = None,
    team: Team | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """(Re)assign to a person and/or a team; a person alone also moves the case to their team."""
    if user is None and team is None:
        raise ValidationError("assign to a user (--to EMAIL) or a team (--team NAME)")
    if user is not None and not user.active:
        raise ConflictError(f"{user.email} is deactivated and cannot own cases")
    if team is None and user is not None and user.team_id:
        team = session.get(Team, user.team_id)
    old_user = session.get(User, case.assignee_id) if case.assignee_id else None
    old_team = session.get(Team, case.team_id) if case.team_id else None
    if user is not None:
        case.assignee_id = user.id
    elif team is not None and old_user is not None and old_user.team_id != team.id:
        case.assignee_id = None  # moved to another team's queue
    if team is not None:
        case.team_id = team.id
    return add_event(
        session,
        case,
        "assigned",
        actor,
        from_value=_owner_label(old_user, old_team),
        to_value=_owner_label(
            session.get(User, case.assignee_id) if case.assignee_id else None, team or old_team
        ),
        at=at,
    )


def _owner_label(user: User | None, team: Team | None) -> str | None:
    parts = [p for p in (user.email if user else None, f"team {team.name}" if team else None) if p]
    return " / ".join(parts) or None


def add_note(
    session: Session, case: Case, body: str, actor: Actor, *, at: datetime | None = None
) -> CaseEvent:
    """An internal note: visible to the team, never sent to the customer."""
    if not body or not body.strip():
        raise ValidationError("a note needs some text", details={"field": "body"})
    return add_event(session, case, "note", actor, body=body.strip(), at=at)


def set_priority(
    session: Session, case: Case, priority: str, actor: Actor, *, at: datetime | None = None
) -> CaseEvent:
    old = case.priority
    case.priority = check_priority(priority)
    return add_event(session, case, "priority", actor, from_value=old, to_value=priority, at=at)


def list_cases(
    session: Session,
    *,
    status: Sequence[str] | None = None,
    team: Team | None = None,
    assignee: User | None = None,
    limit: int = 200,
) -> Sequence[Case]:
    query = select(Case).order_by(Case.id.desc()).limit(limit)
    if status:
        for s in status:
            if s not in CASE_STATUSES and s != "open":
                raise ValidationError(f"unknown status {s!r}", hint=", ".join(CASE_STATUSES))
        wanted = set(status)
        if "open" in wanted:
            wanted |= set(sla.OPEN_STATUSES)
        query = query.where(Case.status.in_(sorted(wanted - {"open"})))
    if team is not None:
        query = query.where(Case.team_id == team.id)
    if assignee is not None:
        query = query.where(Case.assignee_id == assignee.id)
    return session.scalars(query).all()


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Case.status, func.count()).group_by(Case.status)).all()
    return {s: int(n) for s, n in rows}


def describe(session: Session, case: Case, *, now: datetime | None = None) -> dict[str, Any]:
    """A JSON-ready view of the case for the CLI, API and e-mails (no verbatim text)."""
    team = session.get(Team, case.team_id) if case.team_id else None
    user = session.get(User, case.assignee_id) if case.assignee_id else None
    rule = session.get(Rule, case.rule_id) if case.rule_id else None
    customer = session.get(Customer, case.customer_id) if case.customer_id else None
    now = now or utcnow()

    def clock(due: datetime | None, done: datetime | None, *, pausable: bool = False) -> str | None:
        if due is None:
            return None
        if done is not None:
            return "met" if done <= due else "missed"
        if pausable and case.status in sla.PAUSED_STATUSES:
            paused_at = _paused_since(session, case)
            if paused_at is not None and paused_at < due:
                return "paused"
        return "breached" if now > due else "running"

    return {
        "reference": case.reference,
        "id": case.id,
        "title": case.title,
        "status": case.status,
        "priority": case.priority,
        "team": team.name if team else None,
        "assignee": user.email if user else None,
        "rule": rule.name if rule else None,
        "feedback_id": case.feedback_id,
        "customer": customer.external_id if customer else None,
        "tags": case.tags,
        "root_cause": case.root_cause,
        "resolution_code": case.resolution_code,
        "created_at": case.created_at,
        "first_response_due_at": case.first_response_due_at,
        "first_response_at": case.first_response_at,
        "first_response_sla": clock(case.first_response_due_at, case.first_response_at),
        "resolution_due_at": case.resolution_due_at,
        "resolved_at": case.resolved_at,
        "resolution_sla": clock(case.resolution_due_at, case.resolved_at, pausable=True),
        "closed_at": case.closed_at,
    }
