"""Outcome metrics as per-response scores, so that a mean of scores is the metric itself.

NPS becomes +100 for a promoter (9-10), 0 for a passive (7-8) and -100 for a detractor
(0-6): the mean of those scores is the NPS, and an OLS coefficient on them is a difference
in NPS points. CSAT, CES and ratings are their own scores; sentiment is the enrichment
score in [-1, 1]. This is what lets one regression serve every metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxloop.errors import ValidationError

OUTCOME_METRICS = ("nps", "csat", "ces", "rating", "sentiment")

#: Metrics where a lower value is the better experience (customer effort).
LOWER_IS_BETTER = frozenset({"ces"})


def check_metric(metric: str) -> str:
    if metric not in OUTCOME_METRICS:
        raise ValidationError(
            f"unknown outcome metric {metric!r}",
            hint="use one of " + ", ".join(OUTCOME_METRICS),
            details={"field": "metric"},
        )
    return metric


def nps_scores(values: pd.Series) -> pd.Series:
    """0-10 answers -> +100 / 0 / -100 per response (NaN stays NaN)."""
    v = pd.to_numeric(values, errors="coerce")
    out = pd.Series(np.where(v >= 9, 100.0, np.where(v <= 6, -100.0, 0.0)), index=v.index)
    return out.where(v.notna())


def outcome_scores(frame: pd.DataFrame, metric: str) -> pd.Series:
    """Per-row score of ``metric`` from a frame with nps/csat/ces/rating/sentiment columns."""
    check_metric(metric)
    if metric == "nps":
        return nps_scores(frame["nps"])
    return pd.to_numeric(frame[metric], errors="coerce").astype(float)


@dataclass(frozen=True)
class Estimate:
    """A metric value with its n and a confidence interval."""

    value: float
    ci_low: float
    ci_high: float
    n: int
    method: str


def mean_with_interval(scores: pd.Series, metric: str, level: float = 0.95) -> Estimate:
    """The metric (mean of per-response scores) with a t-interval; NPS uses its own variance.

    For NPS the variance of the +100/0/-100 score is exactly the textbook NPS variance
    (p + d - (p - d)^2) * 100^2, so a t-interval on the scores is the usual NPS interval.
    """
    from scipy import stats  # imported here to keep CLI start-up fast

    s = scores.dropna().astype(float)
    n = len(s)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, "no data")
    mean = float(s.mean())
    if n < 2:
        return Estimate(mean, math.nan, math.nan, n, "one response")
    se = float(s.std(ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    label = "NPS normal approximation" if metric == "nps" else "t-interval of the mean"
    return Estimate(mean, mean - half, mean + half, n, label)
