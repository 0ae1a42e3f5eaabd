"""The roll-ups answer exactly what the exact queries answer, and are never stale.

Every test runs on real SQLite and PostgreSQL (the ``engine`` fixture). A change is made the
way cxloop's writers make it (Core inserts, updates and deletes on feedback, enrichments,
theme mentions and customers), then the next analysis must equal the exact path
(``use_rollups=False``) and differ from the answer before the change.
"""

from __future__ import annotations

from typing import Any

import pytest
from analytics_compare import result_differences
from analytics_seed import SPIKE_WEEK, add_feedback, next_id, seed
from sqlalchemy import Engine, delete, func, insert, select, update

from cxloop.analytics import ANALYSES, data, rollups, run_analysis
from cxloop.analytics.data import Scope
from cxloop.analytics.rollup_reads import RollupSource
from cxloop.storage.models.core import Customer, Feedback
from cxloop.storage.models.text import Enrichment, FeedbackTheme, Theme

#: Analyses and parameters compared; each is served by the roll-ups (see rollup_reads).
SERVED: list[tuple[str, dict[str, Any]]] = [
    *((name, {"outcome": "nps"} if name == "drivers" else {}) for name in ANALYSES),
    ("metrics", {"by": "segment", "period": "week"}),
    ("metrics", {"by": "theme", "period": "quarter"}),
    ("metrics", {"by": "journey_stage", "since": "2025-02-01", "until": "2025-05-31"}),
    ("metrics", {"by": "channel", "filter": "segment in ('SMB', 'Consumer')"}),
    ("metrics", {"by": "touchpoint", "filter": "stage != 'Use'"}),
    ("segments", {"by": "region"}),
    ("segments", {"by": "journey_stage", "correction": "holm"}),
    ("anomalies", {"by": "channel"}),
    ("anomalies", {"by": None, "all_rows": True}),
    ("journey", {"since": "2025-03-01"}),
    ("themes", {"filter": "journey_stage = 'Receive'"}),
    ("drivers", {"outcome": "churn"}),
    ("themes", {"filter": "segment = 'SMB'"}),
    ("segments", {"by": "segment", "filter": "region = 'North'"}),
    ("anomalies", {"by": "region", "filter": "segment in ('SMB', 'Consumer')"}),
    ("metrics", {"by": "theme", "filter": "region != 'South'"}),
    ("opportunities", {"filter": "segment = 'SMB'"}),
    ("churn", {"filter": "plan = 'Plus'"}),
    ("drivers", {"outcome": "churn", "filter": "region = 'North'"}),
]
#: Scopes the roll-ups cannot serve: the exact path answers (and must still agree).
FALLBACK: list[tuple[str, dict[str, Any]]] = [
    ("metrics", {"by": "plan"}),
    ("metrics", {"filter": "plan = 'Plus' and seats >= 4"}),
    ("segments", {"by": "segment", "filter": "theme = 'App'"}),
    ("churn", {"since": "2025-02-01"}),
    ("churn", {"filter": "channel = 'survey'"}),
    ("opportunities", {"filter": "stage = 'Use'"}),
]


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed(engine)
    return engine


def assert_same(engine: Engine, name: str, params: dict[str, Any]) -> Any:
    fast = run_analysis(engine, name, **params)
    exact = run_analysis(engine, name, use_rollups=False, **params)
    diff = result_differences(fast, exact)
    assert not diff, f"{name} {params}: roll-up differs from exact: {diff[:5]}"
    return fast


def test_rollups_equal_the_exact_path(seeded: Engine) -> None:
    for name, params in SERVED + FALLBACK:
        assert_same(seeded, name, params)
    st = rollups.state(seeded)
    assert st is not None and st["built"] and not st["dirty"]


