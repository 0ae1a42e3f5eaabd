"""Customer-level features for churn and customer-level drivers: who churned, when, and what.

Statuses are read leniently (``churned``, ``lost``, ``cancelled``, ``yes``, ``true``, ``1`` ...
or a churn date) because customer files come from many tools. Attributes (the JSON bag of
columns kept at ingestion) become features when they are numeric, or categorical with at most
``max_levels`` values; identifier-like columns are left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

CHURNED_STATUSES = {
    "churned",
    "lost",
    "cancelled",
    "canceled",
    "yes",
    "true",
    "1",
    "inactive",
    "closed",
    "left",
    "churn",
}
ACTIVE_STATUSES = {"active", "no", "false", "0", "current", "open", "retained"}


def churn_flag(customers: pd.DataFrame) -> pd.Series:
    """1 churned, 0 active, NaN unknown (neither a churn status nor a churn date)."""
    status = customers["status"].astype("string").str.strip().str.lower()
    flag = pd.Series(np.nan, index=customers.index)
    flag[status.isin(ACTIVE_STATUSES).fillna(False).to_numpy(bool)] = 0.0
    flag[status.isin(CHURNED_STATUSES).fillna(False).to_numpy(bool)] = 1.0
    flag[customers["churned_at"].notna().to_numpy(bool)] = 1.0
    return flag


def attribute_frame(customers: pd.DataFrame) -> pd.DataFrame:
    """The attributes JSON expanded into columns (strings as given)."""
    attrs = customers["attributes"].map(lambda a: a if isinstance(a, dict) else {})
    return pd.DataFrame.from_records(attrs.tolist(), index=customers.index)


def feature_columns(
    table: pd.DataFrame,
    *,
    max_levels: int = 10,
    min_count: int = 30,
    outcome: pd.Series | None = None,
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Design columns from ``table``: numeric columns standardised (per SD), categorical ones
    as 0/1 dummies against a reference level. Returns (design, kind per column, skipped
    column notes).

    The reference level is the most frequent one, or with ``outcome`` (e.g. churned 0/1) the
    level with the lowest outcome rate among those with ``min_count`` rows, so every effect
    reads "compared with the level where customers fare best" (fiber vs no internet, month-to-
    month vs two-year contract)."""
    out: dict[str, pd.Series] = {}
    kinds: dict[str, str] = {}
    skipped: list[str] = []
    n = len(table)
    for col in table.columns:
        raw = table[col]
        if raw.isna().all():
            continue
        num = pd.to_numeric(raw, errors="coerce")
        if num.notna().mean() > 0.95 and num.nunique() > 2:
            sd = float(num.std())
            if not sd:
                skipped.append(f"{col} (constant)")
                continue
            name = f"{col} (per SD)"
            out[name] = ((num - num.mean()) / sd).fillna(0.0)
            kinds[name] = "attribute"
            continue
        values = raw.astype("string").fillna("(missing)")
        counts = values.value_counts()
        if len(counts) > max_levels:
            skipped.append(f"{col} ({len(counts)} values: identifier-like)")
            continue
        if len(counts) < 2:
            skipped.append(f"{col} (constant)")
            continue
        reference = counts.index[0]
        if outcome is not None:
            rates = outcome.groupby(values).mean()
            big = [lv for lv in counts.index if counts[lv] >= min_count and lv in rates]
            if big:
                reference = min(big, key=lambda lv: rates[lv])
        for level in counts.index:
            if level == reference:
                continue
            if counts[level] < min_count or n - counts[level] < min_count:
                continue
            name = f"{col}={level}"
            out[name] = (values == level).astype(float)
            kinds[name] = "attribute"
    design = pd.DataFrame(out, index=table.index)
    return design, kinds, skipped


def customer_table(customers: pd.DataFrame) -> pd.DataFrame:
    """segment, region and attributes side by side, for :func:`feature_columns`."""
    parts: list[Any] = [customers[["segment", "region"]]]
    attrs = attribute_frame(customers)
    if not attrs.empty:
        parts.append(attrs)
    return pd.concat(parts, axis=1)
