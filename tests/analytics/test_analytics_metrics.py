"""Metrics, themes, segments on planted synthetic frames: values, intervals, suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analytics_frames import nps_rows, stats_from_rows

from cxloop.analytics.intervals import mean_estimate, nps_estimate, proportion_estimate
from cxloop.analytics.metrics import metrics_table
from cxloop.analytics.segments import segment_differences
from cxloop.errors import NotEstimable


def test_nps_interval_uses_the_trinomial_variance() -> None:
    e = nps_estimate(pro=50, det=20, n=100)
    assert e.value == pytest.approx(30.0)
    se = 100 * np.sqrt((0.5 + 0.2 - 0.3**2) / 100)
    assert e.high - e.value == pytest.approx(1.959964 * se, rel=1e-4)
    all_promoters = nps_estimate(40, 0, 40)
    assert all_promoters.value == 100 and all_promoters.low < 100  # never a zero-width interval


def test_wilson_and_t_intervals() -> None:
    p = proportion_estimate(45, 50)
    assert p.value == pytest.approx(90.0) and p.low == pytest.approx(78.64, abs=0.05)
    m = mean_estimate(n=4, total=10.0, sq=30.0)  # values 1,2,3,4
    assert m.value == 2.5 and m.low == pytest.approx(2.5 - 3.182446 * np.sqrt(5 / 3 / 4), 1e-4)
    assert nps_estimate(1, 0, 1).value is None  # n = 1: no estimate at all


def _two_periods(rng: np.random.Generator, second_pro: float) -> pd.DataFrame:
    a = nps_rows(rng, 400, 0.5, 0.2, day="2026-01-15")
    b = nps_rows(rng, 400, second_pro, 0.2, day="2026-02-15")
    return stats_from_rows(pd.concat([a, b]))


def test_change_flagged_only_when_significant() -> None:
    rng = np.random.default_rng(1)
    same = metrics_table(_two_periods(rng, 0.5), period="month")
    assert same.rows[1]["change_significant"] is False
    moved = metrics_table(_two_periods(rng, 0.25), period="month")
    assert moved.rows[1]["change_significant"] is True and moved.rows[1]["changed"] == "nps"
    assert moved.rows[0]["change_significant"] is None  # nothing to compare the first with


def test_small_groups_suppressed_and_metrics_without_answers_null() -> None:
    rng = np.random.default_rng(2)
    rows = pd.concat(
        [
            nps_rows(rng, 200, 0.5, 0.2, day="2026-01-10", seg="big"),
            nps_rows(rng, 1, 0.5, 0.2, day="2026-01-10", seg="tiny"),
        ]
    )
    result = metrics_table(stats_from_rows(rows, "seg"), period=None, min_n=30)
    assert [r["group"] for r in result.rows] == ["big"]
    assert result.rows[0]["csat"] is None and result.rows[0]["csat_ci_low"] is None
    assert "suppressed" in result.caveats[0]


def test_no_data_and_one_period() -> None:
    with pytest.raises(NotEstimable, match="no feedback"):
        metrics_table(stats_from_rows(pd.DataFrame({"day": [], "nps": []})), period="month")
    rng = np.random.default_rng(3)
    one = metrics_table(stats_from_rows(nps_rows(rng, 100, 0.4, 0.2, day="2026-03-03")))
    assert any("one period" in c for c in one.caveats)


def test_segment_that_differs_is_flagged_and_others_are_not() -> None:
    rng = np.random.default_rng(4)
    rows = pd.concat(
        [
            nps_rows(rng, 600, 0.5, 0.15, day="2026-01-10", seg="A"),
            nps_rows(rng, 600, 0.5, 0.15, day="2026-01-10", seg="B"),
            nps_rows(rng, 300, 0.2, 0.45, day="2026-01-10", seg="C"),
            nps_rows(rng, 1, 0.5, 0.15, day="2026-01-10", seg="D"),  # n = 1
        ]
    )
    result = segment_differences(stats_from_rows(rows, "seg"), None, None, by="seg")
    flagged = {r["segment"] for r in result.rows if r["significant"] and r["difference"] < 0}
    assert flagged == {"C"}
    assert all(r["segment"] != "D" for r in result.rows)
    assert "D" in result.caveats[0]
    assert all(r["p_adjusted"] >= r["p_value"] for r in result.rows)


def test_segments_need_two_groups() -> None:
    rng = np.random.default_rng(5)
    rows = nps_rows(rng, 100, 0.4, 0.2, day="2026-01-10", seg="only")
    with pytest.raises(NotEstimable, match="fewer than two"):
        segment_differences(stats_from_rows(rows, "seg"), None, None, by="seg")


def test_null_noise_gives_few_false_alarms() -> None:
    """Twenty identical segments: after BH correction almost nothing may be flagged."""
    rng = np.random.default_rng(6)
    rows = pd.concat(
        [nps_rows(rng, 200, 0.4, 0.2, day="2026-01-10", seg=f"s{i}") for i in range(20)]
    )
    result = segment_differences(stats_from_rows(rows, "seg"), None, None, by="seg")
    assert sum(r["significant"] for r in result.rows) <= 1


def test_corrections_match_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    from cxloop.analytics.multiple_testing import adjust

    p = np.random.default_rng(7).random(40) ** 3
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh")):
        reject, adj = adjust(p, ours, 0.05)
        ref_reject, ref_adj, _, _ = multipletests(p, 0.05, theirs)
        assert np.allclose(adj, ref_adj) and (reject == ref_reject).all()
