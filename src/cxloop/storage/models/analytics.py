"""Analytics roll-ups: per-day sufficient statistics, so analyses read days, not rows.

A million feedback rows reduce to a few thousand rows per roll-up (about 700 days times the
values of a few dimensions), and every CX metric, interval and test is computed from such
sums (counts, sums, sums of squares, promoter/detractor counts). The roll-ups are derived
data: :mod:`cxloop.analytics.rollups` rebuilds them from feedback, enrichments, theme
mentions and customers, and keeps them current from the change log below.

Change log. Database triggers (created by migration ``0008_analytics_rollups``) record the
UTC day (``analytics_dirty_days``; ``''`` for feedback without a date) and the customer
(``analytics_dirty_customers``) of every insert, update or delete that can change a roll-up,
whatever code made it. On SQLite, plain feedback inserts are found instead by the id
watermark in ``analytics_state`` (one trigger per inserted row would cost ingestion about
4 s per million rows; SQLite has one writer at a time, so an id above the watermark is new).
Days are stored as ``YYYY-MM-DD`` text so both databases compare and group them alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.models.base import Base
from cxloop.storage.types import BigId, UTCDateTime

#: The sufficient statistics each roll-up row carries (see cxloop.analytics.data).
STAT_NAMES = (
    "n",
    "nps_n",
    "nps_pro",
    "nps_det",
    "csat_n",
    "csat_top",
    "ces_n",
    "ces_sum",
    "ces_sq",
    "rating_n",
    "rating_sum",
    "rating_sq",
    "sent_n",
    "sent_sum",
    "sent_sq",
)


class _Stats:
    """The statistic columns shared by the roll-ups of feedback-level figures."""

    n: Mapped[float] = mapped_column(Float, default=0.0)
    nps_n: Mapped[float] = mapped_column(Float, default=0.0)
    nps_pro: Mapped[float] = mapped_column(Float, default=0.0)
    nps_det: Mapped[float] = mapped_column(Float, default=0.0)
    csat_n: Mapped[float] = mapped_column(Float, default=0.0)
    csat_top: Mapped[float] = mapped_column(Float, default=0.0)
    ces_n: Mapped[float] = mapped_column(Float, default=0.0)
    ces_sum: Mapped[float] = mapped_column(Float, default=0.0)
    ces_sq: Mapped[float] = mapped_column(Float, default=0.0)
    rating_n: Mapped[float] = mapped_column(Float, default=0.0)
    rating_sum: Mapped[float] = mapped_column(Float, default=0.0)
    rating_sq: Mapped[float] = mapped_column(Float, default=0.0)
    sent_n: Mapped[float] = mapped_column(Float, default=0.0)
    sent_sum: Mapped[float] = mapped_column(Float, default=0.0)
    sent_sq: Mapped[float] = mapped_column(Float, default=0.0)


class FeedbackDaily(_Stats, Base):
    """All feedback per day, channel, journey stage and touchpoint (the enrichment's stage
    and touchpoint when it has one, as in the analyses)."""

    __tablename__ = "analytics_feedback_daily"
    __table_args__ = (Index("ix_analytics_feedback_daily_day", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[str | None] = mapped_column(String(10))
    channel: Mapped[str | None] = mapped_column(String(60))
    journey_stage: Mapped[str | None] = mapped_column(String(80))
    touchpoint: Mapped[str | None] = mapped_column(String(120))


class CustomerDaily(_Stats, Base):
    """All feedback per day and the segment, region and status of its customer."""

    __tablename__ = "analytics_customer_daily"
    __table_args__ = (Index("ix_analytics_customer_daily_day", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[str | None] = mapped_column(String(10))
    segment: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str | None] = mapped_column(String(40))


class ThemeDaily(_Stats, Base):
    """Feedback mentioning a theme per day and journey stage, with the aspect sentiment."""

    __tablename__ = "analytics_theme_daily"
    __table_args__ = (Index("ix_analytics_theme_daily_day", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[str | None] = mapped_column(String(10))
    theme_id: Mapped[int] = mapped_column(BigInteger)
    journey_stage: Mapped[str | None] = mapped_column(String(80))
    negative: Mapped[float] = mapped_column(Float, default=0.0)
    positive: Mapped[float] = mapped_column(Float, default=0.0)
    aspect_sum: Mapped[float] = mapped_column(Float, default=0.0)


class ThemeCustomerDaily(_Stats, Base):
    """Feedback mentioning a theme per day and the segment and region of its customer (theme
    figures for a segment or region, and theme shares and spikes per segment or region)."""

    __tablename__ = "analytics_theme_customer_daily"
    __table_args__ = (Index("ix_analytics_theme_customer_daily_day", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[str | None] = mapped_column(String(10))
    theme_id: Mapped[int] = mapped_column(BigInteger)
    segment: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    negative: Mapped[float] = mapped_column(Float, default=0.0)
    positive: Mapped[float] = mapped_column(Float, default=0.0)
    aspect_sum: Mapped[float] = mapped_column(Float, default=0.0)


class ThemeGroupDaily(Base):
    """Theme mentions per day and value of one more grouping field (channel)."""

    __tablename__ = "analytics_theme_group_daily"
    __table_args__ = (Index("ix_analytics_theme_group_daily_dim_day", "dim", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[str | None] = mapped_column(String(10))
    theme_id: Mapped[int] = mapped_column(BigInteger)
    dim: Mapped[str] = mapped_column(String(20))
    value: Mapped[str | None] = mapped_column(String(255))
    mentions: Mapped[float] = mapped_column(Float, default=0.0)


class CustomerTheme(Base):
    """Per customer and theme: first mention and count, first negative mention and count."""

    __tablename__ = "analytics_customer_themes"

    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    theme_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    first_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mentions: Mapped[int] = mapped_column(Integer, default=0)
    first_negative_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    negative_mentions: Mapped[int] = mapped_column(Integer, default=0)


class CustomerNps(Base):
    """Per customer with feedback: first and last feedback time, NPS answers, their sum and
    the first detractor answer's time."""

    __tablename__ = "analytics_customer_nps"

    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    nps_n: Mapped[int] = mapped_column(Integer, default=0)
    nps_sum: Mapped[float] = mapped_column(Float, default=0.0)
    first_detractor: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DirtyDay(Base):
    """A UTC day whose roll-up rows must be recomputed (``''``: feedback without a date)."""

    __tablename__ = "analytics_dirty_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)


class DirtyCustomer(Base):
    """A customer whose per-customer roll-up rows must be recomputed."""

    __tablename__ = "analytics_dirty_customers"

    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class RollupState(Base):
    """One row (id 1): whether the roll-ups were built, and the SQLite insert watermark."""

    __tablename__ = "analytics_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Last step of a staged build (SQLite); None when no build is under way.
    building_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
