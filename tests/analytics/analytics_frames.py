"""Helpers for analytics tests: planted synthetic data as the database would aggregate it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxloop.analytics.data import STAT_COLUMNS


def stats_from_rows(rows: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """Per day (and group) sufficient statistics, like ``data.daily_stats`` returns them."""
    df = rows.copy()
    df["day"] = pd.to_datetime(df["day"])
    df["group"] = df[group] if group else "all"
    for col in ("nps", "csat", "ces", "rating", "sentiment"):
        if col not in df:
            df[col] = np.nan
    out = pd.DataFrame(
        {
            "day": df["day"],
            "group": df["group"],
            "n": 1.0,
            "nps_n": df["nps"].notna().astype(float),
            "nps_pro": (df["nps"] >= 9).astype(float),
            "nps_det": (df["nps"] <= 6).astype(float),
            "csat_n": df["csat"].notna().astype(float),
            "csat_top": (df["csat"] >= 4).astype(float),
            "ces_n": df["ces"].notna().astype(float),
            "ces_sum": df["ces"].fillna(0.0),
            "ces_sq": df["ces"].fillna(0.0) ** 2,
            "rating_n": df["rating"].notna().astype(float),
            "rating_sum": df["rating"].fillna(0.0),
            "rating_sq": df["rating"].fillna(0.0) ** 2,
            "sent_n": df["sentiment"].notna().astype(float),
            "sent_sum": df["sentiment"].fillna(0.0),
            "sent_sq": df["sentiment"].fillna(0.0) ** 2,
        }
    )
    return out.groupby(["day", "group"], as_index=False)[list(STAT_COLUMNS)].sum()


def nps_rows(rng: np.random.Generator, n: int, p_pro: float, p_det: float, **cols) -> pd.DataFrame:
    """``n`` NPS answers with the given promoter and detractor shares."""
    u = rng.random(n)
    nps = np.where(u < p_pro, 10, np.where(u < p_pro + p_det, 3, 8))
    return pd.DataFrame({"nps": nps.astype(float), **cols})
