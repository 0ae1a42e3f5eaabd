"""Closed-loop metrics by team and owner, each with its n and a 95% interval.

- time to first response and time to resolve: median hours, with a distribution-free
  interval for the median (binomial order statistics), because these times are skewed;
- SLA attainment: share of clocks met (an open clock past its due time counts as missed),
  Wilson interval;
- recovery rate: among detractor cases (NPS 0-6) that were resolved, the share that either
  answered the follow-up as promoters (9-10, or "yes" to a yes/no question) or whose customer
  is still a customer (not churned since the case opened); Wilson interval.

Groups under ``min_n`` cases are suppressed (shown, but without numbers) so that nobody reads
a percentage off three cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from cxloop.storage.models.core import Customer, Feedback
from cxloop.storage.models.delivery import FollowUp
from cxloop.storage.models.loop import Case
from cxloop.storage.models.people import Team, User
from cxloop.storage.types import utcnow

MIN_N = 5


def wilson(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    from scipy import stats  # imported here to keep CLI start-up fast

    if n == 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def median_with_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Median and the order-statistic interval that covers it with at least ``level``."""
    from scipy import stats

    x = np.sort(values[~np.isnan(values)])
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    median = float(np.median(x))
    if n < 3:
        return median, math.nan, math.nan
    alpha = 1 - level
    lo = int(stats.binom.ppf(alpha / 2, n, 0.5))
    hi = int(stats.binom.isf(alpha / 2, n, 0.5))
    lo = max(lo - 1, 0)
    hi = min(hi, n - 1)
    return median, float(x[lo]), float(x[hi])


@dataclass
class LoopMetricsResult:
    rows: list[dict[str, Any]]
    by: str
    method: str = (
        "medians with binomial order-statistic 95% intervals; rates with Wilson 95% intervals; "
        f"groups under {MIN_N} cases suppressed"
    )


def load_cases_frame(engine: Engine, *, since: datetime | None = None) -> pd.DataFrame:
    query = (
        select(
            Case.id,
            Case.status,
            Case.created_at,
            Case.first_response_due_at,
            Case.first_response_at,
            Case.resolution_due_at,
            Case.resolved_at,
            Case.customer_id,
            Team.name.label("team"),
            User.email.label("owner"),
            Feedback.nps,
            Customer.churned_at,
            Customer.status.label("customer_status"),
            FollowUp.answered_at,
            FollowUp.score,
            FollowUp.resolved.label("followup_yes"),
            FollowUp.kind.label("followup_kind"),
        )
        .select_from(Case)
        .outerjoin(Team, Team.id == Case.team_id)
        .outerjoin(User, User.id == Case.assignee_id)
        .outerjoin(Feedback, Feedback.id == Case.feedback_id)
        .outerjoin(Customer, Customer.id == Case.customer_id)
        .outerjoin(FollowUp, FollowUp.case_id == Case.id)
    )
    if since is not None:
        query = query.where(Case.created_at >= since)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows])


def _hours(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    delta = pd.to_datetime(later, utc=True) - pd.to_datetime(earlier, utc=True)
    return (delta.dt.total_seconds() / 3600.0).to_numpy(dtype=float)


def _clock_outcomes(due: pd.Series, done: pd.Series, now: datetime) -> tuple[int, int]:
    due = pd.to_datetime(due, utc=True)
    done = pd.to_datetime(done, utc=True)
    ts = pd.Timestamp(now)
    has_due = due.notna()
    decided = has_due & (done.notna() | (due < ts))
    met = has_due & done.notna() & (done <= due)
    return int(met.sum()), int(decided.sum())


def _recovered(group: pd.DataFrame) -> tuple[int, int]:
    detractors = group[(group["nps"].notna()) & (group["nps"] <= 6)]
    detractors = detractors[detractors["resolved_at"].notna()]
    if detractors.empty:
        return 0, 0
    promoter = (detractors["followup_kind"] == "scale") & (detractors["score"] >= 9)
    said_yes = (detractors["followup_kind"] == "yesno") & (detractors["followup_yes"] == True)  # noqa: E712
    churned = pd.to_datetime(detractors["churned_at"], utc=True)
    stayed = (
        detractors["customer_id"].notna()
        & churned.isna()
        & (detractors["customer_status"].fillna("") != "churned")
    )
    return int((promoter | said_yes | stayed).sum()), len(detractors)


def loop_metrics(
    frame: pd.DataFrame, *, by: str = "team", now: datetime | None = None, min_n: int = MIN_N
) -> LoopMetricsResult:
    """Pure: metrics per group (``team``, ``owner`` or ``all``) from :func:`load_cases_frame`."""
    now = now or utcnow()
    if frame.empty:
        return LoopMetricsResult([], by)
    data = frame.copy()
    key = {"team": "team", "owner": "owner", "all": None}[by]
    data["group"] = data[key].fillna("(none)") if key else "all"
    rows: list[dict[str, Any]] = []
    for name, group in data.groupby("group", sort=True):
        row: dict[str, Any] = {by: name, "cases": len(group)}
        if len(group) < min_n:
            row["note"] = f"suppressed: fewer than {min_n} cases"
            rows.append(row)
            continue
        frt = _hours(group["first_response_at"], group["created_at"])
        med, lo, hi = median_with_interval(frt)
        row.update(
            first_response_h=med,
            first_response_ci=[lo, hi],
            first_response_n=int((~np.isnan(frt)).sum()),
        )
        ttr = _hours(group["resolved_at"], group["created_at"])
        med, lo, hi = median_with_interval(ttr)
        row.update(resolve_h=med, resolve_ci=[lo, hi], resolve_n=int((~np.isnan(ttr)).sum()))
        met1, n1 = _clock_outcomes(group["first_response_due_at"], group["first_response_at"], now)
        met2, n2 = _clock_outcomes(group["resolution_due_at"], group["resolved_at"], now)
        met, n = met1 + met2, n1 + n2
        row.update(
            sla_attainment=met / n if n else None,
            sla_ci=list(wilson(met, n)) if n else None,
            sla_clocks=n,
        )
        recovered, detractors = _recovered(group)
        row.update(
            recovery_rate=recovered / detractors if detractors >= min_n else None,
            recovery_ci=list(wilson(recovered, detractors)) if detractors >= min_n else None,
            detractor_cases=detractors,
        )
        answered = int(group["answered_at"].notna().sum())
        row["followups_answered"] = answered
        rows.append(row)
    return LoopMetricsResult(rows, by)
