"""The demo company's customers: who they are, when they joined, who hit the app crash, who left.

Customers are simulated in arrays (a few hundred thousand fit easily in memory); feedback is
then streamed against them. Churn is a piecewise-constant hazard: a monthly base hazard per
segment, multiplied by ``CHURN_HAZARD_RATIO`` from the day a customer first hits the app crash
(``CHURN_THEME`` from ``CHURN_PROBLEM_START``). The history window is the population's
observation window: customers who signed up before ``HISTORY_START`` are alive at its start.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from cxloop.demo import lexicon, planted
from cxloop.demo.verbatims import exit_reason

DAY_S = 86_400.0


def epoch_s(day: date) -> float:
    """Seconds since the Unix epoch at midnight UTC of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


HISTORY_START_S = epoch_s(planted.HISTORY_START)
HISTORY_END_S = epoch_s(planted.HISTORY_END + timedelta(days=1))  # exclusive
CHURN_START_S = epoch_s(planted.CHURN_PROBLEM_START)

#: Share of customers per segment (``planted.SEGMENTS`` order) and per region.
SEGMENT_SHARES = (0.70, 0.20, 0.10)
REGION_SHARES = (0.30, 0.25, 0.20, 0.25)
#: Monthly churn hazard per segment before any app crash.
BASE_MONTHLY_HAZARD = (0.011, 0.008, 0.006)
#: Share of customers per segment who manage their subscription in the app.
APP_USER_SHARE = (0.70, 0.50, 0.35)
#: Share of app users active after the faulty release who hit the crash, and over how many
#: days after ``CHURN_PROBLEM_START`` they first hit it (a gradual roll-out, not a step).
CRASH_HIT_SHARE = 0.55
CRASH_ROLLOUT_DAYS = 75
#: Median annual revenue per segment (GBP) and lognormal spread.
MEDIAN_REVENUE = (320.0, 4_200.0, 38_000.0)
PLANS = {
    "Consumer": ("Essentials", "Plus"),
    "SMB": ("Business",),
    "Enterprise": ("Enterprise",),
}
ACQUISITION = ("search", "social", "referral", "partner", "tv")


@dataclass
class Population:
    """Customer arrays (index ``i`` is customer ``C{i+1:06d}``); times in epoch seconds."""

    segment: np.ndarray  # int index into planted.SEGMENTS
    region: np.ndarray
    signup_s: np.ndarray
    churn_s: np.ndarray  # inf when still active at the end of the history
    uses_app: np.ndarray
    crash_s: np.ndarray  # first app crash; inf when never hit
    revenue: np.ndarray
    seed: int

    @property
    def size(self) -> int:
        return int(self.segment.shape[0])

    @property
    def active_from_s(self) -> np.ndarray:
        """When each customer can first give feedback inside the history window."""
        return np.maximum(self.signup_s, HISTORY_START_S)

    @property
    def active_until_s(self) -> np.ndarray:
        return np.minimum(self.churn_s, HISTORY_END_S)


