"""A small real workspace for web tests: users of every role, two teams, customers in two
segments, feedback with scores, enrichments and themes, and one case per team."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from cxloop.people.teams import create_team
from cxloop.people.users import create_user
from cxloop.storage.db import transaction
from cxloop.storage.models import Customer, Enrichment, Feedback, FeedbackTheme, Source, Theme
from cxloop.storage.models.loop import Case

PASSWORD = "correct horse battery"
ROLES = ("admin", "analyst", "manager", "agent", "viewer")
SCRIPT_TEXT = "<script>alert('pwned')</script> the parcel came late, call me on +44 20 7946 0958"


@functools.cache
def password_hash() -> str:
    """One argon2 hash shared by every seeded account (hashing is slow on purpose)."""
    from cxloop.people.passwords import hash_password

    return hash_password(PASSWORD)


def _user(db, **kwargs):
    user = create_user(db, **kwargs)
    user.password_hash = password_hash()
    return user


@dataclass
class Seeded:
    emails: dict[str, str] = field(default_factory=dict)
    team_a: int = 0
    team_b: int = 0
    case_a: int = 0
    case_b: int = 0
    script_feedback: int = 0
    theme_delivery: int = 0
    feedback_n: int = 0


def seed(engine: Engine, *, n_feedback: int = 120) -> Seeded:
    out = Seeded()
    rng = random.Random(7)
    with transaction(engine) as db:
        team_a = create_team(db, "Care A")
        team_b = create_team(db, "Care B")
        for role in ROLES:
            email = f"{role}@example.com"
            _user(
                db,
                email=email,
                role=role,
                team="Care A" if role in ("agent", "manager") else None,
            )
            out.emails[role] = email
        agent_b = _user(db, email="agent-b@example.com", role="agent", team="Care B")
        out.emails["agent_b"] = agent_b.email
        scoped = _user(
            db,
            email="smb-viewer@example.com",
            role="viewer",
            scope={"segment": ["SMB"]},
        )
        out.emails["smb_viewer"] = scoped.email
        db.flush()
        from cxloop.people.teams import set_manager

        set_manager(db, team_a, "manager@example.com")
        src = Source(name="survey", kind="file", channel="survey")
        db.add(src)
        customers = []
        for i, seg in enumerate(["SMB"] * 10 + ["Enterprise"] * 10):
            c = Customer(
                external_id=f"c{i}",
                name=f"Customer {i}",
                email=f"customer{i}@example.org",
                segment=seg,
                region="North" if i % 2 else "South",
                content_hash="x",
            )
            db.add(c)
            customers.append(c)
        delivery = Theme(name="Delivery", keywords=["late"])
        price = Theme(name="Price and value", keywords=["price"])
        db.add_all([delivery, price])
        db.flush()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        stages = [("Purchase", "Website"), ("Delivery", "Courier"), ("Support", "Phone")]
        rows = []
        for i in range(n_feedback):
            cust = customers[i % len(customers)]
            stage, tp = stages[i % 3]
            late = stage == "Delivery"
            nps = rng.randint(0, 6) if late else rng.randint(6, 10)
            rows.append(
                Feedback(
                    source_id=src.id,
                    external_id=f"f{i}",
                    dedup_key=f"f{i}",
                    content_hash=f"h{i}",
                    customer_id=cust.id,
                    customer_ref=cust.external_id,
                    channel="survey" if i % 2 else "email",
                    received_at=start + timedelta(days=i * 2),
                    text=("parcel was late again" if late else "nice price, friendly"),
                    nps=nps,
                    csat=rng.randint(1, 5),
                    ces=rng.randint(1, 7),
                    journey_stage=stage,
                    touchpoint=tp,
                )
            )
        db.add_all(rows)
        db.flush()
        for fb in rows:
            late = fb.journey_stage == "Delivery"
            db.add(
                Enrichment(
                    feedback_id=fb.id,
                    model_version="test",
                    content_hash=fb.content_hash,
                    sentiment_label="negative" if late else "positive",
                    sentiment_score=-0.6 if late else 0.5,
                    redacted_text=fb.text,
                )
            )
            theme = delivery if late else price
            db.add(
                FeedbackTheme(
                    feedback_id=fb.id,
                    theme_id=theme.id,
                    confidence=0.9,
                    sentiment_label="negative" if late else "positive",
                    sentiment_score=-0.6 if late else 0.5,
                )
            )
        fb = Feedback(
            source_id=src.id,
            external_id="xss",
            dedup_key="xss",
            content_hash="xss",
            customer_id=customers[0].id,
            channel="email",
            received_at=start + timedelta(days=1),
            text=SCRIPT_TEXT,
            nps=2,
            journey_stage="Delivery",
            touchpoint="Courier",
        )
        db.add(fb)
        db.flush()
        out.script_feedback = fb.id
        case_a = Case(
            feedback_id=fb.id,
            customer_id=customers[0].id,
            title="Late parcel",
            status="new",
            team_id=team_a.id,
            first_response_due_at=datetime.now(UTC) + timedelta(hours=4),
            resolution_due_at=datetime.now(UTC) + timedelta(days=2),
        )
        case_b = Case(
            customer_id=customers[15].id, title="Invoice question", status="new", team_id=team_b.id
        )
        db.add_all([case_a, case_b])
        db.flush()
        out.team_a, out.team_b = team_a.id, team_b.id
        out.case_a, out.case_b = case_a.id, case_b.id
        out.theme_delivery = delivery.id
        out.feedback_n = n_feedback + 1
    return out
