"""Act and prove: initiatives (action plans) with milestones, and the CX plan.

An initiative links themes, journey stages and segments; feedback touching them is the
treated group when its impact is estimated (difference-in-differences), everything else the
comparison group. The CX plan is a set of objectives, target segments and, per journey
stage, the desired experience as a target for one metric.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.models.base import Base
from cxloop.storage.types import BigId, JsonDoc, UTCDateTime, utcnow

INITIATIVE_STATUSES = ("planned", "active", "done", "cancelled")


class Initiative(Base):
    """One action plan item; ``outcome_metric`` is nps|csat|ces|rating|sentiment."""

    __tablename__ = "initiatives"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    owner: Mapped[str] = mapped_column(String(320))
    description: Mapped[str | None] = mapped_column(Text)
    themes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    stages: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    segments: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    outcome_metric: Mapped[str] = mapped_column(String(20), default="nps")
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    start_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Milestone(Base):
    __tablename__ = "initiative_milestones"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CxPlan(Base):
    """The CX plan (one row per workspace, ``key`` = "default")."""

    __tablename__ = "cx_plans"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    objectives: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    target_segments: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StageTarget(Base):
    """The desired experience at one journey stage: ``metric`` reaching ``target``."""

    __tablename__ = "cx_stage_targets"
    __table_args__ = (UniqueConstraint("plan_key", "stage", "metric"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_key: Mapped[str] = mapped_column(ForeignKey("cx_plans.key", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(80))
    metric: Mapped[str] = mapped_column(String(20))
    target: Mapped[float] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
