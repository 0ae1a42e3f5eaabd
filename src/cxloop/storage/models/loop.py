"""Act: routing tables, rules, rule matches, feedback tags, cases and their full history.

Uniqueness carries the promises of the closed loop: ``(rule_id, feedback_id)`` is unique in
``rule_matches`` and in ``cases``, so one feedback never opens two cases for the same rule even
when two ``loop run`` processes race or a run is interrupted and repeated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.models.base import Base
from cxloop.storage.types import BigId, JsonDoc, UTCDateTime, utcnow

#: The dimensions a routing entry can match on, in the order they are tried.
ROUTING_DIMENSIONS = ("theme", "journey_stage", "touchpoint", "segment", "region", "channel")

#: Case statuses, in lifecycle order.
CASE_STATUSES = (
    "new",
    "acknowledged",
    "in_progress",
    "waiting_on_customer",
    "resolved",
    "closed",
)

#: Case priorities, most urgent first.
CASE_PRIORITIES = ("urgent", "high", "normal", "low")


class RoutingEntry(Base):
    """Maps one value of one dimension (e.g. theme = Delivery) to a team and/or a person.

    ``position`` breaks ties between entries of the same dimension (lower wins); across
    dimensions, the order of ``ROUTING_DIMENSIONS`` decides.
    """

    __tablename__ = "routing_entries"
    __table_args__ = (UniqueConstraint("dimension", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dimension: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=100)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rule(Base):
    """A stored rule: a ``when`` expression and its ``then`` actions (as imported from YAML)."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    when_expr: Mapped[str] = mapped_column(Text)
    actions: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RuleMatch(Base):
    """One feedback item caught by one rule; its actions ran once, when this row was created."""

    __tablename__ = "rule_matches"
    __table_args__ = (
        UniqueConstraint("rule_id", "feedback_id"),
        Index("ix_rule_matches_feedback_id", "feedback_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedbackTag(Base):
    """A tag put on a feedback item by a rule's ``tag`` action (or by a person)."""

    __tablename__ = "feedback_tags"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(80), primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("rules.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Case(Base):
    """A piece of feedback that needs an owner and an answer.

    SLA deadlines are absolute UTC times computed with the owning team's business hours when
    the case opens; ``first_response_at`` / ``resolved_at`` stop the clocks, and the
    ``*_escalated_at`` columns make escalation happen once per breach.
    """

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("rule_id", "feedback_id"),
        Index("ix_cases_status", "status", "priority"),
        Index("ix_cases_team_id", "team_id"),
        Index("ix_cases_assignee_id", "assignee_id"),
        Index("ix_cases_feedback_id", "feedback_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("rules.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(30), default="new")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tags: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    root_cause: Mapped[str | None] = mapped_column(String(120))
    resolution_code: Mapped[str | None] = mapped_column(String(120))
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def reference(self) -> str:
        """The human and email-threading reference, e.g. ``CX-000123`` (derived from the id)."""
        return f"CX-{self.id:06d}"


class CaseEvent(Base):
    """One change to a case: who (``actor``), when (``at``) and what (``kind``, from → to).

    Kinds: created, status, assigned, note, priority, escalated, first_response, and whatever
    the delivery side records (reply_sent, reply_received, followup...).
    """

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id", "case_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    from_value: Mapped[str | None] = mapped_column(Text)
    to_value: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
