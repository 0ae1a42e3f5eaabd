"""``cxloop demo`` end to end: files through the real ingestion into a real database."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from cxloop.storage.db import make_engine
from cxloop.storage.models.core import BusinessMetric, Customer, Feedback, QuarantinedRow


def test_demo_loads_everything_and_rerun_changes_nothing(cli, settings) -> None:
    res = cli("demo", "--customers", "300", "--feedback", "3000", "--seed", "5", "--format", "json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert sum(f["rows"] for f in data["files"] if f["kind"] == "feedback") == 3000
    assert all(f["inserted"] == f["rows"] and f["quarantined"] == 0 for f in data["files"])
    assert {p["effect"] for p in data["planted"]} >= {"key driver", "spike", "churn driver"}
    assert (settings.home / "demo" / "feedback_tickets.csv").is_file()

    engine = make_engine(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Feedback)) == 3000
            assert conn.scalar(select(func.count()).select_from(Customer)) == 300
            assert conn.scalar(select(func.count()).select_from(BusinessMetric)) == 48
            assert conn.scalar(select(func.count()).select_from(QuarantinedRow)) == 0
            linked = conn.scalar(
                select(func.count()).select_from(Feedback).where(Feedback.customer_id.is_not(None))
            )
            assert linked > 2000  # survey and ticket rows resolve to their customers
            note = conn.execute(
                select(Feedback.extra).where(Feedback.channel == "support").limit(1)
            ).scalar_one()
            assert note["agent_note"] and note["priority"]
            churned = conn.execute(
                select(Customer.churned_at, Customer.churn_reason).where(
                    Customer.status == "churned"
                )
            ).all()
            assert churned and all(c.churned_at is not None for c in churned)
    finally:
        engine.dispose()

    again = cli(
        "demo", "--customers", "300", "--feedback", "3000", "--seed", "5", "--format", "json"
    )
    assert again.exit_code == 0, again.stderr
    files = json.loads(again.stdout)["files"]
    assert all(f["unchanged"] == f["rows"] and f["inserted"] == 0 for f in files)


def test_demo_refuses_a_silly_size_with_a_hint(cli) -> None:
    res = cli("demo", "--customers", "2")
    assert res.exit_code == 2
    assert "--customers 2" in res.stderr and "hint" in res.stderr


def test_demo_help_has_an_example(cli) -> None:
    res = cli("demo", "--help")
    assert res.exit_code == 0 and "Example: cxloop demo" in res.stdout
