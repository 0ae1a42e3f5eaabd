"""Theme impact: volume, share, sentiment and the NPS of mentioners against non-mentioners.

``nps_impact`` = NPS(feedback mentioning the theme) - NPS(feedback not mentioning it), with a
95% normal interval from the two trinomial variances (the groups are disjoint). ``trend`` is
the monthly change in the theme's share of feedback from a Poisson regression of monthly
mentions with log(total feedback) as offset (statsmodels GLM), with its p value; it is only
reported with at least four months of data.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from cxloop.analytics.data import STAT_COLUMNS
from cxloop.analytics.intervals import diff_interval, nps_estimate
from cxloop.analytics.periods import period_start
from cxloop.analytics.result import AnalysisResult
from cxloop.errors import NotEstimable

METHOD = (
    "nps_impact = NPS of feedback mentioning the theme - NPS of the rest, 95% normal "
    "interval from trinomial variances; sentiment = mean aspect sentiment (-1..1); trend = "
    "monthly % change of the theme's share (Poisson GLM, log total as offset) with p value. "
    "Themes with fewer than min_n mentions are suppressed."
)


def share_trend(monthly: pd.DataFrame) -> tuple[float | None, float | None]:
    """(% change of share per month, p value) from a Poisson GLM with offset, or Nones."""
    monthly = monthly[monthly["total"] > 0]
    if len(monthly) < 4 or monthly["count"].sum() < 5:
        return None, None
    x = sm.add_constant(np.arange(len(monthly), dtype=float))
    try:
        fit = sm.GLM(
            monthly["count"].to_numpy(float),
            x,
            family=sm.families.Poisson(),
            offset=np.log(monthly["total"].to_numpy(float)),
        ).fit()
    except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - degenerate data
        return None, None
    b, p = float(fit.params[1]), float(fit.pvalues[1])
    if not (math.isfinite(b) and math.isfinite(p)):
        return None, None
    return 100.0 * (math.exp(b) - 1.0), p


def theme_impact(
    mentions: pd.DataFrame,
    totals: pd.Series,
    themes: pd.DataFrame,
    monthly_counts: pd.DataFrame | None = None,
    monthly_totals: pd.DataFrame | None = None,
    *,
    min_n: int = 30,
    params: dict[str, Any] | None = None,
) -> AnalysisResult:
    """Rows per theme. ``mentions``: per-theme statistics; ``totals``: all feedback's."""
    if totals["n"] <= 0:
        raise NotEstimable("no feedback in the selected range and filter")
    if mentions.empty:
        raise NotEstimable(
            "no feedback in range has a theme", hint="run 'cxloop enrich' to assign themes"
        )
    names = dict(zip(themes["theme_id"], themes["theme"], strict=False))
    rows: list[dict[str, Any]] = []
    suppressed = 0
    for _, m in mentions.iterrows():
        if m["n"] < min_n:
            suppressed += 1
            continue
        rest = {k: totals[k] - m[k] for k in STAT_COLUMNS}
        with_t = nps_estimate(m["nps_pro"], m["nps_det"], m["nps_n"])
        without = nps_estimate(rest["nps_pro"], rest["nps_det"], rest["nps_n"])
        enough = m["nps_n"] >= min_n and rest["nps_n"] >= min_n
        d, lo, hi = diff_interval(with_t, without) if enough else (None, None, None)
        trend = p_trend = None
        if monthly_counts is not None and monthly_totals is not None:
            mc = monthly_counts[monthly_counts["theme_id"] == m["theme_id"]]
            merged = monthly_totals.merge(mc[["period", "count"]], on="period", how="left")
            merged["count"] = merged["count"].fillna(0.0)
            trend, p_trend = share_trend(merged)
        rows.append(
            {
                "theme": names.get(m["theme_id"], str(m["theme_id"])),
                "theme_id": int(m["theme_id"]),
                "volume": int(m["n"]),
                "share": 100.0 * m["n"] / totals["n"],
                "sentiment": m["aspect_sentiment"],
                "negative_share": 100.0 * m["negative"] / m["n"],
                "nps_mentioners": with_t.value if enough else None,
                "nps_others": without.value if enough else None,
                "nps_impact": d,
                "nps_impact_ci_low": lo,
                "nps_impact_ci_high": hi,
                "nps_n": int(m["nps_n"]),
                "trend_pct_per_month": trend,
                "trend_p_value": p_trend,
            }
        )
    rows.sort(key=lambda r: -r["volume"])
    caveats = (
        [f"{suppressed} theme(s) with fewer than {min_n} mentions suppressed"]
        if (suppressed)
        else []
    )
    return AnalysisResult("themes", params or {}, rows, METHOD, caveats)


def monthly_theme_counts(
    theme_daily: pd.DataFrame, daily: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per theme and month mention counts, per month total feedback) for the trend."""
    td = theme_daily.assign(period=period_start(theme_daily["day"], "month"))
    counts = td.groupby(["theme_id", "period"], as_index=False)["count"].sum()
    dd = daily.assign(period=period_start(daily["day"], "month"))
    totals = dd.groupby("period", as_index=False)["n"].sum().rename(columns={"n": "total"})
    return counts, totals