def test_served_scopes_are_answered_from_rollups(seeded: Engine) -> None:
    """Each aggregate of a servable scope comes from the roll-up (not silently exact), and
    an unservable one falls back; both give the exact frames."""
    rollups.ensure_fresh(seeded)
    src = RollupSource()
    plain, dated = Scope(), Scope.of("2025-02-01", "2025-04-30", "segment = 'SMB'")
    pairs = [
        (src.daily_stats(seeded, plain, "segment"), data.daily_stats(seeded, plain, "segment")),
        (src.daily_stats(seeded, dated, "region"), data.daily_stats(seeded, dated, "region")),
        (src.daily_stats(seeded, plain, "theme"), data.daily_stats(seeded, plain, "theme")),
        (src.theme_mentions_stats(seeded, plain), data.theme_mentions_stats(seeded, plain)),
        (
            src.theme_mentions_stats(seeded, Scope.of(filter="segment != 'SMB'")),
            data.theme_mentions_stats(seeded, Scope.of(filter="segment != 'SMB'")),
        ),
        (
            src.theme_daily_counts(seeded, plain, "segment"),
            data.theme_daily_counts(seeded, plain, "segment"),
        ),
        (src.stage_touchpoint_stats(seeded, plain), data.stage_touchpoint_stats(seeded, plain)),
    ]
    assert src.served == {"rollup": len(pairs), "exact": 0}
    for fast, exact in pairs:
        keys = [c for c in ("day", "group", "theme_id", "stage", "touchpoint") if c in exact]
        a = fast.sort_values(keys).reset_index(drop=True)
        b = exact.sort_values(keys).reset_index(drop=True)
        assert list(a.columns) == list(b.columns)
        assert a[keys].astype(str).equals(b[keys].astype(str))
        nums = [c for c in b.columns if c not in keys]
        assert ((a[nums] - b[nums]).abs() <= 1e-9 * (1 + b[nums].abs())).all().all()
    src.daily_stats(seeded, Scope.of(filter="plan = 'Plus'"), "segment")
    src.customer_nps(seeded, dated)
    assert src.served["exact"] == 2
    by_plan = Scope.of(filter="plan = 'Plus' and region = 'North'")
    fast = src.customer_theme_first(seeded, by_plan, negative_only=True)
    exact = data.customer_theme_first(seeded, by_plan, negative_only=True)
    assert src.served["exact"] == 2
    key = ["customer_id", "theme_id"]
    assert (
        fast.sort_values(key)[[*key, "mentions"]]
        .reset_index(drop=True)
        .equals(exact.sort_values(key)[[*key, "mentions"]].reset_index(drop=True))
    )


def _value(result: Any, **match: Any) -> dict[str, Any]:
    return next(r for r in result.rows if all(r.get(k) == v for k, v in match.items()))


def test_new_feedback_shows_in_the_next_analysis(seeded: Engine) -> None:
    before = assert_same(seeded, "themes", {})
    seg_before = assert_same(seeded, "metrics", {"by": "channel", "period": None})
    add_feedback(seeded, 40, day=100)
    after = assert_same(seeded, "themes", {})
    assert _value(after, theme="App")["volume"] == _value(before, theme="App")["volume"] + 40
    seg_after = assert_same(seeded, "metrics", {"by": "channel", "period": None})
    assert _value(seg_after, group="email")["n"] == 40
    assert {r["group"] for r in seg_before.rows} == {"survey"}
    for name, params in SERVED:
        assert_same(seeded, name, params)


def test_re_enrichment_and_corrections_show(seeded: Engine) -> None:
    before = assert_same(seeded, "journey", {"verbatims": False})
    with seeded.begin() as conn:  # re-enrichment: delete and insert, as cxloop enrich does
        rows = conn.execute(
            select(Enrichment.__table__).where(Enrichment.feedback_id <= 300)
        ).mappings()
        fresh = [{**r, "journey_stage": "Pay", "sentiment_score": 0.8} for r in rows]
        conn.execute(delete(Enrichment).where(Enrichment.feedback_id <= 300))
        conn.execute(insert(Enrichment.__table__), fresh)
    after = assert_same(seeded, "journey", {"verbatims": False})
    assert "Pay" in {r["stage"] for r in after.rows}
    assert "Pay" not in {r["stage"] for r in before.rows}
    themes = assert_same(seeded, "themes", {})
    with seeded.begin() as conn:  # a person's correction removes theme mentions
        conn.execute(delete(FeedbackTheme).where(FeedbackTheme.theme_id == 2))
        conn.execute(
            update(FeedbackTheme)
            .where(FeedbackTheme.theme_id == 1, FeedbackTheme.feedback_id <= 500)
            .values(sentiment_label="positive", sentiment_score=0.7)
        )
    corrected = assert_same(seeded, "themes", {})
    assert "Price" in {r["theme"] for r in themes.rows}
    assert "Price" not in {r["theme"] for r in corrected.rows}
    assert_same(seeded, "opportunities", {})
    assert_same(seeded, "churn", {})


def test_customer_changes_show(seeded: Engine) -> None:
    before = assert_same(seeded, "metrics", {"by": "segment", "period": None})
    with seeded.begin() as conn:
        conn.execute(update(Customer).where(Customer.id <= 50).values(segment="Public sector"))
    after = assert_same(seeded, "metrics", {"by": "segment", "period": None})
    assert "Public sector" not in {r["group"] for r in before.rows}
    assert _value(after, group="Public sector")["n"] > 0
    assert_same(seeded, "segments", {"by": "segment"})
    assert_same(seeded, "anomalies", {"by": "segment"})
    with seeded.begin() as conn:  # erasure: feedback keeps no link to a deleted customer
        conn.execute(delete(Customer).where(Customer.id <= 50))
    gone = assert_same(seeded, "metrics", {"by": "segment", "period": None})
    assert "Public sector" not in {r["group"] for r in gone.rows}
    assert_same(seeded, "churn", {})
    assert_same(seeded, "opportunities", {})


