"""Analyses read the theme hierarchy, on real SQLite and PostgreSQL: a parent theme counts its
own mentions and its sub-themes' (each feedback once), while the models that weigh all themes
at once (key drivers, churn) count a parent only where none of its sub-themes was mentioned,
so it does not restate its children."""

from __future__ import annotations

import json

import pytest
from analytics_seed import seed
from sqlalchemy import Engine, insert, select, update
from test_analytics_rollups import assert_same

from cxloop.analytics import rollups, run_analysis
from cxloop.analytics.themes import OTHER_CAVEAT
from cxloop.errors import InputError
from cxloop.storage.db import transaction
from cxloop.storage.models.text import FeedbackTheme, Theme
from cxloop.text.theme_rollup import roll_up_to_parents

DIRECT = 300  # feedback that names Fulfilment itself and no sub-theme


@pytest.fixture
def hierarchy(engine: Engine) -> dict[str, int]:
    """The seeded workspace with Fulfilment over Delivery, also matched directly."""
    seed(engine)
    rollups.ensure_fresh(engine)  # built before the change: the triggers must follow it
    with transaction(engine) as session:
        session.add(Theme(id=5, name="Fulfilment"))
        session.flush()
        session.execute(update(Theme).where(Theme.id == 1).values(parent_id=5))
        delivery = set(
            session.scalars(select(FeedbackTheme.feedback_id).where(FeedbackTheme.theme_id == 1))
        )
        others = [fid for fid in range(1, 3001) if fid not in delivery][:DIRECT]
        session.execute(
            insert(FeedbackTheme),
            [
                {
                    "feedback_id": fid,
                    "theme_id": 5,
                    "confidence": 0.8,
                    "sentiment_label": "negative",
                    "sentiment_score": -0.4,
                }
                for fid in others
            ],
        )
        roll_up_to_parents(session)
    return {"delivery": len(delivery)}


def test_a_parent_counts_its_sub_themes_feedback_once(engine: Engine, hierarchy) -> None:
    rows = {r["theme"]: r for r in run_analysis(engine, "themes").rows}
    assert rows["Fulfilment"]["volume"] == hierarchy["delivery"] + DIRECT
    assert rows["Delivery"]["volume"] == hierarchy["delivery"]
    assert rows["Delivery"]["parent"] == "Fulfilment" and rows["Price"]["parent"] is None
    by_theme = {
        r["group"]: r for r in run_analysis(engine, "metrics", by="theme", period="all").rows
    }
    assert by_theme["Fulfilment"]["n"] == hierarchy["delivery"] + DIRECT


def test_models_count_a_parent_apart_from_its_sub_themes(engine: Engine, hierarchy) -> None:
    result = run_analysis(engine, "drivers", outcome="nps")
    drivers = {r["driver"]: r for r in result.rows}
    assert "Fulfilment" not in drivers
    assert drivers["Delivery"]["estimable"] and drivers["Fulfilment (other)"]["estimable"]
    assert max(result.rows, key=lambda r: r.get("importance") or 0)["driver"] == "Delivery"
    assert OTHER_CAVEAT in result.caveats
    churn = run_analysis(engine, "churn")
    factors = {r["factor"] for r in churn.rows}
    assert "theme: Fulfilment" in factors  # a churn rate: all of Fulfilment's mentions
    assert "theme: Fulfilment (other)" in factors  # a churn driver: apart from Delivery
    assert OTHER_CAVEAT in churn.caveats


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("themes", {}),
        ("drivers", {"outcome": "nps"}),
        ("drivers", {"outcome": "churn"}),
        ("churn", {}),
        ("opportunities", {}),
        ("metrics", {"by": "theme"}),
    ],
)
def test_rollup_tables_follow_the_hierarchy(engine: Engine, hierarchy, name, params) -> None:
    assert_same(engine, name, params)


def test_theme_lists_at_one_level(engine: Engine, hierarchy, cli) -> None:
    every = {r["theme"] for r in run_analysis(engine, "themes").rows}
    assert {"Fulfilment", "Delivery", "Price", "App"} <= every
    top = {r["theme"] for r in run_analysis(engine, "themes", level="top").rows}
    assert top == every - {"Delivery"}
    leaf = {r["theme"] for r in run_analysis(engine, "themes", level="leaf").rows}
    assert leaf == every - {"Fulfilment"}
    ranked = run_analysis(engine, "opportunities", level="leaf")
    assert "Fulfilment" not in {r["theme"] for r in ranked.rows}
    assert [r["rank"] for r in ranked.rows] == list(range(1, len(ranked.rows) + 1))
    assert ranked.params["level"] == "leaf"
    with pytest.raises(InputError, match="unknown theme level 'middle'"):
        run_analysis(engine, "themes", level="middle")
    out = cli("analyze", "themes", "--level", "top", "--format", "json")
    assert out.exit_code == 0, out.stderr
    assert {r["theme"] for r in json.loads(out.stdout)["rows"]} == top
    pains = {
        p["theme"]
        for row in run_analysis(engine, "journey", level="leaf", verbatims=False).rows
        for p in row.get("pain_points") or []
    }
    assert "Delivery" in pains and "Fulfilment" not in pains
    pains_top = {
        p["theme"]
        for row in run_analysis(engine, "journey", level="top", verbatims=False).rows
        for p in row.get("pain_points") or []
    }
    assert "Fulfilment" in pains_top and "Delivery" not in pains_top
    bad = cli("analyze", "opportunities", "--level", "middle")
    assert bad.exit_code != 0 and "use one of: all, top, leaf" in bad.stderr
