"""Real public exports (../shared/datasets) load completely with the generic profile."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.ingest.loader import ingest_file
from cxloop.storage.models import Customer, Feedback


def test_clothing_reviews_load_every_row(engine, datasets):
    import pandas as pd

    path = datasets / "womens_clothing_reviews_sample.csv"
    expected = len(pd.read_csv(path))  # 1,000 records (the text holds newlines)
    summary = ingest_file(engine, path, "feedback", source="clothing")
    assert summary.read == expected and summary.quarantined == 0
    assert summary.mapping["Review Text"] == "text" and summary.mapping["Rating"] == "rating"
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Feedback)) == summary.inserted
        row = s.scalar(select(Feedback).where(Feedback.text.like("Love this dress!%")))
        assert row.rating == 5.0 and row.extra["Department Name"] == "Dresses"
    assert ingest_file(engine, path, "feedback", source="clothing").unchanged == summary.inserted


def test_telco_customers_with_bom_and_blank_numbers(engine, datasets):
    summary = ingest_file(engine, datasets / "telco_customer_churn.csv", "customers")
    assert (summary.read, summary.inserted, summary.quarantined) == (7043, 7043, 0)
    assert summary.mapping["customerID"] == "customer_id"
    with Session(engine) as s:
        c = s.scalar(select(Customer).where(Customer.external_id == "7590-VHVEG"))
        assert c.region == "United States" and c.attributes["Churn"] == "No"
        assert c.attributes["Contract"] == "Month-to-month"
