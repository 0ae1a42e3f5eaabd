"""Delivery: the durable outbox, webhook endpoints, customer messages and follow-ups.

The outbox is the only way anything leaves cxloop: a row is written in the same transaction
as the change that caused it, and a worker delivers it later. ``idempotency_key`` is unique,
so enqueueing the same notification twice is a no-op and a receiver can drop a redelivery.
Case ids are plain integers (no foreign key): the case tables belong to another capability
and messages must survive even if a case row is archived.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.models.base import Base
from cxloop.storage.types import BigId, JsonDoc, UTCDateTime, utcnow

#: pending -> sending -> delivered | (back to pending with a backoff) | failed (gave up)
OUTBOX_STATUSES = ("pending", "sending", "delivered", "failed")


class OutboxMessage(Base):
    """One email or webhook call waiting to be (or already) delivered.

    ``locked_until`` is the lease of the worker that claimed it: a worker that dies
    mid-delivery leaves the row in ``sending`` and another worker takes it over once the
    lease expires, re-sending with the same idempotency key.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))  # email|webhook
    target: Mapped[str] = mapped_column(String(320))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(BigId, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    """A named webhook receiver (``webhook:ops`` in a rule); ``style`` is json or slack."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(255))
    style: Mapped[str] = mapped_column(String(20), default="json")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseMessage(Base):
    """A message of the two-way dialogue with the customer on one case.

    ``message_id`` is the RFC 5322 Message-ID; it is unique so that an inbound email fed
    twice is threaded once.
    """

    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_case", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigId)
    direction: Mapped[str] = mapped_column(String(10))  # out|in
    author: Mapped[str | None] = mapped_column(String(320))
    to_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(512), unique=True)
    outbox_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUp(Base):
    """The "did we resolve this?" question sent after resolution, and its single answer.

    ``nonce`` is embedded in the signed link; the link works once (``answered_at``).
    ``kind`` is ``scale`` (0-10) or ``yesno``.
    """

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigId, unique=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="scale")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
