"""Do some customers need a different experience? Each segment against the rest.

For every segment value and metric the segment is compared with all other feedback
(``baseline``): NPS by a z test on the difference (trinomial variances), CSAT and theme shares
by two-proportion z tests, CES/rating/sentiment by Welch's t test. All p values of one run are
corrected together (Benjamini-Hochberg false discovery rate by default, Holm on request), and
segments with fewer than ``min_n`` feedback items are suppressed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxloop.analytics.data import STAT_COLUMNS
from cxloop.analytics.intervals import two_proportion_p, welch_p, z_test_difference
from cxloop.analytics.metrics import METRICS, estimates
from cxloop.analytics.multiple_testing import adjust
from cxloop.analytics.result import AnalysisResult
from cxloop.errors import InputError, NotEstimable

CORRECTIONS = {"bh": "fdr_bh", "holm": "holm"}


def segment_differences(
    stats: pd.DataFrame,
    theme_counts: pd.DataFrame | None,
    themes: pd.DataFrame | None,
    *,
    by: str,
    min_n: int = 30,
    alpha: float = 0.05,
    correction: str = "bh",
    params: dict[str, Any] | None = None,
) -> AnalysisResult:
    """``stats``: sufficient statistics per ``group``; ``theme_counts``: group, theme_id, count."""
    if correction not in CORRECTIONS:
        raise InputError(f"correction {correction!r} is not known", hint="use bh or holm")
    per = stats.groupby("group", as_index=False)[list(STAT_COLUMNS)].sum()
    # Feedback with no value for the field (e.g. anonymous posts without a customer) is not a
    # segment: it is left out of both the groups and the baseline.
    unknown = float(per.loc[per["group"] == "(none)", "n"].sum())
    per = per[per["group"] != "(none)"]
    if theme_counts is not None:
        theme_counts = theme_counts[theme_counts["group"] != "(none)"]
    if per.empty or per["n"].sum() == 0:
        raise NotEstimable("no feedback in the selected range and filter")
    kept = per[per["n"] >= min_n]
    suppressed = sorted(per.loc[per["n"] < min_n, "group"].astype(str))
    if len(kept) < 2:
        raise NotEstimable(
            f"fewer than two {by} groups have at least {min_n} feedback items",
            hint=f"choose another --by field or a lower --min-n ({len(per)} group(s) found)",
        )
    total = per[list(STAT_COLUMNS)].sum()
    names = (
        dict(zip(themes["theme_id"], themes["theme"], strict=False)) if themes is not None else {}
    )
    rows: list[dict[str, Any]] = []
    for _, g in kept.iterrows():
        rest = total - g[list(STAT_COLUMNS)]
        eg, er = estimates(g), estimates(rest)
        for m in METRICS:
            key = {"nps": "nps", "csat": "csat", "ces": "ces", "rating": "rating"}.get(m, "sent")
            if g[f"{key}_n"] < min_n or rest[f"{key}_n"] < min_n:
                continue
            if m == "nps":
                p = z_test_difference(eg[m], er[m])
            elif m == "csat":
                p = two_proportion_p(g["csat_top"], g["csat_n"], rest["csat_top"], rest["csat_n"])
            else:
                p = welch_p(
                    g[f"{key}_n"],
                    g[f"{key}_sum"],
                    g[f"{key}_sq"],
                    rest[f"{key}_n"],
                    rest[f"{key}_sum"],
                    rest[f"{key}_sq"],
                )
            value, base = eg[m].value, er[m].value
            if p is None or value is None or base is None:
                continue
            rows.append(
                {
                    "segment": g["group"],
                    "metric": m,
                    "value": value,
                    "baseline": base,
                    "difference": value - base,
                    "n": int(g[f"{key}_n"]),
                    "p_value": p,
                }
            )
        if theme_counts is not None and not theme_counts.empty:
            tc = theme_counts.groupby(["group", "theme_id"])["count"].sum()
            tt = theme_counts.groupby("theme_id")["count"].sum()
            for tid, all_count in tt.items():
                k1 = float(tc.get((g["group"], tid), 0.0))
                k2 = float(all_count) - k1
                if k1 + k2 < min_n:
                    continue
                p = two_proportion_p(k1, g["n"], k2, rest["n"])
                if p is None:
                    continue
                v, b = 100.0 * k1 / g["n"], 100.0 * k2 / rest["n"]
                rows.append(
                    {
                        "segment": g["group"],
                        "metric": f"theme share: {names.get(tid, tid)}",
                        "value": v,
                        "baseline": b,
                        "difference": v - b,
                        "n": int(g["n"]),
                        "p_value": p,
                    }
                )
    if not rows:
        raise NotEstimable("no metric has enough answers in two or more groups to compare")
    reject, adj = adjust([r["p_value"] for r in rows], correction, alpha)
    for r, rej, a in zip(rows, reject, adj, strict=True):
        r["p_adjusted"] = float(a)
        r["significant"] = bool(rej)
    rows.sort(key=lambda r: (not r["significant"], r["p_adjusted"]))
    method = (
        f"each {by} value vs all other feedback: NPS z test (trinomial variance), CSAT and "
        "theme shares two-proportion z tests, means Welch t; "
        f"{'Benjamini-Hochberg FDR' if correction == 'bh' else 'Holm'} correction over all "
        f"{len(rows)} tests at alpha {alpha}; groups with n < {min_n} suppressed."
    )
    caveats = [f"suppressed (n < {min_n}): {', '.join(suppressed)}"] if suppressed else []
    if unknown:
        caveats.append(f"{int(unknown)} feedback item(s) without a {by} value left out")
    return AnalysisResult("segments", params or {}, rows, method, caveats)
