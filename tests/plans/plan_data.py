"""Planted feedback for action-plan tests: exact counts, so the true effect is known exactly."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from cxloop.storage.db import transaction
from cxloop.storage.models.core import Customer, Feedback, Source
from cxloop.storage.models.text import FeedbackTheme, Theme

START = datetime(2026, 3, 1, tzinfo=UTC)


def nps_answers(n: int, promoters: float, detractors: float) -> list[int]:
    """``n`` answers with exactly these shares: 10 for promoters, 3 for detractors, 8 else."""
    p, d = round(n * promoters), round(n * detractors)
    return [10] * p + [3] * d + [8] * (n - p - d)


def plant(
    engine,
    cells: dict[tuple[str, str], tuple[int, float, float]],
    *,
    stage=None,
    segment_of=None,
    seed=3,
) -> None:
    """cells[(group, period)] = (n, promoter share, detractor share); group treated = Delivery."""
    rng = random.Random(seed)
    with transaction(engine) as s:
        src = Source(name="survey")
        delivery, price = Theme(name="Delivery"), Theme(name="Price and value")
        s.add_all([src, delivery, price])
        s.flush()
        customers = {}
        for seg in ("SMB", "Enterprise"):
            c = Customer(external_id=seg, segment=seg, content_hash="x")
            s.add(c)
            s.flush()
            customers[seg] = c.id
        feedback, links = [], []
        fid = 0
        for (group, period), (n, prom, det) in cells.items():
            answers = nps_answers(n, prom, det)
            rng.shuffle(answers)
            for score in answers:
                fid += 1
                days = rng.uniform(1, 89)
                at = (
                    START - timedelta(days=days)
                    if period == "before"
                    else START + timedelta(days=days)
                )
                seg = segment_of(group) if segment_of else "SMB"
                feedback.append(
                    {
                        "id": fid,
                        "source_id": src.id,
                        "dedup_key": f"k{fid}",
                        "content_hash": "h",
                        "received_at": at,
                        "nps": score,
                        "customer_id": customers[seg],
                        "journey_stage": stage(group) if stage else None,
                        "extra": {},
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                theme = delivery.id if group == "treated" else price.id
                links.append(
                    {
                        "feedback_id": fid,
                        "theme_id": theme,
                        "confidence": 0.9,
                        "sentiment_label": "negative",
                        "sentiment_score": -0.5,
                        "origin": "model",
                        "extra": {},
                    }
                )
        s.execute(insert(Feedback), feedback)
        s.execute(insert(FeedbackTheme), links)
