"""Action-plan impact: diff-in-diff recovers a planted effect, and says when it can't."""

from __future__ import annotations

import pandas as pd
import pytest
from plan_data import START, plant

from cxloop.errors import ConflictError, NotFoundError, ValidationError
from cxloop.plans import initiatives as service
from cxloop.plans.impact import assign_groups
from cxloop.storage.db import transaction

# treated (Delivery) NPS -30 -> +10 (+40); comparison +20 -> +30 (+10): the effect is +30
PLANTED = {
    ("treated", "before"): (300, 0.2, 0.5),
    ("treated", "after"): (300, 0.4, 0.3),
    ("comparison", "before"): (300, 0.4, 0.2),
    ("comparison", "after"): (300, 0.45, 0.15),
}


def _create(engine, **kwargs):
    with transaction(engine) as s:
        defaults = dict(
            name="New carrier",
            owner="ops@shop.example",
            start_date=START.date(),
            themes=["Delivery"],
            baseline=-30,
            target=0,
            milestones=["Contract signed:2026-02-15", "Rollout"],
        )
        return service.create_initiative(s, **{**defaults, **kwargs}).id


def test_planted_effect_is_recovered_with_an_interval(engine):
    plant(engine, PLANTED)
    iid = _create(engine)
    with transaction(engine) as s:
        result = service.estimate_impact(engine, service.get_initiative(s, iid))
    assert result.status == "estimated"
    assert result.effect == pytest.approx(30.0, abs=1e-6)
    assert result.ci_low > 0 and result.ci_low < 30 < result.ci_high
    assert result.ci_high - result.ci_low < 50
    assert result.verdict == "improved" and result.p_value < 0.01
    cells = {(c["group"], c["period"]): c for c in result.cells}
    assert cells[("treated", "before")]["mean"] == pytest.approx(-30)
    assert cells[("comparison", "after")]["n"] == 300


def test_no_effect_gives_an_interval_around_zero(engine):
    same = dict(PLANTED)
    same[("treated", "after")] = (300, 0.25, 0.45)  # +10 like the comparison group
    plant(engine, same)
    iid = _create(engine)
    with transaction(engine) as s:
        result = service.estimate_impact(engine, service.get_initiative(s, iid))
    assert result.effect == pytest.approx(0.0, abs=1e-6)
    assert result.ci_low < 0 < result.ci_high
    assert result.verdict.startswith("no detectable change")


def test_not_enough_data_yet_is_said_plainly(engine):
    thin = dict(PLANTED)
    thin[("treated", "after")] = (12, 0.4, 0.3)
    plant(engine, thin)
    iid = _create(engine)
    with transaction(engine) as s:
        result = service.estimate_impact(engine, service.get_initiative(s, iid))
    assert result.status == "not_enough_data" and result.effect is None
    assert "12 nps responses in the treated group after the start" in result.reason
    assert "wait for more feedback" in result.reason


def test_empty_workspace(engine):
    with transaction(engine) as s:
        from cxloop.storage.models.text import Theme

        s.add(Theme(name="Delivery"))
    iid = _create(engine)
    with transaction(engine) as s:
        result = service.estimate_impact(engine, service.get_initiative(s, iid))
    assert result.status == "not_enough_data" and "no feedback" in result.reason


def test_groups_require_every_kind_of_link_and_exclude_partial_matches():
    frame = pd.DataFrame(
        {
            "has_theme": [True, True, False, False],
            "segment": ["SMB", "Enterprise", "SMB", "Enterprise"],
            "stage": [None] * 4,
        }
    )
    groups = assign_groups(frame, themes=["Delivery"], stages=[], segments=["SMB"])
    assert list(groups.fillna("-")) == ["treated", "-", "-", "comparison"]


def test_validation_of_initiatives(engine):
    plant(engine, PLANTED)
    with pytest.raises(ValidationError, match="unknown theme 'Delivry'"):
        _create(engine, themes=["Delivry"])
    with pytest.raises(ValidationError, match="no customer is in segment"):
        _create(engine, themes=[], segments=["Gold"])
    with pytest.raises(ValidationError, match="at least one linked"):
        _create(engine, themes=[])
    with pytest.raises(ValidationError, match="outcome metric"):
        _create(engine, outcome_metric="happiness")
    iid = _create(engine)
    with pytest.raises(ConflictError):
        _create(engine)
    with transaction(engine) as s:
        summary = service.initiative_summary(s, service.get_initiative(s, iid))
        assert [m["name"] for m in summary["milestones"]] == ["Contract signed", "Rollout"]
        assert str(summary["milestones"][0]["due"]) == "2026-02-15"
    with pytest.raises(NotFoundError), transaction(engine) as s:
        service.get_initiative(s, 999)


def test_actions_cli(cli, engine):
    import json

    assert cli("init").exit_code == 0
    plant(engine, PLANTED)
    created = cli(
        "actions",
        "create",
        "New carrier",
        "--owner",
        "ops@shop.example",
        "--start",
        "2026-03-01",
        "--theme",
        "Delivery",
        "--baseline",
        "-30",
        "--target",
        "0",
        "--milestone",
        "Contract signed:2026-02-15",
        "--format",
        "json",
    )
    assert created.exit_code == 0, created.stderr
    iid = json.loads(created.stdout)["id"]
    listed = cli("actions", "list", "--format", "json")
    assert json.loads(listed.stdout)[0]["name"] == "New carrier"
    shown = cli("actions", "show", str(iid), "--format", "json")
    assert json.loads(shown.stdout)["milestones"][0]["name"] == "Contract signed"
    impact = cli("actions", "impact", str(iid), "--format", "json")
    doc = json.loads(impact.stdout)
    assert doc["status"] == "estimated" and doc["effect"] == pytest.approx(30.0, abs=1e-6)
    table = cli("actions", "impact", str(iid))
    assert "effect: +30.00" in table.stdout
    thin = cli("actions", "impact", str(iid), "--after-days", "1")
    assert thin.exit_code == 0 and "not enough data yet" in thin.stdout
    bad = cli("actions", "create", "x", "--owner", "o", "--start", "2026-03-01", "--theme", "Nope")
    assert bad.exit_code != 0 and "unknown theme" in bad.stderr
    assert cli("actions", "milestone-done", str(iid), "Contract signed").exit_code == 0
    assert cli("actions", "status", str(iid), "done").exit_code == 0
