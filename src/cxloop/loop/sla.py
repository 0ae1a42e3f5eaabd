"""SLA clocks on business hours, and escalation to the team manager on breach.

Why business hours: a four-hour first-response promise made at 16:00 on a Friday to a team that
works Mon-Fri 09:00-17:00 is due at 12:00 on Monday, not at 20:00 on Friday. Durations are
``30m``, ``4h`` (working time) or ``3d`` (working days, each as long as the team's daily
window; 24 h for a 24x7 team). Deadlines are absolute UTC instants, fixed when the case opens.

The resolution clock pauses while a case waits on the customer (the agent cannot act until the
customer answers): when the case leaves ``waiting_on_customer`` the working time that was left
at the pause is granted again from that moment (:func:`resume_after_pause`), and the timers never
escalate a waiting case. A deadline already missed before the pause stays missed.

The clock is injected (:data:`Clock`), so ``cxloop loop tick --now`` and the tests can move time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.errors import ValidationError
from cxloop.people.hours import BusinessHours
from cxloop.people.teams import hours_of, manager_of
from cxloop.storage.models.loop import Case
from cxloop.storage.models.people import Team
from cxloop.storage.types import utcnow

Clock = Callable[[], datetime]
system_clock: Clock = utcnow

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$", re.IGNORECASE)
_MAX_DAYS = 3660

OPEN_STATUSES = ("new", "acknowledged", "in_progress", "waiting_on_customer")
#: Statuses in which the resolution clock is stopped.
PAUSED_STATUSES = ("waiting_on_customer",)


@dataclass(frozen=True)
class Duration:
    amount: float
    unit: str  # m | h | d

    def seconds(self, hours: BusinessHours) -> float:
        if self.unit == "m":
            return self.amount * 60
        if self.unit == "h":
            return self.amount * 3600
        return self.amount * hours.seconds_per_day

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit}"


def parse_duration(spec: str, *, field_name: str = "sla") -> Duration:
    """Parse ``"4h"``, ``"30m"`` or ``"3d"``; anything else is a clear error."""
    m = _DURATION.match(str(spec))
    if not m or float(m[1]) <= 0:
        raise ValidationError(
            f"{field_name} {spec!r} is not a duration like 30m, 4h or 3d",
            details={"field": field_name},
        )
    return Duration(float(m[1]), m[2].lower())


def _iter_windows(hours: BusinessHours, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    zone = hours.zone
    day: date = start.astimezone(zone).date()
    for _ in range(_MAX_DAYS):
        if day.weekday() in hours.days:
            w0 = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
            w1 = datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
            if w1 > start:
                yield max(w0, start), w1
        day += timedelta(days=1)


def add_business_time(start: datetime, duration: Duration, hours: BusinessHours) -> datetime:
    """The instant when ``duration`` of working time has passed after ``start``."""
    start = start.astimezone(UTC)
    remaining = duration.seconds(hours)
    if hours.always:
        return start + timedelta(seconds=remaining)
    for w0, w1 in _iter_windows(hours, start):
        available = (w1 - w0).total_seconds()
        if remaining <= available:
            return w0 + timedelta(seconds=remaining)
        remaining -= available
    raise ValidationError("the SLA does not fit in ten years of business hours")


def business_seconds_between(start: datetime, end: datetime, hours: BusinessHours) -> float:
    """Working seconds between two instants (0 when ``end`` is not after ``start``)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    if hours.always:
        return (end - start).total_seconds()
    total = 0.0
    for w0, w1 in _iter_windows(hours, start):
        if w0 >= end:
            break
        total += (min(w1, end) - w0).total_seconds()
    return total


def due_dates(
    opened_at: datetime,
    team: Team | None,
    *,
    first_response: str | None,
    resolution: str | None,
) -> tuple[datetime | None, datetime | None]:
    """First-response and resolution deadlines for a case opened at ``opened_at``."""
    hours = hours_of(team)
    fr = (
        add_business_time(
            opened_at, parse_duration(first_response, field_name="sla_first_response"), hours
        )
        if first_response
        else None
    )
    res = (
        add_business_time(opened_at, parse_duration(resolution, field_name="sla_resolution"), hours)
        if resolution
        else None
    )
    return fr, res


