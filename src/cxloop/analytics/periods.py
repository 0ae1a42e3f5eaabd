"""Calendar periods (ISO week from Monday, month, quarter) for grouping daily aggregates."""

from __future__ import annotations

import pandas as pd

from cxloop.errors import InputError

PERIODS = {"week": "W-SUN", "month": "M", "quarter": "Q"}


def period_start(days: pd.Series, period: str) -> pd.Series:
    """The first day of the period each day falls in (Monday for weeks)."""
    if period not in PERIODS:
        raise InputError(f"period {period!r} is not known", hint="use week, month or quarter")
    return pd.to_datetime(days).dt.to_period(PERIODS[period]).dt.start_time.dt.normalize()


def label(ts: pd.Timestamp) -> str:
    return ts.date().isoformat()
