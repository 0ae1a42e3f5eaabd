"""Email goes out through a real SMTP server (aiosmtpd), with both parts and threading headers."""

from __future__ import annotations

import pytest
from delivery_fixtures import FakeClock, SmtpServer, free_port
from sqlalchemy import select

from cxloop.config import Settings
from cxloop.errors import ConfigError
from cxloop.loop import outbox
from cxloop.loop.mail import EmailDeliverer, parse_smtp_url, reply_payload
from cxloop.loop.signing import find_references, sign_reference
from cxloop.loop.worker import Worker
from cxloop.storage.db import transaction
from cxloop.storage.models.delivery import OutboxMessage


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def _settings(settings: Settings, smtp_url: str) -> Settings:
    return settings.model_copy(update={"smtp_url": smtp_url, "mail_from": "cx@shop.example"})


def test_reply_has_text_and_html_parts_name_and_signed_reference(engine, settings, smtp):
    cfg = _settings(settings, smtp.url)
    signed = sign_reference(cfg.signing_key, "CX-000042")
    payload = reply_payload(
        cfg,
        reference="CX-000042",
        signed_reference=signed,
        customer_name="Ada <Lovelace>",
        body="We found your parcel.\n\nIt arrives tomorrow.",
        agent_name="Sam",
        idempotency_key="reply-1",
    )
    with transaction(engine) as s:
        outbox.enqueue(
            s, channel="email", target="ada@example.com", payload=payload, idempotency_key="reply-1"
        )
    worker = Worker(engine, {"email": EmailDeliverer(cfg)})
    stats = worker.run_once()
    worker.close()
    assert stats.delivered == 1
    [msg] = smtp.messages
    assert msg["To"] == "ada@example.com"
    assert signed in msg["Subject"] and signed in msg["Message-ID"]
    assert msg["Reply-To"] == f"cx+{signed}@shop.example"
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in msg.walk()
        if not p.is_multipart()
    }
    assert "Hello Ada <Lovelace>," in parts["text/plain"]
    assert "It arrives tomorrow." in parts["text/plain"]
    assert "Hello Ada &lt;Lovelace&gt;," in parts["text/html"]  # escaped in HTML
    assert "<p>It arrives tomorrow.</p>" in parts["text/html"]
    assert "CX-000042" in parts["text/plain"]
    found = find_references(cfg.signing_key, msg["Subject"])
    assert [(f.reference, f.valid) for f in found] == [("CX-000042", True)]


def test_notification_payload_is_rendered(engine, settings, smtp):
    cfg = _settings(settings, smtp.url)
    with transaction(engine) as s:
        outbox.enqueue(
            s,
            channel="email",
            target="lead@example.com",
            payload={"event": "case.opened", "case": "CX-000009", "priority": "high"},
            idempotency_key="n1",
        )
    worker = Worker(engine, {"email": EmailDeliverer(cfg)})
    worker.run_once()
    worker.close()
    [msg] = smtp.messages
    assert "case.opened" in msg["Subject"]
    text = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    assert "case: CX-000009" in text.get_payload(decode=True).decode()


def test_smtp_down_retries_with_backoff_then_fails_visibly(engine, settings, cli):
    cfg = _settings(settings, f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    clock = FakeClock()
    with transaction(engine) as s:
        outbox.enqueue(
            s,
            channel="email",
            target="a@example.com",
            payload={"event": "x"},
            idempotency_key="down",
            max_attempts=4,
            not_before=clock.now,
        )
    worker = Worker(engine, {"email": EmailDeliverer(cfg, timeout=2)}, clock=clock)
    seen_waits = []
    for _ in range(4):
        stats = worker.run_once()
        assert stats.claimed == 1
        with transaction(engine) as s:
            row = s.scalars(select(OutboxMessage)).one()
        if row.status == "pending":
            seen_waits.append(row.next_attempt_at - clock.now)
            assert worker.run_once().claimed == 0  # backing off: not retried immediately
            clock.now = row.next_attempt_at
    worker.close()
    assert row.status == "failed" and row.attempts == 4
    assert "could not deliver through SMTP server 127.0.0.1" in row.last_error
    assert seen_waits[0] < seen_waits[1] < seen_waits[2]
    listed = cli("outbox", "list", "--status", "failed", "--format", "json")
    assert listed.exit_code == 0 and "could not deliver through SMTP" in listed.stdout
    assert '"a***@example.com"' in listed.stdout and '"a@example.com"' not in listed.stdout
    revealed = cli("outbox", "list", "--reveal", "--format", "json")
    assert '"a@example.com"' in revealed.stdout


def test_missing_smtp_url_is_retried_with_a_clear_message(engine, settings):
    with transaction(engine) as s:
        outbox.enqueue(s, channel="email", target="a@example.com", payload={}, idempotency_key="x")
    worker = Worker(
        engine, {"email": EmailDeliverer(settings.model_copy(update={"smtp_url": None}))}
    )
    stats = worker.run_once()
    worker.close()
    assert stats.retried == 1 and "CXLOOP_SMTP_URL" in stats.errors[0]


def test_newlines_in_a_subject_cannot_inject_headers(engine, settings, smtp):
    cfg = _settings(settings, smtp.url)
    with transaction(engine) as s:
        outbox.enqueue(
            s,
            channel="email",
            target="a@example.com",
            payload={"subject": "Hi\r\nBcc: victim@example.com", "text": "body"},
            idempotency_key="inj",
        )
    worker = Worker(engine, {"email": EmailDeliverer(cfg)})
    assert worker.run_once().delivered == 1
    worker.close()
    [msg] = smtp.messages
    assert msg["Bcc"] is None and msg["Subject"] == "Hi Bcc: victim@example.com"
    assert smtp.collector.envelopes[0][1] == ["a@example.com"]


def test_parse_smtp_url_and_password_never_in_repr():
    target = parse_smtp_url("smtp://me%40x.com:pa%2Fss@mail.example.com:587?starttls=true")
    assert (target.host, target.port, target.username, target.password, target.starttls) == (
        "mail.example.com",
        587,
        "me@x.com",
        "pa/ss",
        True,
    )
    assert "pa/ss" not in repr(target)
    assert parse_smtp_url("smtps://mail.example.com").port == 465
    with pytest.raises(ConfigError):
        parse_smtp_url("http://mail.example.com")
