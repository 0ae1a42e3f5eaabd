"""Learning from users: discovered theme proposals, taught examples, versioned models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.models.base import Base
from cxloop.storage.types import BigId, JsonDoc, UTCDateTime, utcnow


class ThemeProposal(Base):
    """A recurring subject found by discovery that the taxonomy does not cover.

    ``signature`` (sorted top keywords) lets a rejected proposal stay rejected when the same
    cluster is found again.
    """

    __tablename__ = "theme_proposals"
    __table_args__ = (Index("ix_theme_proposals_status", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    label: Mapped[str] = mapped_column(String(200))
    keywords: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    signature: Mapped[str] = mapped_column(String(400))
    size: Mapped[int] = mapped_column(default=0)
    share: Mapped[float] = mapped_column(Float, default=0.0)
    negative_share: Mapped[float | None] = mapped_column(Float)
    trend: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    examples: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # or accepted|rejected
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    params: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaughtExample(Base):
    """A label a person gave: a correction of one feedback item or a row of a taught file.

    Corrections are honoured verbatim (looked up by ``text_hash``) whatever the model says.
    """

    __tablename__ = "taught_examples"
    __table_args__ = (
        UniqueConstraint("task", "text_hash", "label"),
        Index("ix_taught_examples_task_hash", "task", "text_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task: Mapped[str] = mapped_column(String(20))  # sentiment|themes
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"))
    origin: Mapped[str] = mapped_column(String(20), default="file")  # file|correction|api
    author: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModelVersion(Base):
    """A workspace-taught model head; exactly one version per task is active (or none)."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("task", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(40))
    backend: Mapped[str] = mapped_column(String(40))
    n_examples: Mapped[int] = mapped_column(default=0)
    metrics: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
