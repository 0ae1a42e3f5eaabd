"""Builders for closed-loop tests: a small workspace with feedback, customers, enrichment
results and themes inserted as rows (the enrichment engine is another capability)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from cxloop.storage.db import transaction
from cxloop.storage.models import Customer, Enrichment, Feedback, FeedbackTheme, Source, Theme

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@dataclass
class World:
    """Handles to what :func:`make_world` created (ids by a short name)."""

    engine: Engine
    source_id: int = 0
    themes: dict[str, int] = field(default_factory=dict)
    customers: dict[str, int] = field(default_factory=dict)

    def add_feedback(
        self,
        key: str,
        *,
        customer: str | None = None,
        nps: int | None = None,
        text: str = "",
        channel: str = "survey",
        received_at: datetime = T0,
        themes: dict[str, str] | None = None,
        sentiment: str | None = None,
        churn_risk: bool = False,
        journey_stage: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Insert one feedback item (and its enrichment when ``sentiment`` or ``themes``)."""
        with transaction(self.engine) as s:
            fb = Feedback(
                source_id=self.source_id,
                dedup_key=key,
                content_hash=key,
                customer_ref=customer,
                customer_id=self.customers.get(customer) if customer else None,
                channel=channel,
                received_at=received_at,
                text=text,
                nps=nps,
                journey_stage=journey_stage,
                extra=extra or {},
            )
            s.add(fb)
            s.flush()
            if sentiment is not None or themes:
                s.add(
                    Enrichment(
                        feedback_id=fb.id,
                        model_version="test",
                        content_hash=key,
                        sentiment_label=sentiment or "neutral",
                        sentiment_score={"negative": -0.7, "positive": 0.7}.get(
                            sentiment or "", 0.0
                        ),
                        churn_risk=churn_risk,
                        redacted_text=text,
                    )
                )
            for name, label in (themes or {}).items():
                s.add(
                    FeedbackTheme(
                        feedback_id=fb.id,
                        theme_id=self.themes[name],
                        confidence=0.9,
                        sentiment_label=label,
                        sentiment_score={"negative": -0.6, "positive": 0.6}.get(label, 0.0),
                    )
                )
            return fb.id


def make_world(engine: Engine) -> World:
    world = World(engine)
    with transaction(engine) as s:
        src = Source(name="survey")
        s.add(src)
        for name in ("Delivery", "Billing and refunds", "Customer service"):
            s.add(Theme(name=name))
        for ext, seg, rev in (
            ("C1", "Enterprise", 120000.0),
            ("C2", "SMB", 900.0),
            ("C3", "Consumer", 50.0),
        ):
            s.add(
                Customer(
                    external_id=ext, segment=seg, region="North", revenue=rev, content_hash=ext
                )
            )
        s.flush()
        world.source_id = src.id
        world.themes = {t.name: t.id for t in s.query(Theme)}
        world.customers = {c.external_id: c.id for c in s.query(Customer)}
    return world


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)
