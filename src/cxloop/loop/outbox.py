"""The durable outbox: notifications queued in the caller's transaction, delivered later.

Why a table and not a direct send: a case opened by a rule and the email about it must both
happen or neither. ``enqueue`` only inserts a row in the caller's session, so it commits or
rolls back with the change. The worker (``cxloop.loop.worker``) claims due rows under a lease,
delivers them and records the outcome; a worker that dies mid-delivery leaves its rows in
``sending`` and the next worker takes them over when the lease expires. A redelivery carries
the same idempotency key, which is how receivers drop duplicates ("at least once" delivery,
"exactly once" effect).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update
from sqlalchemy.orm import Session

from cxloop.errors import NotFoundError, ValidationError
from cxloop.storage.db import transaction
from cxloop.storage.models.delivery import OUTBOX_STATUSES, OutboxMessage, WebhookEndpoint
from cxloop.storage.types import utcnow

CHANNELS = ("email", "webhook")

#: First retry after 30 s, doubling up to one hour; 8 attempts span about 1 h 35 min.
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_LEASE = timedelta(minutes=2)


def enqueue(
    session: Session,
    *,
    channel: str,
    target: str,
    payload: dict[str, Any],
    idempotency_key: str,
    case_id: int | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    not_before: datetime | None = None,
) -> int:
    """Queue one message in the caller's transaction and return its outbox id.

    Enqueueing an ``idempotency_key`` that is already queued returns the existing id and
    changes nothing, so callers may safely retry. ``channel`` is ``email`` (``target`` is an
    address) or ``webhook`` (``target`` is a name configured with
    ``cxloop outbox webhooks add``).
    """
    if not idempotency_key or len(idempotency_key) > 255:
        raise ValidationError(
            "an idempotency key of 1-255 characters is required", details={"field": "key"}
        )
    _validate_target(session, channel, target)
    existing = session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return int(existing)
    message = OutboxMessage(
        channel=channel,
        target=target,
        payload=payload,
        idempotency_key=idempotency_key,
        status="pending",
        attempts=0,
        max_attempts=max_attempts,
        next_attempt_at=not_before or utcnow(),
        case_id=case_id,
    )
    session.add(message)
    session.flush()
    return int(message.id)


def enqueue_many(session: Session, messages: Sequence[dict[str, Any]]) -> int:
    """Bulk ``enqueue`` for rule runs over many feedback items; returns rows newly queued.

    Each item has the keyword arguments of :func:`enqueue` (channel, target, payload,
    idempotency_key, optional case_id). Targets are validated once per distinct value and keys
    already queued are skipped by the database (ON CONFLICT DO NOTHING), so this stays one
    round trip per 1,000 messages instead of three per message.
    """
    if not messages:
        return 0
    checked: set[tuple[str, str]] = set()
    for item in messages:
        pair = (item["channel"], item["target"])
        if pair not in checked:
            _validate_target(session, *pair)
            checked.add(pair)
    now = utcnow()
    rows = [
        {
            "channel": m["channel"],
            "target": m["target"],
            "payload": m.get("payload") or {},
            "idempotency_key": m["idempotency_key"],
            "status": "pending",
            "attempts": 0,
            "max_attempts": m.get("max_attempts", DEFAULT_MAX_ATTEMPTS),
            "next_attempt_at": m.get("not_before") or now,
            "case_id": m.get("case_id"),
            "created_at": now,
        }
        for m in messages
    ]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    inserted = 0
    for start in range(0, len(rows), 1000):
        statement = dialect_insert(OutboxMessage).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
        chunk = rows[start : start + 1000]
        keys = list({r["idempotency_key"] for r in chunk})
        known = session.scalar(select(func.count()).where(OutboxMessage.idempotency_key.in_(keys)))
        session.execute(statement, chunk)
        inserted += len(keys) - int(known or 0)
    return inserted


def _validate_target(session: Session, channel: str, target: str) -> None:
    if channel not in CHANNELS:
        raise ValidationError(
            f"unknown notification channel {channel!r}",
            hint="use email:ADDRESS or webhook:NAME",
            details={"field": "channel"},
        )
    if channel == "email" and ("@" not in target or any(c.isspace() for c in target)):
        raise ValidationError(f"{target!r} is not an email address", details={"field": "target"})
    if channel == "webhook":
        exists = session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.name == target))
        if exists is None:
            raise NotFoundError(
                f"webhook {target!r} is not configured",
                hint=f"add it with: cxloop outbox webhooks add {target} URL",
            )


def backoff_delay(
    attempts: int, *, jitter: float = 0.1, rng: random.Random | None = None
) -> timedelta:
    """Exponential backoff after ``attempts`` failed tries, with up to ``jitter`` extra.

    Jitter spreads retries so that a receiver coming back up is not hit by every message at
    the same second.
    """
    base = BACKOFF_BASE * (2 ** max(attempts - 1, 0))
    base = min(base, BACKOFF_CAP)
    extra = (rng or random).random() * jitter if jitter else 0.0
    return base * (1 + extra)


@dataclass(frozen=True)
class ClaimedMessage:
    """A snapshot of a claimed row, safe to use outside the session that claimed it."""

    id: int
    channel: str
    target: str
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int
    max_attempts: int
    case_id: int | None


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened to one claimed message. ``retryable`` False gives up at once."""

    id: int
    ok: bool
    error: str | None = None
    retryable: bool = True


