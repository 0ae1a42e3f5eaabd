"""Point estimates with 95% intervals and two-sample tests, from sufficient statistics.

* NPS = 100 * (p_promoters - p_detractors); its variance is the trinomial one,
  ``(p_pro + p_det - (p_pro - p_det)**2) / n`` (scaled by 100**2), with a normal interval
  clipped to [-100, 100]. Two NPS are compared with a z test on the difference.
* CSAT = share of answers 4-5: Wilson score interval (statsmodels ``proportion_confint``);
  two periods or groups are compared with a two-proportion z test.
* Means (CES, rating, sentiment index): t interval from n, sum and sum of squares; compared
  with Welch's t test (scipy ``ttest_ind_from_stats``).
Every function returns ``None`` values (never NaN) when n is too small to say anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats
from statsmodels.stats.proportion import proportion_confint

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float | None
    high: float | None
    n: int
    se: float | None = None


NONE = Estimate(None, None, None, 0)


def nps_estimate(pro: float, det: float, n: float) -> Estimate:
    if n < 2:
        return Estimate(None, None, None, int(n))
    pp, pd_ = pro / n, det / n
    value = 100.0 * (pp - pd_)
    var = max(pp + pd_ - (pp - pd_) ** 2, 0.0) / n
    se = 100.0 * math.sqrt(var)
    # A zero variance (all promoters) still has uncertainty: use a Wilson-style floor.
    if se == 0.0:
        lo, hi = proportion_confint(int(max(pro, det)), int(n), method="wilson")
        se = 100.0 * (hi - lo) / (2 * Z95)
    return Estimate(value, max(-100.0, value - Z95 * se), min(100.0, value + Z95 * se), int(n), se)


def proportion_estimate(k: float, n: float, scale: float = 100.0) -> Estimate:
    if n < 1:
        return Estimate(None, None, None, 0)
    lo, hi = proportion_confint(int(k), int(n), alpha=0.05, method="wilson")
    p = k / n
    return Estimate(scale * p, scale * lo, scale * hi, int(n), scale * math.sqrt(p * (1 - p) / n))


def mean_estimate(n: float, total: float, sq: float, scale: float = 1.0) -> Estimate:
    if n < 2:
        return Estimate(None, None, None, int(n))
    mean = total / n
    var = max((sq - n * mean * mean) / (n - 1), 0.0)
    se = math.sqrt(var / n)
    half = float(stats.t.ppf(0.975, n - 1)) * se
    return Estimate(scale * mean, scale * (mean - half), scale * (mean + half), int(n), scale * se)


def mean_sd(n: float, total: float, sq: float) -> tuple[float, float]:
    mean = total / n
    return mean, math.sqrt(max((sq - n * mean * mean) / max(n - 1, 1), 0.0))


def z_test_difference(a: Estimate, b: Estimate) -> float | None:
    """Two-sided p value that two independent estimates differ (normal approximation)."""
    if a.value is None or b.value is None or a.se is None or b.se is None:
        return None
    se = math.hypot(a.se, b.se)
    if se == 0:
        return None
    return float(2 * stats.norm.sf(abs(a.value - b.value) / se))


def diff_interval(a: Estimate, b: Estimate) -> tuple[float | None, float | None, float | None]:
    """``a - b`` with its 95% normal interval."""
    if a.value is None or b.value is None or a.se is None or b.se is None:
        return None, None, None
    d = a.value - b.value
    se = math.hypot(a.se, b.se)
    return d, d - Z95 * se, d + Z95 * se


def welch_p(n1: float, s1: float, q1: float, n2: float, s2: float, q2: float) -> float | None:
    if n1 < 2 or n2 < 2:
        return None
    m1, sd1 = mean_sd(n1, s1, q1)
    m2, sd2 = mean_sd(n2, s2, q2)
    if sd1 == 0 and sd2 == 0:
        return None if m1 == m2 else 0.0
    res = stats.ttest_ind_from_stats(m1, sd1, n1, m2, sd2, n2, equal_var=False)
    return float(res.pvalue)


def two_proportion_p(k1: float, n1: float, k2: float, n2: float) -> float | None:
    if n1 < 1 or n2 < 1:
        return None
    p = (k1 + k2) / (n1 + n2)
    if p in (0.0, 1.0):
        return None
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return float(2 * stats.norm.sf(abs(k1 / n1 - k2 / n2) / se))
