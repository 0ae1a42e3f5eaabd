"""Did the initiative work? Difference-in-differences against feedback it did not touch.

Treated: feedback that matches the initiative's links (any linked theme, AND any linked
stage, AND any linked segment, for each kind of link that is set). Comparison: feedback that
matches none of them. Feedback matching only some links is left out of both groups, so the
comparison group is not contaminated. The estimate is the ``treated:post`` coefficient of

    score ~ treated + post + treated:post        (OLS, heteroskedasticity-robust HC1 errors)

which is (after - before in treated) - (after - before in comparison): the change the
initiative explains beyond what happened to everyone. Its validity rests on parallel trends,
so the pre-period trend difference is tested and reported alongside. Linking by theme has a
caveat worth stating: fixing a problem also changes who mentions it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from cxloop.plans.outcomes import LOWER_IS_BETTER, outcome_scores

#: Fewest responses per cell (group x period) for an honest estimate.
MIN_PER_CELL = 30


@dataclass
class ImpactResult:
    """The estimate, or ``status == "not_enough_data"`` with a plain reason."""

    status: str  # estimated | not_enough_data
    metric: str
    effect: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    cells: list[dict[str, Any]] = field(default_factory=list)
    pre_trend_p_value: float | None = None
    reason: str | None = None
    method: str = "difference-in-differences, OLS score ~ treated*post, HC1 robust errors"
    window: dict[str, str] = field(default_factory=dict)
    verdict: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "metric": self.metric,
            "effect": self.effect,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "verdict": self.verdict,
            "pre_trend_p_value": self.pre_trend_p_value,
            "reason": self.reason,
            "method": self.method,
            "window": self.window,
            "cells": self.cells,
        }


def assign_groups(
    frame: pd.DataFrame, *, themes: list[str], stages: list[str], segments: list[str]
) -> pd.Series:
    """'treated', 'comparison' or None per row (see the module docstring)."""
    conditions = []
    if themes:
        conditions.append(frame["has_theme"].astype(bool))
    if stages:
        conditions.append(frame["stage"].isin(stages))
    if segments:
        conditions.append(frame["segment"].isin(segments))
    if not conditions:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    matrix = pd.concat(conditions, axis=1)
    treated = matrix.all(axis=1)
    untouched = ~matrix.any(axis=1)
    group = pd.Series(None, index=frame.index, dtype=object)
    group[treated] = "treated"
    group[untouched] = "comparison"
    return group


def difference_in_differences(
    frame: pd.DataFrame,
    *,
    metric: str,
    start: datetime,
    themes: list[str],
    stages: list[str],
    segments: list[str],
    pre_days: int = 90,
    post_days: int = 90,
    min_per_cell: int = MIN_PER_CELL,
    level: float = 0.95,
) -> ImpactResult:
    """Estimate the initiative's effect on ``metric`` from a feedback frame (pure function)."""
    window_start = start - timedelta(days=pre_days)
    window_end = start + timedelta(days=post_days)
    result = ImpactResult(
        status="not_enough_data",
        metric=metric,
        window={
            "before": f"{window_start.date()} .. {(start - timedelta(days=1)).date()}",
            "after": f"{start.date()} .. {(window_end - timedelta(days=1)).date()}",
        },
    )
    if frame.empty:
        result.reason = "no feedback with a date in the workspace yet"
        return result
    data = frame.copy()
    data["score"] = outcome_scores(data, metric)
    data["group"] = assign_groups(data, themes=themes, stages=stages, segments=segments)
    ts = (
        pd.Timestamp(start).tz_convert("UTC")
        if pd.Timestamp(start).tzinfo
        else pd.Timestamp(start, tz="UTC")
    )
    lo, hi = ts - pd.Timedelta(days=pre_days), ts + pd.Timedelta(days=post_days)
    data = data[
        data["group"].notna()
        & data["score"].notna()
        & (data["received_at"] >= lo)
        & (data["received_at"] < hi)
    ].copy()
    data["treated"] = (data["group"] == "treated").astype(int)
    data["post"] = (data["received_at"] >= ts).astype(int)
    cells: list[dict[str, Any]] = []
    for group_name, treated in (("treated", 1), ("comparison", 0)):
        for period, post in (("before", 0), ("after", 1)):
            cell = data[(data["treated"] == treated) & (data["post"] == post)]["score"]
            cells.append(
                {
                    "group": group_name,
                    "period": period,
                    "n": len(cell),
                    "mean": float(cell.mean()) if len(cell) else None,
                }
            )
    result.cells = cells
    short = [c for c in cells if c["n"] < min_per_cell]
    if short:
        worst = min(short, key=lambda c: c["n"])
        result.reason = (
            f"not enough data yet: {worst['n']} {metric} responses in the {worst['group']} group "
            f"{worst['period']} the start; at least {min_per_cell} are needed in each of the four "
            "cells (group x before/after)"
        )
        if worst["period"] == "after":
            result.reason += "; wait for more feedback after the start date"
        return result
    if data["score"].nunique() < 2:
        result.reason = f"every {metric} score in the window is the same; nothing to compare"
        return result
    import statsmodels.formula.api as smf  # imported here: it takes a second to load

    model = smf.ols("score ~ treated * post", data=data).fit(cov_type="HC1")
    term = "treated:post"
    low, high = model.conf_int(alpha=1 - level).loc[term]
    result.status = "estimated"
    result.effect = float(model.params[term])
    result.ci_low, result.ci_high = float(low), float(high)
    result.p_value = float(model.pvalues[term])
    result.pre_trend_p_value = _pre_trend_p(data)
    better = -1 if metric in LOWER_IS_BETTER else 1
    if result.ci_low > 0 or result.ci_high < 0:
        improved = better * result.effect > 0
        result.verdict = "improved" if improved else "worsened"
    else:
        result.verdict = "no detectable change (the interval includes zero)"
    return result


def _pre_trend_p(data: pd.DataFrame) -> float | None:
    """p-value of a different linear trend between groups before the start (parallel trends)."""
    pre = data[data["post"] == 0].copy()
    if len(pre) < 20 or pre["treated"].nunique() < 2:
        return None
    origin = pre["received_at"].min()
    pre["t"] = (pre["received_at"] - origin).dt.total_seconds() / 86400.0
    if pre["t"].nunique() < 3:
        return None
    import statsmodels.formula.api as smf

    try:
        fit = smf.ols("score ~ treated * t", data=pre).fit(cov_type="HC1")
    except (ValueError, np.linalg.LinAlgError):
        return None
    p = float(fit.pvalues.get("treated:t", math.nan))
    return None if math.isnan(p) else p
