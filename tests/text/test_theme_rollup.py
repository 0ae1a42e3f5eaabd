"""The theme hierarchy in stored results, on real SQLite and PostgreSQL: feedback about a
sub-theme is counted under each ancestor once, through enrichment, corrections and taxonomy
changes. ``KeywordBackend`` stands in for the model (it matches themes by keyword)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_enrich import add_feedback
from test_pipeline_support import KeywordBackend

from cxloop.errors import InputError
from cxloop.storage.db import transaction
from cxloop.storage.models import FeedbackTheme, Theme
from cxloop.text.enrich import enrich_workspace
from cxloop.text.learning import correct_feedback
from cxloop.text.taxonomy import import_taxonomy, list_themes, parse_taxonomy
from cxloop.text.theme_rollup import ancestors_of, parent_rows

HIERARCHY = """
themes:
  - name: Fulfilment
    description: getting the order to the customer
    keywords: [fulfilment]
  - name: Delivery
    description: parcels arriving late or lost
    keywords: [parcel, courier]
    parent: Fulfilment
  - name: Late delivery
    description: a parcel that came late
    keywords: [late]
    parent: Delivery
  - name: Returns
    description: sending items back
    keywords: [return]
    parent: Fulfilment
  - name: Price
    description: cost and value
    keywords: [price]
