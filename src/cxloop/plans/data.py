"""Reading the feedback an action plan is measured on, straight from the stored tables.

One row per feedback item: when it came, its scores, its journey stage (the stored stage,
else the one the text engine inferred), the customer's segment, the sentiment score and
whether it mentions any of the given themes. Only the needed columns are read, with bound
parameters, so this stays fast on a million rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, exists, func, literal, select

from cxloop.storage.models.core import Customer, Feedback
from cxloop.storage.models.text import Enrichment, FeedbackTheme, Theme

COLUMNS = [
    "feedback_id",
    "received_at",
    "nps",
    "csat",
    "ces",
    "rating",
    "sentiment",
    "stage",
    "segment",
    "has_theme",
]


def load_feedback_frame(
    engine: Engine,
    *,
    themes: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """Feedback rows in [since, until) with scores, stage, segment and a linked-theme flag."""
    has_theme: Any
    if themes:
        mentions = exists().where(
            and_(
                FeedbackTheme.feedback_id == Feedback.id,
                FeedbackTheme.theme_id == Theme.id,
                Theme.name.in_(list(themes)),
            )
        )
        has_theme = mentions
    else:
        has_theme = literal(False)
    query = (
        select(
            Feedback.id.label("feedback_id"),
            Feedback.received_at,
            Feedback.nps,
            Feedback.csat,
            Feedback.ces,
            Feedback.rating,
            Enrichment.sentiment_score.label("sentiment"),
            func.coalesce(Feedback.journey_stage, Enrichment.journey_stage).label("stage"),
            Customer.segment.label("segment"),
            has_theme.label("has_theme"),
        )
        .select_from(Feedback)
        .outerjoin(Enrichment, Enrichment.feedback_id == Feedback.id)
        .outerjoin(Customer, Customer.id == Feedback.customer_id)
        .where(Feedback.received_at.is_not(None))
    )
    if since is not None:
        query = query.where(Feedback.received_at >= since)
    if until is not None:
        query = query.where(Feedback.received_at < until)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if not frame.empty:
        frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
        frame["has_theme"] = frame["has_theme"].astype(bool)
    return frame


def latest_feedback_at(engine: Engine) -> datetime | None:
    with engine.connect() as conn:
        value = conn.execute(select(func.max(Feedback.received_at))).scalar()
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).to_pydatetime()
