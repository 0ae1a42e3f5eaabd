"""Key-driver analysis: what moves the outcome, with a method that survives correlated drivers.

Importance is Johnson's relative weights (2000): the drivers are replaced by their closest
orthogonal counterparts (eigen-decomposition of their correlation matrix), the outcome's
explained variance is split among those, and mapped back, so correlated drivers share the
credit instead of one taking it at random. ``importance`` is each driver's share of R² (sums
to 1). ``effect`` is the OLS coefficient (outcome change when the driver is present, all others
held fixed) with its HC3 robust 95% interval (statsmodels). Drivers that are constant or an
exact linear combination of others are reported as not estimable instead of being given a
number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from cxloop.analytics.result import AnalysisResult
from cxloop.errors import NotEstimable

QUADRANTS = {
    (True, False): "fix first",
    (True, True): "maintain",
    (False, False): "monitor",
    (False, True): "low priority",
}


def relative_weights(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's relative weights of the columns of ``x`` on ``y``: (raw weights, R²)."""
    xs = (x - x.mean(0)) / x.std(0)
    ys = (y - y.mean()) / y.std()
    n = len(y)
    rxx = xs.T @ xs / n
    rxy = xs.T @ ys / n
    evals, evecs = np.linalg.eigh(rxx)
    evals = np.clip(evals, 1e-12, None)
    lam = evecs @ np.diag(np.sqrt(evals)) @ evecs.T
    beta = np.linalg.solve(lam, rxy)
    raw = (lam**2) @ (beta**2)
    return raw, float(beta @ beta)


def independent_columns(
    x: np.ndarray, names: list[str], max_r2: float = 0.98
) -> tuple[list[int], dict[str, str]]:
    """Indices of columns that are neither constant nor a linear combination of earlier ones.

    Works on the centred Gram matrix (k x k), so the cost is one pass over the rows: a column
    is dependent when its variance left after regressing it on the kept columns is below
    1e-9 of its own variance. Then, while some column is explained by the others with
    R² > ``max_r2`` (variance inflation > 50), one of those is dropped too (a continuous one
    first, else the latest): its effect cannot be separated from theirs, and keeping it would
    only give a meaningless, huge interval.
    """
    keep: list[int] = []
    dropped: dict[str, str] = {}
    if x.shape[1] == 0:
        return keep, dropped
    xc = x - x.mean(0)
    gram = xc.T @ xc
    for j, name in enumerate(names):
        own = gram[j, j]
        if own <= 1e-12 * max(1.0, len(x)):
            dropped[name] = "constant in the data (every row has the same value)"
            continue
        if keep:
            gkk = gram[np.ix_(keep, keep)]
            gkj = gram[keep, j]
            resid = own - gkj @ np.linalg.solve(gkk, gkj)
            if resid <= 1e-9 * own:
                dropped[name] = "collinear with other drivers (an exact combination of them)"
                continue
        keep.append(j)
    return _drop_near_collinear(gram, keep, names, dropped, max_r2)


def _drop_near_collinear(
    gram: np.ndarray, keep: list[int], names: list[str], dropped: dict[str, str], max_r2: float
) -> tuple[list[int], dict[str, str]]:
    keep = list(keep)
    while len(keep) > 1:
        g = gram[np.ix_(keep, keep)]
        d = np.sqrt(np.diag(g))
        corr = g / np.outer(d, d)
        r2s = 1.0 - 1.0 / np.diag(np.linalg.pinv(corr))
        over = [i for i in range(len(keep)) if r2s[i] > max_r2]
        if not over:
            break
        # A continuous column (charges, amounts) is usually derived from the categorical
        # choices it is collinear with, so it goes first; otherwise the latest column.
        numeric = [i for i in over if names[keep[i]].endswith("(per SD)")]
        worst = (numeric or over)[-1]
        r2 = float(r2s[worst])
        dropped[names[keep[worst]]] = (
            f"near-collinear with other drivers (R² {r2:.3f}): its effect cannot be separated"
        )
        keep.pop(worst)
    return keep, dropped


