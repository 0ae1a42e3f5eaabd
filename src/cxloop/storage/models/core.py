"""Hear: sources, customers, feedback, business metrics, ingestion runs and quarantine.

Indexes are chosen for the analytics that run over a million feedback rows: time ranges,
per-customer joins, per-channel/stage grouping, and dedup look-ups by (source, key).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.models.base import Base
from cxloop.storage.types import BigId, JsonDoc, UTCDateTime, utcnow


class Source(Base):
    """Where feedback or data came from (a survey, a help desk, a review site, the API)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), default="file")  # file|api|webhook|demo
    channel: Mapped[str | None] = mapped_column(String(60))
    profile: Mapped[str | None] = mapped_column(String(60))
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    segment: Mapped[str | None] = mapped_column(String(120), index=True)
    region: Mapped[str | None] = mapped_column(String(120), index=True)
    revenue: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str | None] = mapped_column(String(40), index=True)  # active|churned|...
    signup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    churned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    churn_reason: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Feedback(Base):
    """One piece of customer voice: a survey answer, review, post, ticket or agent note.

    ``dedup_key`` is the external id when the source has one, else ``h:`` + content hash;
    (source_id, dedup_key) is unique, which makes re-ingestion idempotent.
    ``customer_ref`` keeps the customer id as given, even when that customer is not loaded yet.
    """

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("source_id", "dedup_key"),
        Index("ix_feedback_received_at", "received_at"),
        Index("ix_feedback_channel_received", "channel", "received_at"),
        Index("ix_feedback_customer_id", "customer_id"),
        Index("ix_feedback_customer_ref", "customer_ref"),
        Index("ix_feedback_stage", "journey_stage", "touchpoint"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(255))
    dedup_key: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    customer_ref: Mapped[str | None] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    channel: Mapped[str | None] = mapped_column(String(60))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    nps: Mapped[int | None] = mapped_column()
    csat: Mapped[int | None] = mapped_column()
    ces: Mapped[int | None] = mapped_column()
    rating: Mapped[float | None] = mapped_column(Float)
    journey_stage: Mapped[str | None] = mapped_column(String(80))
    touchpoint: Mapped[str | None] = mapped_column(String(120))
    extra: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BusinessMetric(Base):
    """A business figure for one period (sales, orders, revenue), optionally per dimension.

    ``dims_key`` is the canonical JSON of ``dimensions`` so the natural key can be unique.
    """

    __tablename__ = "business_metrics"
    __table_args__ = (
        UniqueConstraint("name", "period_start", "period_end", "dims_key"),
        Index("ix_business_metrics_name_period", "name", "period_start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    grain: Mapped[str] = mapped_column(String(12))  # day|month|quarter
    value: Mapped[float] = mapped_column(Float)
    dimensions: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    dims_key: Mapped[str] = mapped_column(String(500), default="{}")
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class IngestRun(Base):
    """One ingestion of one file or API batch, with its counts and outcome."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # feedback|customers|metrics
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    file_name: Mapped[str | None] = mapped_column(Text)
    file_hash: Mapped[str | None] = mapped_column(String(64))
    profile: Mapped[str | None] = mapped_column(String(60))
    mapping: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|completed|failed
    rows_read: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    quarantined: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuarantinedRow(Base):
    """A row that could not be stored, kept verbatim with the reason, for a person to fix."""

    __tablename__ = "quarantine"
    __table_args__ = (Index("ix_quarantine_status", "status", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    file_name: Mapped[str | None] = mapped_column(Text)
    row_number: Mapped[int | None] = mapped_column()
    field: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    raw_text: Mapped[str | None] = mapped_column(Text)
    #: The feedback row's dedup key in its file, so a retry stores it under the same identity
    #: a re-ingest of that file would give it (see migration 0010).
    dedup_key: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|resolved|discarded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkspaceDocument(Base):
    """Small configuration documents stored in the workspace (journey definition, options)."""

    __tablename__ = "workspace_documents"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[Any] = mapped_column(JsonDoc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
