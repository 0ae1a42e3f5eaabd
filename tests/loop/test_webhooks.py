"""Webhooks reach a real local HTTP receiver signed, with an idempotency key, exactly once."""

from __future__ import annotations

import pytest
from delivery_fixtures import FakeClock, WebhookReceiver
from sqlalchemy import select

from cxloop.errors import ConflictError, ValidationError
from cxloop.loop import outbox
from cxloop.loop.webhooks import WebhookDeliverer, add_webhook, slack_payload
from cxloop.loop.worker import Worker
from cxloop.storage.db import transaction
from cxloop.storage.models.delivery import OutboxMessage


@pytest.fixture
def receiver():
    r = WebhookReceiver(secret="s3cret").start()
    yield r
    r.stop()


def _queue(engine, clock, name, n, **payload):
    with transaction(engine) as s:
        for i in range(n):
            outbox.enqueue(
                s,
                channel="webhook",
                target=name,
                payload={"event": "case.opened", "n": i, **payload},
                idempotency_key=f"{name}-{i}",
                not_before=clock.now,
            )


def _worker(engine, clock):
    return Worker(engine, {"webhook": WebhookDeliverer(engine)}, clock=clock, concurrency=8)


def test_signed_json_with_idempotency_key(engine, receiver):
    clock = FakeClock()
    with transaction(engine) as s:
        add_webhook(s, "ops", receiver.url, secret="s3cret")
    _queue(engine, clock, "ops", 3, case="CX-000001")
    worker = _worker(engine, clock)
    stats = worker.run_once()
    worker.close()
    assert stats.delivered == 3 and receiver.bad_signatures == 0
    assert set(receiver.processed) == {"ops-0", "ops-1", "ops-2"}
    body = receiver.bodies["ops-1"]
    assert body["id"] == "ops-1" and body["event"] == "case.opened"
    assert body["data"]["case"] == "CX-000001"
    assert receiver.headers["ops-1"]["X-Cxloop-Signature"].startswith("sha256=")
    with transaction(engine) as s:
        assert {m.status for m in s.scalars(select(OutboxMessage))} == {"delivered"}


def test_wrong_secret_is_rejected_and_fails_without_retry(engine, receiver):
    clock = FakeClock()
    with transaction(engine) as s:
        add_webhook(s, "ops", receiver.url, secret="not-the-receivers-secret")
    _queue(engine, clock, "ops", 1)
    worker = _worker(engine, clock)
    stats = worker.run_once()
    worker.close()
    assert receiver.bad_signatures == 1 and stats.failed == 1
    with transaction(engine) as s:
        row = s.scalars(select(OutboxMessage)).one()
    assert row.status == "failed" and "HTTP 401" in row.last_error


def test_slack_style_payload(engine, receiver):
    clock = FakeClock()
    with transaction(engine) as s:
        add_webhook(s, "slack", receiver.url, secret="s3cret", style="slack")
    _queue(engine, clock, "slack", 1, text="New high-priority case CX-000007", team="logistics")
    worker = _worker(engine, clock)
    worker.run_once()
    worker.close()
    body = receiver.bodies["slack-0"]
    assert body["text"] == "New high-priority case CX-000007"
    assert body["blocks"][0]["type"] == "section"
    assert any("logistics" in f["text"] for f in body["blocks"][0]["fields"])


def test_half_failing_receiver_gets_every_message_exactly_once(engine):
    receiver = WebhookReceiver(secret="s3cret", fail_rate=0.5, seed=11).start()
    try:
        clock = FakeClock()
        with transaction(engine) as s:
            add_webhook(s, "flaky", receiver.url, secret="s3cret")
        _queue(engine, clock, "flaky", 120)
        worker = _worker(engine, clock)
        for _ in range(40):
            worker.run_once()
            clock.advance(hours=2)  # past any backoff
        worker.close()
    finally:
        receiver.stop()
    assert receiver.failures_sent > 30
    assert receiver.failed_after_processing > 5 and receiver.duplicates_dropped > 5
    assert len(receiver.processed) == 120
    assert set(receiver.processed.values()) == {1}
    with transaction(engine) as s:
        statuses = {m.status for m in s.scalars(select(OutboxMessage))}
    assert statuses == {"delivered"}


def test_receiver_down_retries_then_fails(engine):
    clock = FakeClock()
    with transaction(engine) as s:
        add_webhook(s, "gone", "http://127.0.0.1:9/hook")
        outbox.enqueue(
            s,
            channel="webhook",
            target="gone",
            payload={},
            idempotency_key="g",
            max_attempts=3,
            not_before=clock.now,
        )
    worker = _worker(engine, clock)
    for _ in range(3):
        worker.run_once()
        clock.advance(hours=2)
    worker.close()
    with transaction(engine) as s:
        row = s.scalars(select(OutboxMessage)).one()
    assert row.status == "failed" and row.attempts == 3 and "ConnectError" in row.last_error


def test_webhook_config_errors(engine):
    with transaction(engine) as s:
        with pytest.raises(ValidationError, match="URL"):
            add_webhook(s, "x", "ftp://example.com")
        with pytest.raises(ValidationError, match="style"):
            add_webhook(s, "x", "http://example.com", style="teams")
        add_webhook(s, "x", "http://example.com")
        with pytest.raises(ConflictError):
            add_webhook(s, "x", "http://example.com")


def test_slack_text_cannot_mention_everyone_or_forge_links():
    doc = slack_payload({"text": "<!channel> see <http://evil|bank> & pay"})
    assert doc["text"] == "&lt;!channel&gt; see &lt;http://evil|bank&gt; &amp; pay"


def test_slack_payload_shape():
    doc = slack_payload({"event": "case.breached", "case": "CX-1", "nested": {"a": 1}})
    assert doc["text"] == "case.breached"
    assert [f["text"] for f in doc["blocks"][0]["fields"]] == [
        "*event*\ncase.breached",
        "*case*\nCX-1",
    ]


def test_cli_webhooks_and_outbox_list(cli, receiver):
    assert cli("init").exit_code == 0
    added = cli("outbox", "webhooks", "add", "ops", receiver.url, "--secret", "s3cret")
    assert added.exit_code == 0, added.stderr
    listed = cli("outbox", "webhooks", "list", "--format", "json")
    assert "s3cret" not in listed.stdout and '"ops"' in listed.stdout
    assert cli("outbox", "webhooks", "add", "ops", receiver.url).exit_code != 0
    from cxloop.config import Settings
    from cxloop.storage.db import engine_for

    engine = engine_for(Settings())
    _queue(engine, FakeClock(), "ops", 2)
    engine.dispose()
    ran = cli("worker", "--once", "--format", "json")
    assert ran.exit_code == 0, ran.stderr
    assert '"delivered": 2' in ran.stdout
    listed = cli("outbox", "list", "--status", "delivered", "--format", "json")
    assert listed.stdout.count('"delivered"') >= 2
    bad = cli("outbox", "list", "--status", "lost")
    assert bad.exit_code != 0 and "unknown outbox status" in bad.stderr
