"""Replies to the customer: rendered, queued in the outbox and recorded on the case, atomically.

A reply is one transaction: the outbox row, the ``case_messages`` row, the ``reply_sent``
event and the stopped first-response clock. If any part fails, nothing is sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.config import Settings
from cxloop.errors import ValidationError
from cxloop.loop import cases as case_service
from cxloop.loop.mail import reply_payload
from cxloop.loop.outbox import enqueue
from cxloop.loop.signing import sign_reference
from cxloop.storage.models.core import Customer
from cxloop.storage.models.delivery import CaseMessage
from cxloop.storage.models.loop import Case
from cxloop.storage.models.people import User
from cxloop.storage.types import utcnow


@dataclass(frozen=True)
class SentReply:
    message_id: int
    outbox_id: int
    to: str
    subject: str


def customer_email(session: Session, case: Case) -> tuple[str, str | None]:
    """The customer's address and name; a clear error when the case has none."""
    customer = session.get(Customer, case.customer_id) if case.customer_id else None
    if customer is None or not customer.email:
        raise ValidationError(
            f"case {case.reference} has no customer email address to reply to",
            hint="load the customer with an email column (cxloop ingest ... --kind customers)",
            details={"field": "customer.email"},
        )
    return customer.email, customer.name


def send_reply(
    session: Session,
    settings: Settings,
    case: Case,
    *,
    body: str,
    actor: User | str,
    subject: str | None = None,
    wait_on_customer: bool = False,
    now: datetime | None = None,
) -> SentReply:
    """Queue an email reply to the case's customer and record it on the case."""
    body = (body or "").strip()
    if not body:
        raise ValidationError("the reply is empty", hint="pass the text with --body or --body-file")
    address, name = customer_email(session, case)
    now = now or utcnow()
    signed = sign_reference(settings.signing_key, case.reference)
    last_inbound = session.scalar(
        select(CaseMessage.message_id)
        .where(CaseMessage.case_id == case.id, CaseMessage.direction == "in")
        .order_by(CaseMessage.created_at.desc(), CaseMessage.id.desc())
        .limit(1)
    )
    key = f"case-reply:{case.id}:{uuid.uuid4().hex}"
    agent = actor.name or actor.email if isinstance(actor, User) else None
    payload = reply_payload(
        settings,
        reference=case.reference,
        signed_reference=signed,
        customer_name=name,
        body=body,
        agent_name=agent,
        idempotency_key=key,
        subject=subject,
        in_reply_to=last_inbound,
    )
    outbox_id = enqueue(
        session,
        channel="email",
        target=address,
        payload=payload,
        idempotency_key=key,
        case_id=case.id,
    )
    author = actor.email if isinstance(actor, User) else str(actor)
    message = CaseMessage(
        case_id=case.id,
        direction="out",
        author=author,
        to_address=address,
        subject=payload["subject"],
        body=body,
        message_id=payload["headers"]["Message-ID"],
        outbox_id=outbox_id,
        created_at=now,
    )
    session.add(message)
    session.flush()
    case_service.add_event(
        session,
        case,
        "reply_sent",
        actor,
        body=body,
        data={"outbox_id": outbox_id, "case_message_id": message.id},
        at=now,
    )
    case_service.record_first_response(session, case, actor, at=now)
    if wait_on_customer and case.status != "waiting_on_customer":
        case_service.transition(
            session,
            case,
            "waiting_on_customer",
            actor,
            reason="replied; awaiting the customer",
            at=now,
        )
    return SentReply(message.id, outbox_id, address, payload["subject"])


def thread(session: Session, case: Case) -> list[CaseMessage]:
    """The dialogue with the customer, oldest first."""
    return list(
        session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id == case.id)
            .order_by(CaseMessage.created_at, CaseMessage.id)
        )
    )
