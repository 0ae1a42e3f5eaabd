"""Two-way dialogue: a reply reaches a real SMTP server; the answer threads back, signed."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from delivery_fixtures import SmtpServer
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cxloop.errors import ValidationError
from cxloop.loop import cases as case_service
from cxloop.loop.dialogue import send_reply, thread
from cxloop.loop.inbound import receive_email, strip_quoted
from cxloop.loop.mail import EmailDeliverer
from cxloop.loop.signing import find_references, sign_reference
from cxloop.loop.worker import Worker
from cxloop.storage.db import transaction
from cxloop.storage.models.core import Customer, Feedback, QuarantinedRow, Source
from cxloop.storage.models.delivery import CaseMessage, OutboxMessage
from cxloop.storage.models.loop import CaseEvent


def make_case(engine, *, email: str | None = "ada@example.com", nps: int = 3) -> int:
    with transaction(engine) as s:
        src = s.scalar(select(Source).where(Source.name == "survey"))
        if src is None:
            src = Source(name="survey")
            s.add(src)
            s.flush()
        n = s.scalar(select(func.count()).select_from(Customer)) or 0
        cust = Customer(
            external_id=f"C{n}", name="Ada Lovelace", email=email, content_hash="x", status="active"
        )
        s.add(cust)
        s.flush()
        fb = Feedback(
            source_id=src.id,
            dedup_key=f"f{n}",
            content_hash="x",
            customer_id=cust.id,
            nps=nps,
            text="my parcel never came",
        )
        s.add(fb)
        s.flush()
        case = case_service.open_case(s, title="Parcel lost", feedback_id=fb.id)
        return case.id


def answer_email(
    subject: str,
    *,
    in_reply_to: str | None = None,
    to: str = "cx@cxloop.local",
    body: str = "Thanks, it arrived!\n\nOn Mon, 1 Jun 2026 Sam wrote:\n> We found it",
    message_id: str = "<answer-1@mail.example.com>",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ada Lovelace <ada@example.com>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    return bytes(msg)


def _count(engine, model) -> int:
    with transaction(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)))


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def test_reply_goes_out_and_the_answer_threads_back_and_reopens(engine, settings, smtp):
    cfg = settings.model_copy(update={"smtp_url": smtp.url})
    case_id = make_case(engine)
    with transaction(engine) as s:
        case = case_service.get_case(s, case_id)
        sent = send_reply(
            s,
            cfg,
            case,
            body="We found your parcel.",
            actor="sam@shop.example",
            wait_on_customer=True,
        )
        assert case.status == "waiting_on_customer" and case.first_response_at is not None
    worker = Worker(engine, {"email": EmailDeliverer(cfg)})
    assert worker.run_once().delivered == 1
    worker.close()
    [out] = smtp.messages
    assert out["To"] == "ada@example.com" and sent.subject == out["Subject"]

    # the customer's client keeps In-Reply-To and the "Re:" subject; the body quotes ours
    raw = answer_email(f"Re: {out['Subject']}", in_reply_to=out["Message-ID"])
    with transaction(engine) as s:
        result = receive_email(s, cfg, raw, file_name="answer.eml")
    assert result.status == "threaded" and result.case_id == case_id and result.reopened
    with transaction(engine) as s:
        case = case_service.get_case(s, case_id)
        assert case.status == "in_progress"
        msgs = thread(s, case)
        assert [m.direction for m in msgs] == ["out", "in"]
        assert msgs[1].body == "Thanks, it arrived!"
        events = {e.kind: e for e in case_service.history(s, case)}
        assert "reply_sent" in events
        assert events["reply_received"].data["sender_is_customer"] is True
    with transaction(engine) as s:  # the same email again: threaded once
        assert receive_email(s, cfg, raw).status == "duplicate"
    assert _count(engine, CaseMessage) == 2


def test_answer_to_a_resolved_case_reopens_it_by_plus_address_alone(engine, settings):
    case_id = make_case(engine)
    with transaction(engine) as s:
        case = case_service.get_case(s, case_id)
        case_service.resolve(s, case, "sam", resolution_code="reshipped")
        signed = sign_reference(settings.signing_key, case.reference)
    raw = answer_email("it broke again", to=f"cx+{signed}@cxloop.local")
    raw = raw.replace(b"ada@example.com", b"someone-else@example.com")  # e.g. forwarded
    with transaction(engine) as s:
        result = receive_email(s, settings, raw)
        assert result.status == "threaded" and result.reopened
        case = case_service.get_case(s, case_id)
        assert case.status == "in_progress"
        [event] = [e for e in case_service.history(s, case) if e.kind == "reply_received"]
        assert event.data["sender_is_customer"] is False


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("Where is my parcel?", "no case reference"),
        ("Re: About your feedback [CX-000001.0123456789abcdef]", "does not verify"),
        ("Re: About your feedback [CX-000001]", "unsigned reference CX-000001"),
    ],
)
def test_missing_forged_or_unsigned_reference_is_quarantined(engine, settings, subject, reason):
    case_id = make_case(engine)
    raw = answer_email(subject)
    with transaction(engine) as s:
        result = receive_email(s, settings, raw, file_name="x.eml")
    assert result.status == "quarantined" and reason in result.reason
    assert _count(engine, CaseMessage) == 0
    with transaction(engine) as s:
        row = s.get(QuarantinedRow, result.quarantine_id)
        assert row.kind == "email" and row.status == "open" and "Subject" in row.raw_text
        assert case_service.get_case(s, case_id).status == "new"
        assert not s.scalars(select(CaseEvent).where(CaseEvent.kind == "reply_received")).all()
    with transaction(engine) as s:  # fed again: still one quarantine row
        assert receive_email(s, settings, raw).quarantine_id == result.quarantine_id
    assert _count(engine, QuarantinedRow) == 1


def test_signed_reference_to_a_missing_case_or_two_cases_is_quarantined(engine, settings):
    first, second = make_case(engine), make_case(engine)
    key = settings.signing_key
    ghost = sign_reference(key, "CX-999999")
    with transaction(engine) as s:
        result = receive_email(s, settings, answer_email(f"Re: [{ghost}]"))
    assert result.status == "quarantined" and "no existing case" in result.reason
    one, two = sign_reference(key, f"CX-{first:06d}"), sign_reference(key, f"CX-{second:06d}")
    both = f"Re: [{one}] [{two}]"
    with transaction(engine) as s:
        result = receive_email(s, settings, answer_email(both, message_id="<two@x>"))
    assert result.status == "quarantined" and "several cases" in result.reason


def test_garbage_is_quarantined_not_crashing(engine, settings):
    with transaction(engine) as s:
        result = receive_email(s, settings, b"\x00\x01 not an email at all")
    assert result.status == "quarantined"


def test_reply_without_customer_email_is_refused_and_nothing_queued(engine, settings):
    case_id = make_case(engine, email=None)
    with pytest.raises(ValidationError, match="no customer email"), transaction(engine) as s:
        send_reply(s, settings, case_service.get_case(s, case_id), body="hi", actor="sam")
    assert _count(engine, OutboxMessage) == 0 and _count(engine, CaseMessage) == 0


def test_strip_quoted_keeps_only_the_new_text():
    text = "Yes please.\r\n\r\n> old line\r\nOn Tue, Sam <s@x> wrote:\r\n> more"
    assert strip_quoted(text) == "Yes please."


@hsettings(max_examples=60, deadline=None)
@given(tag=st.text(alphabet="0123456789abcdef", min_size=16, max_size=16), n=st.integers(1, 10**6))
def test_guessed_tags_never_verify(tag, n):
    key = b"k" * 32
    ref = f"CX-{n:06d}"
    found = find_references(key, f"[{ref}.{tag}]")
    assert found and found[0].valid == (tag == sign_reference(key, ref).split(".")[1])


def test_reply_with_smtp_down_fails_visibly_on_the_case(engine, settings):
    from delivery_fixtures import FakeClock, free_port

    cfg = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})
    case_id = make_case(engine)
    with transaction(engine) as s:
        send_reply(s, cfg, case_service.get_case(s, case_id), body="Hello", actor="sam")
    clock = FakeClock()
    clock.now = clock.now.replace(year=2100)  # far past the reply's queue time
    worker = Worker(engine, {"email": EmailDeliverer(cfg, timeout=2)}, clock=clock)
    for _ in range(8):
        worker.run_once()
        clock.advance(hours=2)
    worker.close()
    with transaction(engine) as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert row.status == "failed" and row.attempts == 8
        [event] = s.scalars(select(CaseEvent).where(CaseEvent.kind == "delivery_failed")).all()
        assert "could not deliver through SMTP" in event.body
        assert event.data["retry"] == f"cxloop outbox retry {row.id}"
