"""The CX plan and its gaps: measured experience per stage against the target, with uncertainty."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from plan_data import plant

from cxloop.errors import NotFoundError, ValidationError
from cxloop.plans.cxplan import (
    TargetSpec,
    get_plan,
    parse_target,
    plan_gaps,
    set_plan,
    specs_from_document,
    stage_gaps,
)
from cxloop.storage.db import transaction

# Delivery stage: 600 answers after the start with NPS exactly +10; Checkout: only 20 answers.
CELLS = {
    ("treated", "after"): (600, 0.4, 0.3),
    ("comparison", "after"): (20, 0.5, 0.1),
}


def _stage(group: str) -> str:
    return "Delivery" if group == "treated" else "Checkout"


def test_gaps_per_stage_with_interval_and_status(engine):
    plant(engine, CELLS, stage=_stage)
    with transaction(engine) as s:
        set_plan(
            s,
            objectives=["Be the easiest shop to buy from"],
            target_segments=["SMB"],
            targets=[
                TargetSpec("Delivery", "nps", 40),
                TargetSpec("Delivery", "csat", 4.0),
                TargetSpec("Checkout", "nps", 30),
            ],
        )
    with transaction(engine) as s:
        rows, params = plan_gaps(engine, s, days=120)
    by = {(r["stage"], r["metric"]): r for r in rows}
    delivery = by[("Delivery", "nps")]
    assert delivery["n"] == 600 and delivery["current"] == pytest.approx(10.0)
    assert delivery["gap"] == pytest.approx(-30.0)
    assert delivery["ci_low"] < -30 < delivery["ci_high"] < 0
    assert delivery["status"] == "short of target"
    assert by[("Delivery", "csat")]["status"].startswith("not enough data (n=0")
    assert by[("Checkout", "nps")]["status"] == "not enough data (n=20, need 30)"
    assert params["segments"] == ["SMB"]
    with transaction(engine) as s:  # the plan's segments filter: nobody is Enterprise here
        set_plan(s, target_segments=["Enterprise"])
        rows, _ = plan_gaps(engine, s, days=120)
        assert all(r["n"] == 0 for r in rows)
        rows, _ = plan_gaps(engine, s, days=120, all_segments=True)
        assert rows[0]["n"] > 0


def test_status_when_met_uncertain_and_lower_is_better():
    frame = pd.DataFrame(
        {
            "stage": ["Support"] * 100,
            "segment": ["SMB"] * 100,
            "nps": [10] * 60 + [3] * 40,  # NPS +20
            "ces": [2.0] * 50 + [3.0] * 50,  # mean 2.5
            "csat": [None] * 100,
            "rating": [None] * 100,
            "sentiment": [None] * 100,
        }
    )
    rows = stage_gaps(
        frame,
        [
            TargetSpec("Support", "nps", -20),
            TargetSpec("Support", "nps", 20),
            TargetSpec("Support", "ces", 3.0),
            TargetSpec("Support", "ces", 2.0),
        ],
    )
    assert [r["status"] for r in rows] == [
        "met",
        "uncertain (interval spans the target)",
        "met",  # effort 2.5 is below (better than) the 3.0 ceiling
        "short of target",
    ]


def test_parsing_targets_and_documents():
    assert parse_target("Delivery:nps=30") == TargetSpec("Delivery", "nps", 30.0)
    assert parse_target("Post-sale: support:CSAT=4.2").stage == "Post-sale: support"
    with pytest.raises(ValidationError, match="STAGE:METRIC=VALUE"):
        parse_target("Delivery nps 30")
    with pytest.raises(ValidationError, match="outcome metric"):
        parse_target("Delivery:joy=3")
    objectives, segments, specs = specs_from_document(
        {
            "objectives": ["o"],
            "target_segments": ["SMB"],
            "stages": {"Delivery": {"nps": 30, "description": "on time, every time"}},
        }
    )
    assert objectives == ["o"] and segments == ["SMB"]
    assert specs == [TargetSpec("Delivery", "nps", 30.0, "on time, every time")]
    with pytest.raises(ValidationError, match="not a number"):
        specs_from_document({"stages": {"Delivery": {"nps": "high"}}})


def test_missing_plan_is_a_clear_error(engine):
    with pytest.raises(NotFoundError, match="no CX plan"), transaction(engine) as s:
        get_plan(s)


def test_plan_cli(cli, engine, tmp_path):
    assert cli("init").exit_code == 0
    plant(engine, CELLS, stage=_stage)
    assert cli("plan", "gaps").exit_code != 0
    doc = tmp_path / "plan.yaml"
    doc.write_text(
        "objectives: [Fewer broken promises]\n"
        "target_segments: [SMB]\n"
        "stages:\n  Delivery: {nps: 40}\n"
    )
    assert cli("plan", "set", "--from", str(doc)).exit_code == 0
    assert cli("plan", "set", "--target", "Checkout:nps=30").exit_code == 0
    shown = json.loads(cli("plan", "show", "--format", "json").stdout)
    assert shown["objectives"] == ["Fewer broken promises"]
    assert {t["stage"] for t in shown["stage_targets"]} == {"Delivery", "Checkout"}
    gaps = cli("plan", "gaps", "--days", "120", "--format", "json")
    assert gaps.exit_code == 0, gaps.stderr
    out = json.loads(gaps.stdout)
    assert out["analysis"] == "plan_gaps"
    assert {r["stage"]: r["status"] for r in out["rows"]}["Delivery"] == "short of target"
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: [unclosed")
    failed = cli("plan", "set", "--from", str(bad))
    assert failed.exit_code != 0 and "not valid YAML" in failed.stderr


def test_unknown_stage_names_the_stages_that_exist():
    frame = pd.DataFrame(
        {
            "stage": ["receive"] * 40,
            "segment": ["SMB"] * 40,
            "nps": [9] * 40,
            "csat": [None] * 40,
            "ces": [None] * 40,
            "rating": [None] * 40,
            "sentiment": [None] * 40,
        }
    )
    [row] = stage_gaps(frame, [TargetSpec("Delivery", "nps", 30)])
    assert row["status"] == "no feedback at this stage (stages seen: receive)"
