"""Understand the words: the theme taxonomy and per-feedback enrichment results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.models.base import Base
from cxloop.storage.types import BigId, JsonDoc, UTCDateTime, utcnow


class Theme(Base):
    """A theme of the user-editable, hierarchical taxonomy.

    ``effort`` (low|medium|high) is the feasibility a person sets, used to rank opportunities.
    ``origin`` says whether it came with the default taxonomy, a user, or discovery.
    """

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    examples: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    effort: Mapped[str] = mapped_column(String(10), default="medium")
    origin: Mapped[str] = mapped_column(String(20), default="user")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Enrichment(Base):
    """The current text-analytics result for one feedback item.

    ``content_hash`` is the feedback's hash when it was enriched, and ``model_version`` the
    engine that did it, so re-enrichment only touches new, changed or outdated rows.
    Sentiment score is in [-1, 1]. Signal flags are columns for fast filtering and rules.
    """

    __tablename__ = "enrichments"
    __table_args__ = (
        Index("ix_enrichments_model_version", "model_version"),
        Index("ix_enrichments_stage", "journey_stage", "touchpoint"),
        Index("ix_enrichments_sentiment", "sentiment_label"),
    )

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    model_version: Mapped[str] = mapped_column(String(120))
    content_hash: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    sentiment_label: Mapped[str] = mapped_column(String(10))  # negative|neutral|positive
    sentiment_score: Mapped[float] = mapped_column(Float)
    sentiment_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    journey_stage: Mapped[str | None] = mapped_column(String(80))
    touchpoint: Mapped[str | None] = mapped_column(String(120))
    stage_source: Mapped[str | None] = mapped_column(String(20))  # metadata|text
    effort: Mapped[bool] = mapped_column(Boolean, default=False)
    urgency: Mapped[bool] = mapped_column(Boolean, default=False)
    churn_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    signals: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    sentences: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    redacted_title: Mapped[str | None] = mapped_column(Text)
    redacted_text: Mapped[str | None] = mapped_column(Text)
    enriched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedbackTheme(Base):
    """A theme found in a feedback item, with its confidence and aspect-level sentiment.

    ``origin`` is ``model`` or ``correction`` (a person's correction always wins).
    """

    __tablename__ = "feedback_themes"
    __table_args__ = (Index("ix_feedback_themes_theme", "theme_id", "sentiment_label"),)

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[int] = mapped_column(
        ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True
    )
    confidence: Mapped[float] = mapped_column(Float)
    sentiment_label: Mapped[str] = mapped_column(String(10))
    sentiment_score: Mapped[float] = mapped_column(Float)
    origin: Mapped[str] = mapped_column(String(20), default="model")
    extra: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
