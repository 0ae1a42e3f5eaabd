"""Telco churn (IBM sample, 7,043 customers) ingested as customers through the real CLI: the
churn drivers agree with what is known of that data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def telco(datasets: Path) -> Path:
    path = datasets / "telco_customer_churn.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path


def test_known_churn_drivers_are_among_the_strongest(cli, telco: Path) -> None:
    loaded = cli(
        "ingest",
        str(telco),
        "--kind",
        "customers",
        "--map",
        "customerID=customer_id,Churn=status",
        "--format",
        "json",
    )
    assert loaded.exit_code == 0, loaded.stderr
    out = cli("analyze", "churn", "--format", "json")
    assert out.exit_code == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["model"] == "logit"  # a snapshot without dates: odds ratios
    drivers = [r for r in payload["rows"] if r["section"] == "driver" and "effect" in r]
    # The four known drivers are among the ten strongest (by |z|) of about 25 factors.
    top = [r["factor"] for r in drivers[:10]]
    assert len(drivers) >= 20
    assert "Contract=Month-to-month" in top, top
    assert "tenure (per SD)" in top, top
    assert "InternetService=Fiber optic" in top, top
    assert "PaymentMethod=Electronic check" in top, top
    by = {r["factor"]: r for r in drivers}
    for risky in (
        "Contract=Month-to-month",
        "InternetService=Fiber optic",
        "PaymentMethod=Electronic check",
    ):
        assert by[risky]["ci_low"] > 1.0  # each raises the odds of leaving
    assert by["tenure (per SD)"]["ci_high"] < 1.0  # longer tenure, fewer leave
    # Perfectly duplicated dummies ("No internet service" in six columns) are reported, not fit.
    notes = [r for r in payload["rows"] if r["section"] == "driver" and "note" in r]
    assert any("collinear" in r["note"] for r in notes)
    rates = {r["factor"]: r for r in payload["rows"] if r["section"] == "rate"}
    assert rates == {} or all(
        r["ci_low"] <= r["churn_rate"] <= r["ci_high"] for r in rates.values()
    )
