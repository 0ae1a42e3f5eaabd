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
from cxloop.errors import InputError, NotEstimable
from cxloop.text.theme_rollup import ancestors_of

METHOD = (
    "nps_impact = NPS of feedback mentioning the theme - NPS of the rest, 95% normal "
    "interval from trinomial variances; sentiment = mean aspect sentiment (-1..1); trend = "
    "monthly % change of the theme's share (Poisson GLM, log total as offset) with p value. "
    "Themes with fewer than min_n mentions are suppressed. A parent theme counts its own "
    "mentions and its sub-themes' (each feedback once)."
)
#: How the models that weigh all themes at once name a parent counted apart from its
#: sub-themes (:func:`apart_from_sub_themes`), and the caveat they add.
#: Which themes a theme list shows: all, only top-level themes (no parent), or only leaves
#: (no active sub-theme), e.g. a summary for executives or what to fix first.
THEME_LEVELS = ("all", "top", "leaf")
OTHER_SUFFIX = " (other)"
OTHER_CAVEAT = (
    "a parent theme marked '(other)' counts only mentions none of its sub-themes has: the "
    "sub-themes are drivers of their own"
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
    parents = parent_names(themes)
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
                "parent": parents.get(int(m["theme_id"])),
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


def _parent_ids(themes: pd.DataFrame) -> dict[int, int | None]:
    if "parent_id" not in themes:
        return {}
    return {
        int(t): (None if pd.isna(p) else int(p))
        for t, p in zip(themes["theme_id"], themes["parent_id"], strict=False)
    }


def parent_names(themes: pd.DataFrame) -> dict[int, str]:
    """Theme id -> its parent's name, for themes that have a parent."""
    names = dict(zip(themes["theme_id"].astype(int), themes["theme"], strict=False))
    return {t: names[p] for t, p in _parent_ids(themes).items() if p is not None and p in names}


def apart_from_sub_themes(
    pairs: pd.DataFrame, key: str, themes: pd.DataFrame
) -> tuple[pd.DataFrame, set[int]]:
    """For models that weigh all themes at once (key drivers, churn drivers).

    Stored results count a sub-theme's feedback under its parents too, which is what volumes
    and impact should show, but in a regression a parent would then restate its children
    (with one child it is the same column) and the two would split or lose the credit. Here a
    parent keeps only the ``key`` values (feedback or customers) that none of its sub-themes,
    at any depth, has: its mentions "other" than through a sub-theme. Returns the filtered
    pairs and the ids of the parents that lost rows, to be named as such.
    """
    ancestors = ancestors_of(_parent_ids(themes))
    if pairs.empty or not ancestors:
        return pairs, set()
    present = pairs[[key, "theme_id"]].drop_duplicates()
    up = present.assign(
        ancestor=present["theme_id"].map(lambda t: ancestors.get(int(t), ()))
    ).explode("ancestor")
    up = up.dropna(subset=["ancestor"])
    if up.empty:
        return pairs, set()
    covered = pd.MultiIndex.from_arrays([up[key], up["ancestor"].astype(int)])
    mine = pd.MultiIndex.from_arrays([pairs[key], pairs["theme_id"].astype(int)])
    drop = mine.isin(covered)
    reduced = {int(t) for t in pairs.loc[drop, "theme_id"].unique()}
    return pairs.loc[~drop].reset_index(drop=True), reduced


def at_level(rows: list[dict[str, Any]], themes: pd.DataFrame, level: str) -> list[dict[str, Any]]:
    """The rows (each with a ``theme_id``) of the themes at ``level`` (see
    :data:`THEME_LEVELS`). A parent's rows already include its sub-themes' feedback, so
    ``top`` is the whole picture at the coarsest grain and ``leaf`` the finest."""
    keep = themes_at_level(themes, level)
    return rows if keep is None else [r for r in rows if int(r["theme_id"]) in keep]


def themes_at_level(themes: pd.DataFrame, level: str) -> set[int] | None:
    """Ids of the themes at ``level``; None for ``all`` (no filter)."""
    if level not in THEME_LEVELS:
        raise InputError(
            f"unknown theme level {level!r}", hint="use one of: " + ", ".join(THEME_LEVELS)
        )
    if level == "all":
        return None
    parents = _parent_ids(themes)
    if level == "top":
        return {t for t, p in parents.items() if p is None}
    active = (
        set(themes.loc[themes["active"].astype(bool), "theme_id"].astype(int))
        if "active" in themes
        else set(parents)
    )
    with_children = {p for t, p in parents.items() if p is not None and t in active}
    return set(parents) - with_children