def resume_after_pause(
    due: datetime | None, paused_at: datetime, resumed_at: datetime, team: Team | None
) -> datetime | None:
    """The resolution deadline after a pause from ``paused_at`` to ``resumed_at``.

    The working time left at the pause is granted again from ``resumed_at``; ``None`` means
    "unchanged" (no deadline, or it had already passed when the pause began).
    """
    if due is None or paused_at >= due or resumed_at <= paused_at:
        return None
    hours = hours_of(team)
    left = business_seconds_between(paused_at, due, hours)
    moved = add_business_time(resumed_at, Duration(left / 60.0, "m"), hours) if left > 0 else due
    return moved if moved > due else None


@dataclass
class TickResult:
    """What one run of the timers did."""

    now: datetime
    escalated: list[dict] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.escalated)


def run_timers(session: Session, *, clock: Clock = system_clock) -> TickResult:
    """Escalate every open case whose first-response or resolution deadline has passed.

    A case waiting on the customer is not escalated for resolution: its clock is paused.

    Each breach escalates once (``*_escalated_at`` is set in the same transaction as the
    history event and the queued e-mail to the manager), so running the timers twice, or
    concurrently after one commits, never notifies twice.
    """
    from cxloop.loop.cases import add_event

    now = clock()
    result = TickResult(now=now)
    clocks = (
        (
            "first_response",
            Case.first_response_due_at,
            Case.first_response_at,
            "first_response_escalated_at",
        ),
        ("resolution", Case.resolution_due_at, Case.resolved_at, "resolution_escalated_at"),
    )
    for name, due_col, done_col, flag in clocks:
        statuses = [
            st for st in OPEN_STATUSES if name == "first_response" or st not in PAUSED_STATUSES
        ]
        query = (
            select(Case)
            .where(
                Case.status.in_(statuses),
                due_col.is_not(None),
                due_col <= now,
                done_col.is_(None),
                getattr(Case, flag).is_(None),
            )
            .order_by(Case.id)
            .with_for_update(skip_locked=True)
        )
        for case in session.scalars(query):
            setattr(case, flag, now)
            team = session.get(Team, case.team_id) if case.team_id else None
            manager = manager_of(session, team)
            due = getattr(case, due_col.key)
            event_data = {
                "clock": name,
                "due_at": due.isoformat(),
                "manager": manager.email if manager else None,
            }
            add_event(
                session,
                case,
                "escalated",
                "system:sla",
                to_value=manager.email if manager else None,
                body=(
                    f"{name.replace('_', ' ')} SLA breached (due {due:%Y-%m-%d %H:%M} UTC); "
                    + (f"escalated to {manager.email}" if manager else "the team has no manager")
                ),
                data=event_data,
                at=now,
            )
            if manager is not None:
                _notify_manager(session, case, manager.email, name, due)
            result.escalated.append(
                {
                    "case": case.reference,
                    "clock": name,
                    "due_at": due,
                    "manager": event_data["manager"],
                }
            )
    session.flush()
    return result


def _notify_manager(
    session: Session, case: Case, email: str, clock_name: str, due: datetime
) -> None:
    from cxloop.loop.outbox import enqueue

    enqueue(
        session,
        channel="email",
        target=email,
        payload={
            "event": "case.sla_breached",
            "subject": f"[{case.reference}] {clock_name.replace('_', ' ')} SLA breached",
            "text": (
                f"Case {case.reference} ({case.title}, priority {case.priority}) missed its "
                f"{clock_name.replace('_', ' ')} deadline of {due:%Y-%m-%d %H:%M} UTC.\n"
                f"See it with: cxloop cases show {case.reference}"
            ),
            "case_reference": case.reference,
            "clock": clock_name,
        },
        idempotency_key=f"case:{case.id}:breach:{clock_name}",
        case_id=case.id,
    )
