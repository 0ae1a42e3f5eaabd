"""Opportunities: issues ranked by scope, severity, value and feasibility, parts shown.

Each part is scaled to 0..1 so a person can see why an issue ranks where it does:

* scope = customers affected (negative mention) relative to the most affected issue;
* severity = mean of the share of negative mentions and the NPS damage
  (max(0, -nps_impact) / 100 scaled to the largest);
* value = mean of affected revenue (relative to the largest) and churn lift (churn rate of
  affected customers minus the rest, relative to the largest positive lift);
* feasibility = from the effort a person set per theme: low 1.0, medium 0.6, high 0.3.

score = 100 x weighted mean (weights default 0.3 scope, 0.3 severity, 0.25 value,
0.15 feasibility). Parts that cannot be estimated count as 0 and say so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cxloop.analytics.intervals import proportion_estimate
from cxloop.analytics.result import AnalysisResult
from cxloop.errors import NotEstimable

FEASIBILITY = {"low": 1.0, "medium": 0.6, "high": 0.3}
WEIGHTS = {"scope": 0.3, "severity": 0.3, "value": 0.25, "feasibility": 0.15}


def _scaled(values: pd.Series) -> pd.Series:
    top = values.clip(lower=0).max()
    return (values.clip(lower=0) / top) if top and top > 0 else values * 0.0


def rank_opportunities(
    theme_rows: list[dict[str, Any]],
    themes: pd.DataFrame,
    customers: pd.DataFrame,
    theme_first: pd.DataFrame,
    *,
    churned: pd.Series | None = None,
    min_n: int = 30,
    weights: dict[str, float] | None = None,
    params: dict[str, Any] | None = None,
) -> AnalysisResult:
    """``theme_rows``: the rows of :func:`cxloop.analytics.themes.theme_impact`."""
    if not theme_rows:
        raise NotEstimable("no theme has enough mentions to rank", hint="run 'cxloop enrich'")
    w = {**WEIGHTS, **(weights or {})}
    t = pd.DataFrame(theme_rows)
    effort = dict(zip(themes["theme_id"], themes["effort"].fillna("medium"), strict=False))
    revenue = customers.set_index("customer_id")["revenue"] if len(customers) else pd.Series()
    churn = churned if churned is not None else pd.Series(dtype=float)
    recs = []
    for _, r in t.iterrows():
        affected = theme_first.loc[theme_first["theme_id"] == r["theme_id"], "customer_id"]
        affected = pd.Index(affected.unique())
        rev = (
            float(pd.to_numeric(revenue.reindex(affected), errors="coerce").fillna(0.0).sum())
            if len(revenue)
            else 0.0
        )
        lift = lift_lo = lift_hi = None
        if len(churn):
            known = churn.dropna()
            inside = known.index.isin(affected)
            k1, n1 = float(known[inside].sum()), int(inside.sum())
            k0, n0 = float(known[~inside].sum()), int((~inside).sum())
            if n1 >= min_n and n0 >= min_n:
                a, b = proportion_estimate(k1, n1), proportion_estimate(k0, n0)
                lift = (a.value or 0.0) - (b.value or 0.0)
                se = float(np.hypot(a.se or 0.0, b.se or 0.0))
                lift_lo, lift_hi = lift - 1.96 * se, lift + 1.96 * se
        eff = str(effort.get(r["theme_id"], "medium") or "medium").lower()
        recs.append(
            {
                "theme": r["theme"],
                "parent": r.get("parent"),
                "feedback": r["volume"],
                "customers_affected": len(affected),
                "negative_share": r["negative_share"],
                "nps_impact": r.get("nps_impact"),
                "revenue_affected": rev,
                "churn_lift": lift,
                "churn_lift_ci_low": lift_lo,
                "churn_lift_ci_high": lift_hi,
                "effort": eff,
            }
        )
    df = pd.DataFrame(recs)
    df["scope"] = _scaled(df["customers_affected"].astype(float))
    nps_damage = _scaled(-df["nps_impact"].astype(float).fillna(0.0))
    df["severity"] = (df["negative_share"].astype(float) / 100.0 + nps_damage) / 2.0
    # Only a churn lift whose interval excludes zero counts as value; noise counts as none.
    ci_low = pd.to_numeric(df["churn_lift_ci_low"], errors="coerce").fillna(-1.0)
    sure_lift = pd.to_numeric(df["churn_lift"], errors="coerce").where(ci_low > 0, 0.0)
    df["value"] = (
        _scaled(df["revenue_affected"].astype(float)) + _scaled(sure_lift.astype(float).fillna(0.0))
    ) / 2.0
    df["feasibility"] = df["effort"].map(FEASIBILITY).fillna(FEASIBILITY["medium"])
    total_w = sum(w.values())
    df["score"] = 100.0 * sum(w[k] * df[k] for k in WEIGHTS) / total_w
    df = df.sort_values("score", ascending=False)
    df.insert(0, "rank", range(1, len(df) + 1))
    method = (
        "score = 100 x weighted mean of scope (customers affected), severity (negative share, "
        "NPS damage), value (affected revenue, churn lift whose 95% interval excludes 0) and "
        "feasibility (effort low/medium/high = 1/0.6/0.3); weights "
        + ", ".join(f"{k} {v}" for k, v in w.items())
    )
    return AnalysisResult("opportunities", params or {}, df.to_dict("records"), method)
