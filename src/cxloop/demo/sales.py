"""Monthly business metrics of the demo company: revenue and orders that follow NPS.

Revenue in month *m* rises and falls with the NPS measured in month *m - SALES_LAG_MONTHS*
(the planted sales linkage). It is computed from the NPS actually generated, so an analysis
that correlates the two series at several lags finds the planted lag; the months before the
history use the mean NPS shifted by that month's mood.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from cxloop.demo import planted

#: Revenue change per NPS point (fraction of revenue).
REVENUE_PER_NPS_POINT = 0.006
#: NPS points per point of latent satisfaction (used for the months before the history).
NPS_PER_MOOD_POINT = 20.0
AVERAGE_ORDER_VALUE = 46.0
MONTHS = 24


@dataclass
class MonthlyNps:
    """Accumulates promoters, detractors and responses per month while feedback streams by."""

    counts: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))

    def add(self, month: int, score: int) -> None:
        c = self.counts[month]
        c[0] += score >= 9
        c[1] += score <= 6
        c[2] += 1

    def series(self) -> np.ndarray:
        """NPS (-100..100) per month 0..23; NaN where a month had no response."""
        out = np.full(MONTHS, np.nan)
        for m, (pro, det, n) in self.counts.items():
            if 0 <= m < MONTHS and n:
                out[m] = 100.0 * (pro - det) / n
        return out


def period_label(month: int) -> str:
    """``YYYY-MM`` of month ``month`` counted from HISTORY_START."""
    total = planted.HISTORY_START.year * 12 + planted.HISTORY_START.month - 1 + month
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def monthly_metrics(
    nps: np.ndarray, mood: np.ndarray, base_revenue: float, rng: np.random.Generator
) -> list[dict[str, object]]:
    """Long-format rows ``period, name, value`` for revenue and orders over the 24 months."""
    mean = float(np.nanmean(nps)) if np.isfinite(nps).any() else 0.0
    filled = np.where(np.isfinite(nps), nps, mean)
    before = mean + NPS_PER_MOOD_POINT * (mood[:3] - mood[:3].mean())
    extended = np.concatenate([before, filled])  # index m + 3 is month m
    rows: list[dict[str, object]] = []
    for m in range(MONTHS):
        lagged = extended[m + 3 - planted.SALES_LAG_MONTHS]
        month_of_year = (planted.HISTORY_START.month - 1 + m) % 12 + 1
        season = 1.03 if month_of_year in (11, 12) else 1.0
        revenue = (
            base_revenue
            * season
            * (1.0 + REVENUE_PER_NPS_POINT * (lagged - mean))
            * (1.0 + rng.normal(0.0, 0.004))
        )
        orders = revenue / (AVERAGE_ORDER_VALUE * (1.0 + rng.normal(0.0, 0.01)))
        period = period_label(m)
        rows.append({"period": period, "name": "revenue", "value": round(revenue, 2)})
        rows.append({"period": period, "name": "orders", "value": round(float(orders))})
    return rows
