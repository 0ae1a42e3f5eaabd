"""The impact interval means what it says: over simulated programmes its 95% CI covers the true
effect about 95% of the time, and a zero effect is called significant about 5% of the time."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from cxloop.plans.impact import difference_in_differences

START = datetime(2026, 3, 1, tzinfo=UTC)


def simulate(rng: np.random.Generator, effect: float, n: int = 150) -> pd.DataFrame:
    """CSAT-like scores (1-5): group and period shifts plus ``effect`` on treated-after."""
    frames = []
    for treated in (0, 1):
        for post in (0, 1):
            mean = 3.2 + 0.3 * treated - 0.2 * post + effect * treated * post
            scores = np.clip(np.round(rng.normal(mean, 1.0, n)), 1, 5)
            offsets = rng.uniform(1, 80, n) * (1 if post else -1)
            frames.append(
                pd.DataFrame(
                    {
                        "received_at": pd.Timestamp(START) + pd.to_timedelta(offsets, unit="D"),
                        "csat": scores,
                        "has_theme": bool(treated),
                        "stage": None,
                        "segment": None,
                    }
                )
            )
    frame = pd.concat(frames, ignore_index=True)
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    return frame


def _true_effect(rng_seed: int, effect: float) -> float:
    """The effect after rounding/clipping, from a very large simulated sample."""
    rng = np.random.default_rng(rng_seed)
    big = 400_000

    def cell(mean: float) -> float:
        return float(np.clip(np.round(rng.normal(mean, 1.0, big)), 1, 5).mean())

    return (cell(3.5 - 0.2 + effect) - cell(3.5)) - (cell(3.0) - cell(3.2))


def test_interval_coverage_and_false_positive_rate():
    rng = np.random.default_rng(2026)
    runs = 60
    truth = _true_effect(1, 0.4)
    covered = false_positive = 0
    for _ in range(runs):
        kwargs = dict(metric="csat", start=START, themes=["x"], stages=[], segments=[])
        hit = difference_in_differences(simulate(rng, 0.4), **kwargs)
        covered += hit.ci_low <= truth <= hit.ci_high
        null = difference_in_differences(simulate(rng, 0.0), **kwargs)
        false_positive += null.ci_low > 0 or null.ci_high < 0
    assert 0.88 <= covered / runs <= 1.0, covered
    assert false_positive / runs <= 0.11, false_positive