"""

FLAT = HIERARCHY.replace("    parent: Fulfilment\n", "").replace("    parent: Delivery\n", "")


def test_ancestors_are_nearest_first_skip_inactive_and_survive_a_cycle() -> None:
    parent_of = {1: None, 2: 1, 3: 2, 4: 3, 5: 6, 6: 5}
    assert ancestors_of(parent_of) == {2: (1,), 3: (2, 1), 4: (3, 2, 1), 5: (6,), 6: (5,)}
    assert ancestors_of(parent_of, active=[1, 3, 4])[4] == (3, 1)


def test_a_parent_row_takes_its_most_confident_child_and_a_direct_match_wins() -> None:
    def match(fid: int, tid: int, conf: float, label: str) -> dict:
        return {
            "feedback_id": fid,
            "theme_id": tid,
            "confidence": conf,
            "sentiment_label": label,
            "sentiment_score": {"negative": -0.5, "positive": 0.5}[label],
        }

    ancestors = {2: (1,), 3: (1,)}
    rows = parent_rows(
        [
            match(10, 2, 0.6, "positive"),
            match(10, 3, 0.9, "negative"),
            match(11, 2, 0.7, "positive"),
            match(12, 2, 0.8, "negative"),
            match(12, 1, 0.55, "positive"),
        ],
        ancestors,
    )
    by_feedback = {r["feedback_id"]: r for r in rows}
    assert set(by_feedback) == {10, 11}  # feedback 12 names the parent itself
    assert by_feedback[10]["confidence"] == 0.9
    assert by_feedback[10]["sentiment_label"] == "negative"
    assert by_feedback[10]["extra"] == {"children": [3, 2]}
    assert by_feedback[10]["origin"] == "parent"


def _themes_of(engine, fid: int) -> dict[str, str]:
    with transaction(engine) as session:
        rows = session.execute(
            select(Theme.name, FeedbackTheme.origin)
            .join(Theme, Theme.id == FeedbackTheme.theme_id)
            .where(FeedbackTheme.feedback_id == fid)
        ).all()
    return {name: origin for name, origin in rows}


def _count(engine) -> dict[str, int]:
    return {r["name"]: r["feedback"] for r in list_themes(engine)}


def test_enrichment_counts_sub_theme_feedback_under_every_ancestor(engine, settings) -> None:
    import_taxonomy(engine, parse_taxonomy(HIERARCHY), replace=True)
    ids = add_feedback(
        engine,
        [
            "the parcel came late",  # Late delivery and Delivery
            "courier lost it and the return was refused",  # Delivery and Returns
            "fulfilment was slow",  # Fulfilment itself
            "the price went up",
        ],
    )
    enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    assert _themes_of(engine, ids[0]) == {
        "Late delivery": "model",
        "Delivery": "model",
        "Fulfilment": "parent",
    }
    assert _themes_of(engine, ids[1]) == {
        "Delivery": "model",
        "Returns": "model",
        "Fulfilment": "parent",  # once, though two sub-themes lead to it
    }
    assert _themes_of(engine, ids[2]) == {"Fulfilment": "model"}
    assert _themes_of(engine, ids[3]) == {"Price": "model"}
    counts = _count(engine)
    assert counts["Fulfilment"] == 3 and counts["Delivery"] == 2 and counts["Late delivery"] == 1
    # a re-run (here forced by a new model version) writes the same rows, no duplicates
    before = _themes_of(engine, ids[1])
    enrich_workspace(engine, settings, KeywordBackend("stub-2"), progress=False)
    assert _themes_of(engine, ids[1]) == before
    assert _count(engine) == counts


def test_a_changed_hierarchy_applies_at_import_without_re_enrichment(engine, settings) -> None:
    import_taxonomy(engine, parse_taxonomy(HIERARCHY), replace=True)
    [fid] = add_feedback(engine, ["the parcel came late"])
    enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    import_taxonomy(engine, parse_taxonomy(FLAT), replace=True)
    assert _themes_of(engine, fid) == {"Late delivery": "model", "Delivery": "model"}
    import_taxonomy(engine, parse_taxonomy(HIERARCHY), replace=True)
    assert _themes_of(engine, fid)["Fulfilment"] == "parent"


def test_corrections_move_the_parents_with_them(engine, settings) -> None:
    import_taxonomy(engine, parse_taxonomy(HIERARCHY), replace=True)
    [fid] = add_feedback(engine, ["the price went up"])
    enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    correct_feedback(engine, fid, add_themes=["Returns"])
    assert _themes_of(engine, fid) == {
        "Price": "model",
        "Returns": "correction",
        "Fulfilment": "parent",
    }
    with pytest.raises(InputError, match="sub-theme 'Returns'") as refused:
        correct_feedback(engine, fid, remove_themes=["Fulfilment"])
    assert "remove 'Returns'" in (refused.value.hint or "")
    assert _themes_of(engine, fid)["Fulfilment"] == "parent"  # nothing was applied
    # confirming a parent a sub-theme brought makes it the person's own match
    correct_feedback(engine, fid, add_themes=["Fulfilment"])
    assert _themes_of(engine, fid)["Fulfilment"] == "correction"
    correct_feedback(engine, fid, remove_themes=["Fulfilment", "Returns"])
    assert _themes_of(engine, fid) == {"Price": "model"}
    # the correction is kept by a later enrichment, and its parent follows it
    correct_feedback(engine, fid, add_themes=["Late delivery"])
    enrich_workspace(engine, settings, KeywordBackend("stub-2"), progress=False)
    assert _themes_of(engine, fid) == {
        "Price": "model",
        "Late delivery": "correction",
        "Delivery": "parent",
        "Fulfilment": "parent",
    }


def test_rules_see_the_parents_of_a_matched_theme(engine, settings) -> None:
    from cxloop.loop.engine import Scope, load_frame

    import_taxonomy(engine, parse_taxonomy(HIERARCHY), replace=True)
    [fid] = add_feedback(engine, ["the parcel came late"])
    enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    with transaction(engine) as session:
        frame = load_frame(session, Scope(), ["themes", "theme_sentiments"])
    row = frame.set_index("id").loc[fid]
    assert set(row["themes"]) == {"Late delivery", "Delivery", "Fulfilment"}
    assert row["theme_sentiments"]["Fulfilment"] == row["theme_sentiments"]["Late delivery"]


def test_a_parent_does_not_overlap_its_sub_themes(engine, settings) -> None:
    from cxloop.text.proposals import workspace_overlaps

    import_taxonomy(engine, parse_taxonomy(HIERARCHY), replace=True)
    add_feedback(engine, [f"parcel number {i} came late" for i in range(25)])
    add_feedback(engine, [f"price rise number {i}, and the parcel" for i in range(25)])
    enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    pairs = {frozenset((p["theme_a"], p["theme_b"])) for p in workspace_overlaps(engine)}
    assert frozenset(("Delivery", "Late delivery")) in pairs  # both matched on the same 25
    assert frozenset(("Delivery", "Fulfilment")) not in pairs
    assert frozenset(("Late delivery", "Fulfilment")) not in pairs