def _claimable(now: datetime) -> Any:
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.locked_until < now),
    )


def claim(
    engine: Engine,
    worker_id: str,
    *,
    now: datetime,
    limit: int = 100,
    lease: timedelta = DEFAULT_LEASE,
    channels: Sequence[str] = CHANNELS,
) -> list[ClaimedMessage]:
    """Take up to ``limit`` due messages for ``worker_id`` under a lease (one transaction).

    The UPDATE repeats the "claimable" condition, so two workers racing for the same rows
    (SQLite has no SKIP LOCKED) never both win one. The attempt counter goes up at claim time:
    a message that crashes its worker still runs out of attempts eventually.
    """
    with transaction(engine) as session:
        query = (
            select(OutboxMessage.id)
            .where(_claimable(now), OutboxMessage.channel.in_(list(channels)))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        if not ids:
            return []
        claimed = list(
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), _claimable(now))
                .values(
                    status="sending",
                    locked_by=worker_id,
                    locked_until=now + lease,
                    attempts=OutboxMessage.attempts + 1,
                )
                .returning(
                    OutboxMessage.id,
                    OutboxMessage.channel,
                    OutboxMessage.target,
                    OutboxMessage.payload,
                    OutboxMessage.idempotency_key,
                    OutboxMessage.attempts,
                    OutboxMessage.max_attempts,
                    OutboxMessage.case_id,
                ),
                execution_options={"synchronize_session": False},
            )
        )
    return sorted((ClaimedMessage(*row) for row in claimed), key=lambda m: m.id)


def record_outcomes(
    engine: Engine,
    claimed: Sequence[ClaimedMessage],
    outcomes: Sequence[DeliveryOutcome],
    *,
    now: datetime,
    rng: random.Random | None = None,
) -> None:
    """Write back what happened: delivered, retry later with backoff, or failed for good."""
    by_id = {m.id: m for m in claimed}
    delivered = [o.id for o in outcomes if o.ok]
    with transaction(engine) as session:
        if delivered:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(delivered))
                .values(
                    status="delivered",
                    delivered_at=now,
                    locked_by=None,
                    locked_until=None,
                    last_error=None,
                ),
                execution_options={"synchronize_session": False},
            )
        for outcome in outcomes:
            if outcome.ok:
                continue
            message = by_id[outcome.id]
            give_up = not outcome.retryable or message.attempts >= message.max_attempts
            values: dict[str, Any] = {
                "locked_by": None,
                "locked_until": None,
                "last_error": (outcome.error or "unknown error")[:2000],
            }
            if give_up:
                values["status"] = "failed"
                if message.case_id is not None:
                    _record_failure_on_case(session, message, values["last_error"], now)
            else:
                values["status"] = "pending"
                values["next_attempt_at"] = now + backoff_delay(message.attempts, rng=rng)
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == outcome.id).values(**values),
                execution_options={"synchronize_session": False},
            )


def _record_failure_on_case(
    session: Session, message: ClaimedMessage, error: str, now: datetime
) -> None:
    """Make a failed reply or notification visible where the agent looks: the case history."""
    from cxloop.storage.models.loop import CaseEvent

    session.add(
        CaseEvent(
            case_id=message.case_id,
            at=now,
            actor="system",
            kind="delivery_failed",
            to_value=message.channel,
            body=f"{message.channel} to {message.target} failed after "
            f"{message.attempts} attempt(s): {error}",
            data={"outbox_id": message.id, "retry": f"cxloop outbox retry {message.id}"},
        )
    )


def list_messages(
    session: Session,
    *,
    status: str | None = None,
    channel: str | None = None,
    case_id: int | None = None,
    limit: int = 100,
) -> list[OutboxMessage]:
    """Newest first, optionally filtered; what ``cxloop outbox list`` shows."""
    if status is not None and status not in OUTBOX_STATUSES:
        raise ValidationError(
            f"unknown outbox status {status!r}",
            hint="use one of " + ", ".join(OUTBOX_STATUSES),
            details={"field": "status"},
        )
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    if case_id is not None:
        query = query.where(OutboxMessage.case_id == case_id)
    return list(session.scalars(query))


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in rows}


def retry(session: Session, ids: Sequence[int] = (), *, all_failed: bool = False) -> int:
    """Put failed messages back in the queue with a fresh attempt budget; returns how many.

    Only ``failed`` rows are touched: a delivered message is never re-sent by accident.
    """
    if not ids and not all_failed:
        raise ValidationError("name message ids to retry, or pass --all-failed")
    query = select(OutboxMessage).where(OutboxMessage.status == "failed")
    if ids:
        query = query.where(OutboxMessage.id.in_(list(ids)))
        found = {
            m.id
            for m in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(list(ids))))
        }
        missing = sorted(set(ids) - found)
        if missing:
            raise NotFoundError(f"no outbox message with id {missing[0]}")
    messages = list(session.scalars(query))
    for message in messages:
        message.status = "pending"
        message.attempts = 0
        message.next_attempt_at = utcnow()
        message.locked_by = None
        message.locked_until = None
    return len(messages)