def simulate_population(n: int, rng: np.random.Generator) -> Population:
    """Draw ``n`` customers with their sign-up, app use, app-crash exposure and churn times."""
    seg = rng.choice(len(planted.SEGMENTS), size=n, p=SEGMENT_SHARES)
    region = rng.choice(len(planted.REGIONS), size=n, p=REGION_SHARES)
    before = rng.random(n) < 0.6
    span = HISTORY_END_S - HISTORY_START_S
    signup = np.where(
        before,
        HISTORY_START_S - rng.random(n) * 3 * 365 * DAY_S,
        HISTORY_START_S + rng.random(n) * (span - 30 * DAY_S),
    )
    signup = np.floor(signup / 60) * 60
    uses_app = rng.random(n) < np.take(APP_USER_SHARE, seg)
    start = np.maximum(signup, HISTORY_START_S)
    hit = uses_app & (rng.random(n) < CRASH_HIT_SHARE)
    crash = np.maximum(signup, CHURN_START_S) + rng.random(n) * CRASH_ROLLOUT_DAYS * DAY_S
    crash = np.where(hit & (crash < HISTORY_END_S), crash, np.inf)

    # Piecewise-constant hazard: h before the crash, h * HR after; invert the cumulative hazard.
    h = np.take(BASE_MONTHLY_HAZARD, seg) / (30.44 * DAY_S)
    target = rng.exponential(1.0, size=n)
    before_crash = np.where(np.isfinite(crash), np.maximum(crash - start, 0.0), np.inf)
    cum_at_crash = h * before_crash
    churn = np.where(
        target <= cum_at_crash,
        start + target / h,
        np.where(np.isfinite(crash), 0.0, np.inf),
    )
    after = np.isfinite(crash) & (target > cum_at_crash)
    churn[after] = crash[after] + (target[after] - cum_at_crash[after]) / (
        h[after] * planted.CHURN_HAZARD_RATIO
    )
    churn = np.where(churn < HISTORY_END_S, np.floor(churn / 60) * 60, np.inf)
    crash = np.where(crash < churn, crash, np.inf)

    revenue = np.round(np.take(MEDIAN_REVENUE, seg) * np.exp(rng.normal(0.0, 0.55, size=n)), 2)
    seed = int(rng.integers(0, 2**31 - 1))
    return Population(seg, region, signup, churn, uses_app, crash, revenue, seed)


def customer_id(i: int) -> str:
    return f"C{i + 1:06d}"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def customer_rows(pop: Population) -> list[dict[str, object]]:
    """The customers file as canonical rows, plus attributes (plan, tenure, app use...).

    Names and emails are fictitious (``example.com``) but look like personal data on purpose.
    """
    rnd = random.Random(pop.seed)
    rows: list[dict[str, object]] = []
    for i in range(pop.size):
        segment = planted.SEGMENTS[int(pop.segment[i])]
        first, last = rnd.choice(lexicon.FIRST_NAMES), rnd.choice(lexicon.LAST_NAMES)
        if segment == "Consumer":
            name = f"{first} {last}"
            email = f"{first}.{last}{i % 97}@example.com".lower()
        else:
            company = f"{rnd.choice(lexicon.COMPANY_WORDS)} {rnd.choice(lexicon.COMPANY_KINDS)}"
            name = f"{company} Ltd"
            slug = company.lower().replace(" ", "").replace("é", "e")
            email = f"{first.lower()}@{slug}{i % 97}.example.com"
        churned = bool(np.isfinite(pop.churn_s[i]))
        end = pop.churn_s[i] if churned else HISTORY_END_S
        crashed = bool(np.isfinite(pop.crash_s[i]))
        reason = exit_reason(crashed, rnd) if churned and rnd.random() < 0.9 else ""
        rows.append(
            {
                "customer_id": customer_id(i),
                "name": name,
                "email": email,
                "segment": segment,
                "region": planted.REGIONS[int(pop.region[i])],
                "revenue": float(pop.revenue[i]),
                "status": "churned" if churned else "active",
                "signup_at": _iso(pop.signup_s[i]),
                "churned_at": _iso(pop.churn_s[i]) if churned else "",
                "churn_reason": reason,
                "plan": rnd.choice(PLANS[segment]),
                "tenure_months": int((end - pop.signup_s[i]) // (30.44 * DAY_S)),
                "uses_app": "yes" if pop.uses_app[i] else "no",
                "acquisition_channel": rnd.choice(ACQUISITION),
            }
        )
    return rows


CUSTOMER_COLUMNS = (
    "customer_id",
    "name",
    "email",
    "segment",
    "region",
    "revenue",
    "status",
    "signup_at",
    "churned_at",
    "churn_reason",
    "plan",
    "tenure_months",
    "uses_app",
    "acquisition_channel",
)


def population_frame(pop: Population) -> pd.DataFrame:
    """The hidden truth per customer (for tests and benchmarks): crash exposure and churn."""
    return pd.DataFrame(
        {
            "customer_id": [customer_id(i) for i in range(pop.size)],
            "segment": np.take(planted.SEGMENTS, pop.segment),
            "uses_app": pop.uses_app,
            "signup_s": pop.signup_s,
            "churn_s": pop.churn_s,
            "crash_s": pop.crash_s,
        }
    )