def test_deleted_feedback_and_themes_show(seeded: Engine) -> None:
    assert_same(seeded, "metrics", {"period": None})
    top = next_id(seeded) - 1
    with seeded.begin() as conn:
        conn.execute(delete(Feedback).where(Feedback.id.in_([5, 6, 7, top])))
    after = assert_same(seeded, "metrics", {"period": None})
    # SQLite hands a deleted top id out again: the new row must still count as new.
    add_feedback(seeded, 1, day=3)
    assert next_id(seeded) - 1 == top
    again = assert_same(seeded, "metrics", {"period": None})
    assert again.rows[0]["n"] == after.rows[0]["n"] + 1
    with seeded.begin() as conn:
        conn.execute(delete(Theme).where(Theme.id == 1))  # cascades to its mentions
    themes = assert_same(seeded, "themes", {})
    assert "Delivery" not in {r["theme"] for r in themes.rows}
    assert_same(seeded, "journey", {"verbatims": False})


def test_churn_inputs_follow_new_complaints(seeded: Engine) -> None:
    before = assert_same(seeded, "churn", {})
    add_feedback(seeded, 3, customer=7, day=2)  # customer 7 complains about the app early
    after = assert_same(seeded, "churn", {})
    rate = _value(after, section="rate", factor="theme: App")
    assert rate["n"] >= _value(before, section="rate", factor="theme: App")["n"]
    assert_same(seeded, "drivers", {"outcome": "churn"})


def test_fresh_rollups_are_not_recomputed(seeded: Engine) -> None:
    run_analysis(seeded, "metrics")
    st = rollups.state(seeded)
    assert st is not None and st["built"] and not st["dirty"]
    with seeded.connect() as conn:
        stamp = conn.execute(select(rollups.STATE.c.refreshed_at)).scalar()
    run_analysis(seeded, "themes")
    with seeded.connect() as conn:
        assert conn.execute(select(rollups.STATE.c.refreshed_at)).scalar() == stamp
    with seeded.begin() as conn:  # enrichment rewrites text; no roll-up reads it
        conn.execute(update(Feedback).where(Feedback.id <= 100).values(text="[redacted]"))
        conn.execute(update(Customer).where(Customer.id <= 10).values(revenue=5.0))
    st = rollups.state(seeded)
    assert st is not None and not st["dirty"]
    add_feedback(seeded, 2, day=SPIKE_WEEK * 7)
    st = rollups.state(seeded)
    assert st is not None and (st["dirty"] or st["max_feedback_id"] > st["watermark"])
    done = rollups.refresh(seeded)
    assert done["rebuilt_days"] is False and done["days"] == 1
    assert done["rebuilt_customers"] is False and done["customers"] == 1


def test_data_version_changes_with_any_change(seeded: Engine) -> None:
    first = rollups.data_version(seeded)
    assert first is not None and rollups.data_version(seeded) == first
    with seeded.begin() as conn:  # a correction, which no max(id) marker would notice
        target = conn.execute(select(func.min(FeedbackTheme.feedback_id))).scalar()
        changed = conn.execute(
            update(FeedbackTheme)
            .where(FeedbackTheme.feedback_id == target)
            .values(sentiment_label="positive", sentiment_score=0.5)
        )
        assert changed.rowcount >= 1
    second = rollups.data_version(seeded)
    assert second != first and rollups.data_version(seeded) == second


def test_day_ranges_merge_neighbours() -> None:
    from datetime import date

    ranges = rollups.day_ranges(["2025-01-02", "2025-01-01", "2025-01-05", ""])
    assert ranges == [
        (None, None),
        (date(2025, 1, 1), date(2025, 1, 2)),
        (date(2025, 1, 5), date(2025, 1, 5)),
    ]


def test_read_only_database_answers_from_the_rows(tmp_path, caplog) -> None:
    """A workspace opened read-only cannot refresh its roll-ups: the analysis still answers,
    from the rows, with the same numbers."""
    import shutil

    from cxloop.storage.db import make_engine, upgrade

    path = tmp_path / "ro.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    seed(eng, customers=100, feedback=600)
    expected = run_analysis(eng, "metrics", use_rollups=False, period=None)
    eng.dispose()
    ro = tmp_path / "ro"
    ro.mkdir()
    shutil.copy(path, ro / "ro.db")
    (ro / "ro.db").chmod(0o444)
    ro.chmod(0o555)
    reader = make_engine(f"sqlite:///file:{ro / 'ro.db'}?mode=ro&uri=true")
    try:
        got = run_analysis(reader, "metrics", period=None)
    finally:
        reader.dispose()
        ro.chmod(0o755)
    assert not result_differences(got, expected)
    assert "roll-ups not refreshed" in caplog.text  # it tried, could not, and fell back
