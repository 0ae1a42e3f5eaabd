"""A small workspace with planted effects, written through SQLAlchemy Core (any database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import Engine, func, insert, select

from cxloop.storage.models.core import BusinessMetric, Customer, Feedback, Source
from cxloop.storage.models.text import Enrichment, FeedbackTheme, Theme

START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
WEEKS = 30
THEME_NAMES = ("Delivery", "Price", "App", "Staff")
SPIKE_WEEK = 22  # App complaints jump in this week


def seed(engine: Engine, customers: int = 400, feedback: int = 3000, rng_seed: int = 3) -> None:
    rng = np.random.default_rng(rng_seed)
    seg = rng.choice(["SMB", "Enterprise", "Consumer"], customers, p=[0.3, 0.2, 0.5])
    region = rng.choice(["North", "South"], customers)
    plan = rng.choice(["Basic", "Plus"], customers)
    signup = [START - timedelta(days=int(d)) for d in rng.integers(0, 400, customers)]
    churned = rng.random(customers) < 0.3
    churn_at = [START + timedelta(days=int(d)) for d in rng.integers(10, WEEKS * 7, customers)]
    with engine.begin() as conn:
        conn.execute(insert(Source.__table__), [{"id": 1, "name": "survey"}])
        conn.execute(
            insert(Theme.__table__),
            [
                {"id": i + 1, "name": n, "effort": "low" if n == "Price" else "medium"}
                for i, n in enumerate(THEME_NAMES)
            ],
        )
        conn.execute(
            insert(Customer.__table__),
            [
                {
                    "id": i + 1,
                    "external_id": f"C{i}",
                    "content_hash": "x",
                    "segment": seg[i],
                    "region": region[i],
                    "revenue": float(100 + i % 50),
                    "status": "churned" if churned[i] else "active",
                    "signup_at": signup[i],
                    "churned_at": churn_at[i] if churned[i] else None,
                    "churn_reason": "the app kept crashing"
                    if churned[i] and i % 2
                    else ("too expensive" if churned[i] else None),
                    "attributes": {"plan": str(plan[i]), "seats": str(1 + i % 7)},
                }
                for i in range(customers)
            ],
        )
        fb, en, ft = [], [], []
        for k in range(feedback):
            cid = int(rng.integers(0, customers))
            week = int(rng.integers(0, WEEKS))
            at = START + timedelta(days=week * 7 + int(rng.integers(0, 7)), hours=10)
            delivery = rng.random() < 0.25
            app = rng.random() < (0.4 if week == SPIKE_WEEK else 0.05)
            price = rng.random() < 0.2
            ent = seg[cid - 0] == "Enterprise"
            score = 8.5 - 4.0 * delivery - 2.0 * ent + rng.normal(0, 1.2)
            nps = int(np.clip(round(score), 0, 10)) if rng.random() < 0.6 else None
            fb.append(
                {
                    "id": k + 1,
                    "source_id": 1,
                    "dedup_key": f"k{k}",
                    "content_hash": "h",
                    "customer_id": cid + 1,
                    "customer_ref": f"C{cid}",
                    "channel": "survey",
                    "received_at": at,
                    "nps": nps,
                    "csat": int(np.clip(round(score / 2), 1, 5)) if nps is None else None,
                    "text": "contact me at someone@example.com",
                }
            )
            sent = float(np.clip((score - 5) / 5, -1, 1))
            en.append(
                {
                    "feedback_id": k + 1,
                    "model_version": "t",
                    "content_hash": "h",
                    "sentiment_label": "negative" if sent < 0 else "positive",
                    "sentiment_score": sent,
                    "journey_stage": "Receive" if delivery else "Use",
                    "touchpoint": "Delivery" if delivery else "Product",
                    "redacted_text": "contact me at [EMAIL]",
                }
            )
            for tid, on in ((1, delivery), (2, price), (3, app)):
                if on:
                    ft.append(
                        {
                            "feedback_id": k + 1,
                            "theme_id": tid,
                            "confidence": 0.9,
                            "sentiment_label": "negative",
                            "sentiment_score": -0.6,
                        }
                    )
        conn.execute(insert(Feedback.__table__), fb)
        conn.execute(insert(Enrichment.__table__), en)
        conn.execute(insert(FeedbackTheme.__table__), ft)
        conn.execute(
            insert(BusinessMetric.__table__),
            [
                {
                    "name": "revenue",
                    "period_start": date(2024 + (m + 11) // 12, (m + 11) % 12 + 1, 1),
                    "period_end": date(2024 + (m + 11) // 12, (m + 11) % 12 + 1, 28),
                    "grain": "month",
                    "value": 1000.0 + 10 * m + (m % 3),
                    "dims_key": "{}",
                }
                for m in range(1, 20)
            ],
        )


def next_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(Feedback.id))).scalar() or 0) + 1


def add_feedback(engine: Engine, rows: int, *, customer: int = 1, day: int = 100) -> list[int]:
    """New, enriched feedback with a negative 'App' mention and NPS 0, the way ingestion and
    enrichment write it (feedback first, then enrichment and theme rows)."""
    first = next_id(engine)
    ids = list(range(first, first + rows))
    at = START + timedelta(days=day, hours=9)
    with engine.begin() as conn:
        conn.execute(
            insert(Feedback.__table__),
            [
                {
                    "id": i,
                    "source_id": 1,
                    "dedup_key": f"new{i}",
                    "content_hash": "n",
                    "customer_id": customer,
                    "channel": "email",
                    "received_at": at,
                    "nps": 0,
                    "text": "the app crashed",
                }
                for i in ids
            ],
        )
    with engine.begin() as conn:
        conn.execute(
            insert(Enrichment.__table__),
            [
                {
                    "feedback_id": i,
                    "model_version": "t",
                    "content_hash": "n",
                    "sentiment_label": "negative",
                    "sentiment_score": -0.9,
                    "journey_stage": "Use",
                    "touchpoint": "App",
                    "redacted_text": "the app crashed",
                }
                for i in ids
            ],
        )
        conn.execute(
            insert(FeedbackTheme.__table__),
            [
                {
                    "feedback_id": i,
                    "theme_id": 3,
                    "confidence": 0.9,
                    "sentiment_label": "negative",
                    "sentiment_score": -0.9,
                }
                for i in ids
            ],
        )
    return ids
