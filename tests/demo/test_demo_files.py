"""The generated files: deterministic, canonical columns, sensible values, linked customers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from cxloop.demo import planted
from cxloop.demo.generate import generate_files
from cxloop.demo.sources import COLUMNS
from cxloop.errors import InputError


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))
    }


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    generate_files(tmp_path / "a", customers=300, feedback=2500, seed=11)
    generate_files(tmp_path / "b", customers=300, feedback=2500, seed=11)
    generate_files(tmp_path / "c", customers=300, feedback=2500, seed=12)
    a, b, c = (_digests(tmp_path / x) for x in "abc")
    assert len(a) == 10
    assert a == b
    assert a["feedback_nps.csv"] != c["feedback_nps.csv"]
    assert a["customers.csv"] != c["customers.csv"]
    assert not list((tmp_path / "a").glob("*.part"))


def test_sizes_out_of_range_are_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--customers 3"):
        generate_files(tmp_path, customers=3, feedback=10)
    with pytest.raises(InputError, match="--feedback -1"):
        generate_files(tmp_path, customers=100, feedback=-1)


def test_feedback_files_are_canonical_and_complete(demo) -> None:
    fb = demo.feedback
    assert len(fb) == 20_000
    assert fb["external_id"].is_unique
    for f in demo.files.files:
        if f.kind == "feedback":
            header = pd.read_csv(f.path, nrows=0).columns.tolist()
            assert header[: len(COLUMNS)] == list(COLUMNS)
    start = pd.Timestamp(planted.HISTORY_START, tz="UTC")
    end = pd.Timestamp(planted.HISTORY_END, tz="UTC") + pd.Timedelta(days=1)
    assert fb["ts"].min() >= start and fb["ts"].max() < end
    linked = fb.loc[fb["customer_id"] != "", "customer_id"]
    assert linked.isin(set(demo.customers["customer_id"])).all()
    # every linked item falls inside its customer's lifetime
    cust = demo.customers.set_index("customer_id")
    signup = pd.to_datetime(cust.loc[linked, "signup_at"], utc=True).to_numpy()
    assert (fb.loc[linked.index, "ts"].to_numpy() >= signup).all()
    churned = cust.loc[linked, "churned_at"].to_numpy() != ""
    churn_at = pd.to_datetime(cust.loc[linked, "churned_at"].where(churned), utc=True)
    assert (fb.loc[linked.index, "ts"].to_numpy()[churned] < churn_at.to_numpy()[churned]).all()


def test_scores_are_in_range_and_sources_look_like_their_channel(demo) -> None:
    fb = demo.feedback
    by = {name: g for name, g in fb.groupby("source")}
    nps = by["Relationship NPS survey"]["nps"].astype(int)
    assert nps.between(0, 10).all() and nps.nunique() == 11
    csat = by["Post-delivery CSAT survey"]
    assert csat["csat"].astype(int).between(1, 5).all()
    assert set(csat["journey_stage"]) == {"receive"} and set(csat["touchpoint"]) == {"delivery"}
    assert by["Post-support CES survey"]["ces"].astype(int).between(1, 7).all()
    reviews = by["Product reviews"]
    assert (reviews["title"] != "").all() and reviews["rating"].astype(int).between(1, 5).all()
    app = by["App store reviews"]
    assert set(app["platform"]) == {"iOS", "Android"}
    tickets = by["Support tickets"]
    assert (tickets["agent_note"] != "").all() and (tickets["text"] != "").all()
    assert tickets["text"].str.contains("\n").mean() > 0.5  # multi-line emails, quoted in CSV
    social = by["Social media"]
    assert (social["customer_id"] == "").mean() > 0.7  # mostly anonymous
    # every row has text or a score, so nothing is quarantined for being empty
    scored = fb[["nps", "csat", "ces", "rating"]].ne("").any(axis=1)
    assert (scored | fb["text"].ne("")).all()


def test_customers_and_metrics(demo) -> None:
    cu = demo.customers
    assert len(cu) == 4000 and cu["customer_id"].is_unique
    shares = cu["segment"].value_counts(normalize=True)
    assert set(shares.index) == set(planted.SEGMENTS)
    assert set(cu["region"]) == set(planted.REGIONS)
    assert shares["Consumer"] > shares["SMB"] > shares["Enterprise"] > 0.05
    revenue = cu.assign(r=cu["revenue"].astype(float)).groupby("segment")["r"].median()
    assert revenue["Enterprise"] > revenue["SMB"] > revenue["Consumer"] > 0
    churned = cu[cu["status"] == "churned"]
    assert 0.1 < len(churned) / len(cu) < 0.5
    assert (churned["churned_at"] != "").all() and (churned["churn_reason"] != "").mean() > 0.8
    assert (cu.loc[cu["status"] == "active", "churned_at"] == "").all()
    assert cu["email"].str.endswith("example.com").all()

    m = demo.metrics
    assert sorted(m["name"].unique()) == ["orders", "revenue"]
    periods = sorted(m["period"].unique())
    assert len(periods) == 24
    assert periods[0] == planted.HISTORY_START.strftime("%Y-%m")
    assert periods[-1] == planted.HISTORY_END.strftime("%Y-%m")
    assert (m["value"] > 0).all()