def key_drivers(
    frame: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    *,
    performance: dict[str, float | None] | None = None,
    kinds: dict[str, str] | None = None,
    min_n: int = 30,
    params: dict[str, Any] | None = None,
) -> AnalysisResult:
    """Drivers (0/1 or numeric columns of ``frame``) of the numeric column ``outcome``."""
    if outcome not in frame:
        raise NotEstimable(f"outcome column {outcome!r} is missing from the data")
    df = frame.dropna(subset=[outcome])
    if len(df) < max(min_n, len(drivers) + 5):
        raise NotEstimable(
            f"only {len(df)} rows have the outcome {outcome!r}; at least "
            f"{max(min_n, len(drivers) + 5)} are needed",
            hint="widen the date range or choose another --outcome",
        )
    y = df[outcome].to_numpy(float)
    if np.ptp(y) == 0:
        raise NotEstimable(
            f"the outcome {outcome!r} is constant ({y[0]:g}) in the selected data: "
            "nothing can drive it"
        )
    x_all = df[drivers].to_numpy(float) if drivers else np.empty((len(df), 0))
    small: dict[str, str] = {}
    usable: list[str] = []
    for j, d in enumerate(drivers):
        col = x_all[:, j]
        uniq = np.unique(col)
        if len(uniq) == 2 and min((col == uniq[0]).sum(), (col == uniq[1]).sum()) < min_n:
            small[d] = f"fewer than {min_n} rows on one side"
        else:
            usable.append(d)
    x_use = df[usable].to_numpy(float) if usable else np.empty((len(df), 0))
    keep, dropped = independent_columns(x_use, usable)
    dropped.update(small)
    names = [usable[j] for j in keep]
    if not names:
        raise NotEstimable(
            "no driver varies enough to be estimated",
            hint="check that feedback is enriched (cxloop enrich) and the range is wide enough",
        )
    x = x_use[:, keep]
    raw, r2 = relative_weights(x, y)
    fit = sm.OLS(y, sm.add_constant(x)).fit(cov_type="HC3")
    ci = np.asarray(fit.conf_int(0.05))
    perf = performance or {}
    kinds = kinds or {}
    share = raw / raw.sum() if raw.sum() > 0 else np.zeros_like(raw)
    rows: list[dict[str, Any]] = []
    for j, name in enumerate(names):
        rows.append(
            {
                "driver": name,
                "kind": kinds.get(name, "theme"),
                "importance": float(share[j]),
                "raw_weight": float(raw[j]),
                "direction": 1 if fit.params[j + 1] >= 0 else -1,
                "effect": float(fit.params[j + 1]),
                "effect_ci_low": float(ci[j + 1, 0]),
                "effect_ci_high": float(ci[j + 1, 1]),
                "p_value": float(fit.pvalues[j + 1]),
                "n_present": int((x[:, j] != 0).sum()),
                "performance": perf.get(name),
                "estimable": True,
            }
        )
    rows.sort(key=lambda r: -r["importance"])
    _quadrants(rows)
    for name, why in dropped.items():
        rows.append(
            {"driver": name, "kind": kinds.get(name, "theme"), "estimable": False, "note": why}
        )
    method = (
        f"Johnson relative weights (share of R² = {r2:.3f}) on {len(y)} rows; effect = OLS "
        "coefficient with HC3 robust 95% interval; quadrant from importance vs performance "
        "medians (fix first = above-median importance, below-median performance)."
    )
    caveats = []
    if r2 < 0.02:
        caveats.append(f"the drivers explain little of the outcome (R² = {r2:.3f})")
    return AnalysisResult("drivers", params or {}, rows, method, caveats, {"r_squared": r2})


def _quadrants(rows: list[dict[str, Any]]) -> None:
    """Quadrants within each kind of driver (themes and attributes have different scales)."""
    for kind in {r["kind"] for r in rows}:
        part = [r for r in rows if r["kind"] == kind]
        imp = float(np.median([r["importance"] for r in part]))
        perfs = [r["performance"] for r in part if r["performance"] is not None]
        pmed = float(np.median(perfs)) if perfs else None
        for r in part:
            if pmed is None or r["performance"] is None:
                r["quadrant"] = None
                continue
            r["quadrant"] = QUADRANTS[(r["importance"] >= imp, r["performance"] >= pmed)]
