"""CX against a business metric over time: lagged cross-correlation with its uncertainty.

For lags 0..6 periods, the CX metric of period t is correlated with the business metric of
period t + lag. Both series are first-differenced before correlating, because two trending
series correlate at every lag whatever their relation (levels are shown too, for reference).
Each correlation has a Fisher-z 95% interval and a p value; the best lag's p value is
Bonferroni-adjusted for the seven lags tried. How sure the best lag is comes from a moving-block
bootstrap over periods (share of resamples that pick the same lag). Caveats (few periods,
trend, correlation is not causation) are spelled out in the result.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cxloop.analytics.result import AnalysisResult
from cxloop.errors import NotEstimable

MAX_LAG = 6
MIN_PAIRS = 6


def _corr(a: np.ndarray, b: np.ndarray) -> float | None:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return None
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _fisher(r: float, n: int) -> tuple[float | None, float | None, float | None]:
    if n < 4 or abs(r) >= 1:
        return None, None, None
    z, se = math.atanh(r), 1 / math.sqrt(n - 3)
    p = float(2 * stats.norm.sf(abs(z) / se))
    return math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se), p


def lagged_correlations(x: np.ndarray, y: np.ndarray, lags: range) -> dict[int, float | None]:
    return {k: _corr(x[: len(x) - k] if k else x, y[k:]) for k in lags}


def sales_linkage(
    cx: pd.Series,
    business: pd.Series,
    *,
    cx_name: str = "nps",
    metric: str = "revenue",
    max_lag: int = MAX_LAG,
    boot: int = 500,
    seed: int = 0,
    params: dict[str, Any] | None = None,
) -> AnalysisResult:
    """``cx`` and ``business``: values indexed by period start (same grain)."""
    idx = cx.index.union(business.index).sort_values()
    x = cx.reindex(idx).to_numpy(float)
    y = business.reindex(idx).to_numpy(float)
    both = np.isfinite(x) & np.isfinite(y)
    n_periods = int(both.sum())
    if n_periods < MIN_PAIRS + 2:
        raise NotEstimable(
            f"only {n_periods} period(s) have both {cx_name} and {metric}; at least "
            f"{MIN_PAIRS + 2} are needed for a lagged correlation",
            hint="load more periods of the business metric or use a shorter --period",
        )
    dx, dy = np.diff(x), np.diff(y)
    lags = range(0, min(max_lag, n_periods - MIN_PAIRS - 1) + 1)
    diff_r = lagged_correlations(dx, dy, lags)
    level_r = lagged_correlations(x, y, lags)
    rows: list[dict[str, Any]] = []
    for k in lags:
        r = diff_r[k]
        n = int((np.isfinite(dx[: len(dx) - k] if k else dx) & np.isfinite(dy[k:])).sum())
        lo, hi, p = _fisher(r, n) if r is not None else (None, None, None)
        rows.append(
            {
                "cx_metric": cx_name,
                "business_metric": metric,
                "lag": k,
                "n_pairs": n,
                "correlation": r,
                "ci_low": lo,
                "ci_high": hi,
                "p_value": p,
                "correlation_levels": level_r[k],
                "best": False,
            }
        )
    valid = [r for r in rows if r["correlation"] is not None]
    if not valid:
        raise NotEstimable(f"{cx_name} or {metric} is constant: no correlation can be computed")
    best = max(valid, key=lambda r: r["correlation"])
    best["best"] = True
    best["p_adjusted"] = min(1.0, (best["p_value"] or 1.0) * len(valid))
    rng = np.random.default_rng(seed)
    picks = []
    m = len(dx)
    block = 3
    for _ in range(boot):
        starts = rng.integers(0, max(m - block, 1), size=math.ceil(m / block))
        t = np.concatenate([np.arange(s, s + block) for s in starts])[:m]
        scores = []
        for k in lags:
            tt = t[t + k < m]
            c = _corr(dx[tt], dy[tt + k]) if len(tt) > 3 else None
            scores.append(-np.inf if c is None else c)
        picks.append(list(lags)[int(np.argmax(scores))])
    picks_arr = np.array(picks)
    support = float((picks_arr == best["lag"]).mean())
    best["lag_support"] = support
    best["lag_interval"] = (
        f"{int(np.quantile(picks_arr, 0.05))}-{int(np.quantile(picks_arr, 0.95))}"
    )
    caveats = [
        "correlation is not causation: both series may follow a third factor (season, prices)",
        f"{len(valid)} lags were tried; the best lag's p value is Bonferroni-adjusted",
    ]
    if n_periods < 24:
        caveats.append(f"few periods ({n_periods}): lags and correlations are uncertain")
    for name, series in ((cx_name, x), (metric, y)):
        ok = np.isfinite(series)
        if ok.sum() >= 6:
            res = stats.linregress(np.arange(len(series))[ok], series[ok])
            if res.pvalue < 0.05:
                caveats.append(
                    f"{name} trends over time (p={res.pvalue:.3f}): levels correlate "
                    "spuriously, so differences are used"
                )
    if best["p_adjusted"] >= 0.05:
        caveats.append("no lag is significant after adjustment: no reliable linkage found")
    if support < 0.5:
        caveats.append(
            f"the best lag is unstable: only {support:.0%} of bootstrap resamples pick it"
        )
    method = (
        f"Pearson correlation of first differences of {cx_name}(t) and {metric}(t+lag), lags "
        f"0..{max(lags)}, Fisher-z 95% intervals; best lag Bonferroni-adjusted, its stability "
        f"from a moving-block bootstrap ({boot} resamples, blocks of {block} periods)"
    )
    return AnalysisResult(
        "business",
        params or {},
        rows,
        method,
        caveats,
        {"best_lag": best["lag"], "lag_support": support},
    )
