"""Spikes and emerging issues: per theme and segment per week, against a trailing baseline.

For each theme x segment and week, the expected count is the theme's share of that segment's
feedback over the previous ``baseline_weeks`` weeks times the week's feedback volume (so a busy
week or a seasonal surge in volume is not a spike; the theme's own share must rise). Counts are
tested against a negative binomial whose dispersion is estimated from the baseline weeks
(Poisson when they show none): p = P(X >= observed). All tests of a run are corrected together
(Benjamini-Hochberg by default, Holm on request); rows report raw and adjusted p values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cxloop.analytics.multiple_testing import adjust
from cxloop.analytics.periods import period_start
from cxloop.analytics.result import AnalysisResult
from cxloop.errors import InputError, NotEstimable

CORRECTIONS = {"bh": "fdr_bh", "holm": "holm"}


def upper_tail(observed: np.ndarray, expected: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """P(X >= observed) under NB(mean=expected, dispersion alpha) (Poisson where alpha=0)."""
    p = np.empty(len(observed))
    pois = alpha <= 1e-9
    p[pois] = stats.poisson.sf(observed[pois] - 1, expected[pois])
    nb = ~pois
    if nb.any():
        size = 1.0 / alpha[nb]
        prob = size / (size + expected[nb])
        p[nb] = stats.nbinom.sf(observed[nb] - 1, size, prob)
    return np.clip(p, 0.0, 1.0)


def detect_spikes(
    counts: pd.DataFrame,
    totals: pd.DataFrame,
    themes: pd.DataFrame,
    *,
    baseline_weeks: int = 8,
    min_baseline_weeks: int = 4,
    alpha: float = 0.01,
    correction: str = "bh",
    min_count: int = 5,
    all_rows: bool = False,
    params: dict[str, Any] | None = None,
) -> AnalysisResult:
    """``counts``: day, theme_id, group, count; ``totals``: day, group, n (all feedback)."""
    if correction not in CORRECTIONS:
        raise InputError(f"correction {correction!r} is not known", hint="use bh or holm")
    if totals.empty or totals["n"].sum() == 0:
        raise NotEstimable("no feedback in the selected range and filter")
    weeks_c = counts.assign(week=period_start(counts["day"], "week"))
    weeks_t = totals.assign(week=period_start(totals["day"], "week"))
    all_weeks = pd.date_range(weeks_t["week"].min(), weeks_t["week"].max(), freq="7D")
    if len(all_weeks) <= min_baseline_weeks:
        raise NotEstimable(
            f"only {len(all_weeks)} week(s) in range: at least {min_baseline_weeks + 1} are "
            "needed to compare a week with its trailing baseline",
            hint="widen --since/--until",
        )
    tot = (
        weeks_t.groupby(["group", "week"])["n"]
        .sum()
        .unstack("week")
        .reindex(columns=all_weeks, fill_value=0.0)
        .fillna(0.0)
    )
    cnt = weeks_c.groupby(["theme_id", "group", "week"])["count"].sum().unstack("week")
    cnt = cnt.reindex(columns=all_weeks, fill_value=0.0).fillna(0.0)
    names = dict(zip(themes["theme_id"], themes["theme"], strict=False))
    recs: list[dict[str, Any]] = []
    n_tests = 0
    for (theme_id, group), series in cnt.iterrows():
        if group not in tot.index:
            continue
        c = series.to_numpy(float)
        n = tot.loc[group].to_numpy(float)
        for w in range(min_baseline_weeks, len(all_weeks)):
            lo = max(0, w - baseline_weeks)
            bc, bn = c[lo:w], n[lo:w]
            if bn.sum() <= 0 or n[w] <= 0:
                continue
            n_tests += 1
            rate = bc.sum() / bn.sum()
            if c[w] < min_count or c[w] <= rate * n[w]:
                continue
            expected = max(rate * n[w], 0.5)
            base_exp = rate * bn
            ok = base_exp > 0
            disp = 0.0
            if ok.sum() >= 3 and base_exp[ok].mean() > 0:
                phi = float(np.mean((bc[ok] - base_exp[ok]) ** 2 / base_exp[ok]))
                disp = max(0.0, (phi - 1.0) / base_exp[ok].mean())
            recs.append(
                {
                    "theme": names.get(theme_id, str(theme_id)),
                    "segment": group,
                    "period_start": all_weeks[w].date().isoformat(),
                    "observed": int(c[w]),
                    "expected": expected,
                    "ratio": c[w] / expected,
                    "_disp": disp,
                }
            )
    # Cells at or below expectation (p >= 0.5) are not kept but count in the correction.
    if not recs:
        return AnalysisResult(
            "anomalies",
            params or {},
            [],
            _method(correction, alpha, baseline_weeks, n_tests),
            ["no week rose above its baseline"],
        )
    df = pd.DataFrame(recs)
    df["p_value"] = upper_tail(
        df["observed"].to_numpy(float), df["expected"].to_numpy(float), df["_disp"].to_numpy(float)
    )
    pvals = np.concatenate([df["p_value"].to_numpy(), np.ones(max(n_tests - len(df), 0))])
    _, adj = adjust(pvals, correction, alpha)
    df["p_adjusted"] = adj[: len(df)]
    df["significant"] = df["p_adjusted"] < alpha
    df = df.drop(columns="_disp").sort_values(["p_adjusted", "period_start"])
    if not all_rows:
        df = df[df["significant"]]
    return AnalysisResult(
        "anomalies",
        params or {},
        df.to_dict("records"),
        _method(correction, alpha, baseline_weeks, n_tests),
    )


def _method(correction: str, alpha: float, baseline: int, n_tests: int) -> str:
    return (
        f"weekly mentions per theme x segment vs expected = trailing {baseline}-week share x "
        "week volume; negative binomial upper-tail test (dispersion from the baseline, "
        f"Poisson if none); {'Benjamini-Hochberg' if correction == 'bh' else 'Holm'} over "
        f"{n_tests} tests, significant at adjusted p < {alpha}"
    )
