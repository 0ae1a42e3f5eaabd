"""The outbox queues in the caller's transaction, is idempotent, and claims under a lease."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from delivery_fixtures import FakeClock
from sqlalchemy import func, select

from cxloop.errors import NotFoundError, ValidationError
from cxloop.loop import outbox
from cxloop.loop.webhooks import add_webhook
from cxloop.storage.db import transaction
from cxloop.storage.models.delivery import OutboxMessage


def _count(engine) -> int:
    with transaction(engine) as s:
        return int(s.scalar(select(func.count()).select_from(OutboxMessage)))


def test_enqueue_is_idempotent_by_key(engine):
    with transaction(engine) as s:
        first = outbox.enqueue(
            s, channel="email", target="a@example.com", payload={"event": "x"}, idempotency_key="k1"
        )
        again = outbox.enqueue(
            s, channel="email", target="a@example.com", payload={"event": "x"}, idempotency_key="k1"
        )
    assert first == again
    with transaction(engine) as s:
        later = outbox.enqueue(
            s, channel="email", target="a@example.com", payload={}, idempotency_key="k1"
        )
    assert later == first
    assert _count(engine) == 1


def test_enqueue_rolls_back_with_the_callers_transaction(engine):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction(engine) as s:
        outbox.enqueue(s, channel="email", target="a@example.com", payload={}, idempotency_key="k")
        raise Boom
    assert _count(engine) == 0


def test_enqueue_rejects_unknown_channel_address_and_webhook(engine):
    with transaction(engine) as s:
        with pytest.raises(ValidationError, match="channel"):
            outbox.enqueue(s, channel="sms", target="1", payload={}, idempotency_key="a")
        with pytest.raises(ValidationError, match="not an email address"):
            outbox.enqueue(s, channel="email", target="nobody", payload={}, idempotency_key="b")
        with pytest.raises(NotFoundError, match="webhooks add ops"):
            outbox.enqueue(s, channel="webhook", target="ops", payload={}, idempotency_key="c")
        add_webhook(s, "ops", "http://127.0.0.1:9/hook")
        assert outbox.enqueue(s, channel="webhook", target="ops", payload={}, idempotency_key="d")


def test_two_workers_never_claim_the_same_message(engine):
    clock = FakeClock()
    with transaction(engine) as s:
        for i in range(30):
            outbox.enqueue(
                s,
                channel="email",
                target="a@example.com",
                payload={},
                idempotency_key=f"k{i}",
                not_before=clock.now,
            )
    a = outbox.claim(engine, "A", now=clock.now, limit=20)
    b = outbox.claim(engine, "B", now=clock.now, limit=20)
    assert len(a) == 20 and len(b) == 10
    assert not {m.id for m in a} & {m.id for m in b}
    assert outbox.claim(engine, "C", now=clock.now) == []
    assert all(m.attempts == 1 for m in a)


def test_expired_lease_is_taken_over_with_the_same_key(engine):
    clock = FakeClock()
    with transaction(engine) as s:
        outbox.enqueue(
            s,
            channel="email",
            target="a@example.com",
            payload={},
            idempotency_key="only",
            not_before=clock.now,
        )
    first = outbox.claim(engine, "dies", now=clock.now, lease=timedelta(seconds=60))
    clock.advance(seconds=30)
    assert outbox.claim(engine, "second", now=clock.now) == []
    clock.advance(seconds=31)
    taken = outbox.claim(engine, "second", now=clock.now)
    assert [m.idempotency_key for m in taken] == ["only"]
    assert taken[0].id == first[0].id and taken[0].attempts == 2


def test_failures_back_off_exponentially_then_fail_visibly(engine):
    clock = FakeClock()
    with transaction(engine) as s:
        outbox.enqueue(
            s,
            channel="email",
            target="a@example.com",
            payload={},
            idempotency_key="x",
            max_attempts=3,
            not_before=clock.now,
        )
    delays = []
    for _ in range(3):
        claimed = outbox.claim(engine, "w", now=clock.now)
        assert len(claimed) == 1
        outbox.record_outcomes(
            engine,
            claimed,
            [outbox.DeliveryOutcome(claimed[0].id, False, "down")],
            now=clock.now,
            rng=random.Random(1),
        )
        with transaction(engine) as s:
            row = s.scalars(select(OutboxMessage)).one()
        if row.status == "pending":
            delays.append(row.next_attempt_at - clock.now)
            assert outbox.claim(engine, "w", now=clock.now) == []  # not due yet
            clock.now = row.next_attempt_at
    assert row.status == "failed" and row.attempts == 3 and row.last_error == "down"
    assert delays[0] >= outbox.BACKOFF_BASE and delays[1] >= 2 * outbox.BACKOFF_BASE
    with transaction(engine) as s:
        assert outbox.retry(s, all_failed=True) == 1
    with transaction(engine) as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert (row.status, row.attempts) == ("pending", 0)


def test_backoff_is_capped():
    assert outbox.backoff_delay(30, jitter=0) == outbox.BACKOFF_CAP
    assert outbox.backoff_delay(1, jitter=0) == outbox.BACKOFF_BASE
    assert outbox.backoff_delay(3, jitter=0) == 4 * outbox.BACKOFF_BASE


def test_retry_never_resends_delivered(engine):
    clock = FakeClock()
    with transaction(engine) as s:
        mid = outbox.enqueue(
            s,
            channel="email",
            target="a@example.com",
            payload={},
            idempotency_key="d",
            not_before=clock.now,
        )
    claimed = outbox.claim(engine, "w", now=clock.now)
    outbox.record_outcomes(engine, claimed, [outbox.DeliveryOutcome(mid, True)], now=clock.now)
    with transaction(engine) as s:
        assert outbox.retry(s, [mid]) == 0
    with pytest.raises(NotFoundError), transaction(engine) as s:
        outbox.retry(s, [mid + 100])


def test_enqueue_many_skips_known_keys_and_validates_targets_once(engine):
    with transaction(engine) as s:
        add_webhook(s, "ops", "http://127.0.0.1:9/hook")
        outbox.enqueue(s, channel="webhook", target="ops", payload={}, idempotency_key="k0")
        items = [
            {"channel": "webhook", "target": "ops", "payload": {"n": i}, "idempotency_key": f"k{i}"}
            for i in range(2500)
        ]
        assert outbox.enqueue_many(s, items) == 2499
        assert outbox.enqueue_many(s, items[:10]) == 0
    assert _count(engine) == 2500
    with pytest.raises(NotFoundError), transaction(engine) as s:
        outbox.enqueue_many(
            s, [{"channel": "webhook", "target": "nope", "payload": {}, "idempotency_key": "x"}]
        )
    assert _count(engine) == 2500
