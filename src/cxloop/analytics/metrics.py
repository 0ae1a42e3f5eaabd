"""Where we stand: NPS, CSAT, CES, rating and sentiment per period and group, with intervals.

Pure functions over the daily sufficient statistics of :func:`cxloop.analytics.data.daily_stats`.
A period-to-period change is flagged only when significant: each metric is compared with the
same group's previous period (z test for NPS and CSAT, Welch's t test for means) and the row's
tests are Holm-corrected together, so five metrics do not give five chances of a false alarm.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxloop.analytics.data import STAT_COLUMNS
from cxloop.analytics.intervals import (
    Estimate,
    mean_estimate,
    nps_estimate,
    proportion_estimate,
    two_proportion_p,
    welch_p,
    z_test_difference,
)
from cxloop.analytics.multiple_testing import adjust
from cxloop.analytics.periods import label, period_start
from cxloop.analytics.result import AnalysisResult
from cxloop.errors import NotEstimable

METRICS = ("nps", "csat", "ces", "rating", "sentiment_index")
DEFAULT_MIN_N = 30
ALPHA = 0.05

METHOD = (
    "NPS = %promoters(9-10) - %detractors(0-6), 95% normal interval with the trinomial "
    "variance; CSAT = % of answers 4-5, Wilson 95% interval; CES and rating means with t "
    "intervals; sentiment index = 100 x mean sentiment score (-100..100), t interval. "
    "change_significant: any metric differs from the group's previous period (z tests for "
    "NPS/CSAT, Welch t for means), Holm-corrected within the row at alpha 0.05. Metrics "
    "with fewer than min_n answers are suppressed (null)."
)


def estimates(s: pd.Series | dict[str, float]) -> dict[str, Estimate]:
    """The five metrics of one group from its sufficient statistics."""
    return {
        "nps": nps_estimate(s["nps_pro"], s["nps_det"], s["nps_n"]),
        "csat": proportion_estimate(s["csat_top"], s["csat_n"]),
        "ces": mean_estimate(s["ces_n"], s["ces_sum"], s["ces_sq"]),
        "rating": mean_estimate(s["rating_n"], s["rating_sum"], s["rating_sq"]),
        "sentiment_index": mean_estimate(s["sent_n"], s["sent_sum"], s["sent_sq"], 100.0),
    }


def change_p(
    metric: str,
    cur: pd.Series,
    prev: pd.Series,
    ests: dict[str, Estimate],
    prev_ests: dict[str, Estimate],
) -> float | None:
    """p value of the change of ``metric`` between two periods."""
    if metric == "nps":
        return z_test_difference(ests["nps"], prev_ests["nps"])
    if metric == "csat":
        return two_proportion_p(cur["csat_top"], cur["csat_n"], prev["csat_top"], prev["csat_n"])
    key = {"ces": "ces", "rating": "rating", "sentiment_index": "sent"}[metric]
    return welch_p(
        cur[f"{key}_n"],
        cur[f"{key}_sum"],
        cur[f"{key}_sq"],
        prev[f"{key}_n"],
        prev[f"{key}_sum"],
        prev[f"{key}_sq"],
    )


def _n_of(metric: str, s: pd.Series) -> float:
    key = {"nps": "nps", "csat": "csat", "ces": "ces", "rating": "rating"}.get(metric, "sent")
    return float(s[f"{key}_n"])


def metrics_table(
    daily: pd.DataFrame,
    *,
    period: str | None = "month",
    min_n: int = DEFAULT_MIN_N,
    params: dict[str, Any] | None = None,
) -> AnalysisResult:
    """Metrics per group and period; ``period=None`` gives one row per group (whole range)."""
    if daily.empty or daily["n"].sum() == 0:
        raise NotEstimable(
            "no feedback in the selected range and filter",
            hint="widen --since/--until or loosen --filter",
        )
    df = daily.copy()
    df["period"] = period_start(df["day"], period) if period else pd.Timestamp(0)
    agg = df.groupby(["group", "period"], as_index=False)[list(STAT_COLUMNS)].sum()
    agg = agg.sort_values(["group", "period"])
    rows: list[dict[str, Any]] = []
    suppressed = 0
    for group, part in agg.groupby("group", sort=True):
        prev: pd.Series | None = None
        prev_ests: dict[str, Estimate] | None = None
        for _, cur in part.iterrows():
            if cur["n"] < min_n:
                suppressed += 1
                prev, prev_ests = None, None
                continue
            ests = estimates(cur)
            row: dict[str, Any] = {
                "group": group,
                "period": label(cur["period"]) if period else "all",
                "n": int(cur["n"]),
            }
            pvals: dict[str, float] = {}
            for m in METRICS:
                e = ests[m]
                ok = _n_of(m, cur) >= min_n and e.value is not None
                row[m] = e.value if ok else None
                row[f"{m}_ci_low"] = e.low if ok else None
                row[f"{m}_ci_high"] = e.high if ok else None
                row[f"{m}_n"] = int(_n_of(m, cur))
                if ok and prev is not None and prev_ests is not None and (_n_of(m, prev) >= min_n):
                    p = change_p(m, cur, prev, ests, prev_ests)
                    if p is not None:
                        pvals[m] = p
            if pvals:
                reject, _adj = adjust(list(pvals.values()), "holm", ALPHA)
                changed = [m for m, r in zip(pvals, reject, strict=True) if r]
                row["change_significant"] = bool(changed)
                row["changed"] = ",".join(changed)
            else:
                row["change_significant"] = None
                row["changed"] = ""
            rows.append(row)
            prev, prev_ests = cur, ests
    caveats = []
    if suppressed:
        caveats.append(f"{suppressed} group/period cell(s) with n < {min_n} suppressed")
    if not rows:
        raise NotEstimable(
            f"every group has fewer than {min_n} feedback items",
            hint="use a longer --period, fewer groups, or a lower --min-n",
        )
    if period and agg["period"].nunique() < 2:
        caveats.append("only one period in range: no change can be tested")
    return AnalysisResult("metrics", params or {}, rows, METHOD, caveats)
