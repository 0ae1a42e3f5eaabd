"""Drivers, churn, sales linkage, anomalies and opportunities on planted synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxloop.analytics.anomalies import detect_spikes
from cxloop.analytics.business import sales_linkage
from cxloop.analytics.churn import (
    churn_analysis,
    counting_process,
    exit_reasons,
    fit_cox_lifelines,
    fit_ph,
)
from cxloop.analytics.drivers import key_drivers, relative_weights
from cxloop.errors import NotEstimable

THEMES = pd.DataFrame(
    {
        "theme_id": [1, 2, 3],
        "theme": ["Delivery", "Price", "App"],
        "effort": ["medium", "low", "high"],
        "active": True,
    }
)


def _driver_frame(rng: np.random.Generator, n: int = 3000) -> pd.DataFrame:
    delivery = (rng.random(n) < 0.2).astype(float)
    # "late" is strongly correlated with delivery but has no effect of its own.
    late = np.where(rng.random(n) < 0.8, delivery, (rng.random(n) < 0.2)).astype(float)
    price = (rng.random(n) < 0.3).astype(float)
    y = 8 - 3.0 * delivery - 0.5 * price + rng.normal(0, 1.5, n)
    return pd.DataFrame({"y": y, "Delivery": delivery, "Late": late, "Price": price})


def test_relative_weights_split_r2_and_rank_the_planted_driver_first() -> None:
    df = _driver_frame(np.random.default_rng(10))
    res = key_drivers(
        df,
        "y",
        ["Delivery", "Late", "Price"],
        performance={"Delivery": 20.0, "Late": 40.0, "Price": 60.0},
    )
    rows = [r for r in res.rows if r["estimable"]]
    assert rows[0]["driver"] == "Delivery" and rows[0]["importance"] > 0.6
    assert sum(r["importance"] for r in rows) == pytest.approx(1.0)
    assert rows[0]["effect_ci_low"] < -3.0 + 0.3 < rows[0]["effect_ci_high"] + 0.3
    assert rows[0]["quadrant"] == "fix first"
    raw, r2 = relative_weights(df[["Delivery", "Late", "Price"]].to_numpy(), df["y"].to_numpy())
    assert raw.sum() == pytest.approx(r2)


def test_collinear_and_constant_drivers_are_marked_not_estimable() -> None:
    df = _driver_frame(np.random.default_rng(11))
    df["Copy"] = df["Delivery"]
    df["Always"] = 1.0
    res = key_drivers(df, "y", ["Delivery", "Copy", "Always", "Price"])
    notes = {r["driver"]: r.get("note", "") for r in res.rows if not r["estimable"]}
    assert "collinear" in notes["Copy"] and "constant" in notes["Always"]
    assert all(np.isfinite(r["importance"]) for r in res.rows if r["estimable"])


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"y": [7.0] * 100, "Delivery": [0.0, 1.0] * 50}), "constant"),
        (pd.DataFrame({"y": [7.0, 8.0], "Delivery": [0.0, 1.0]}), "only 2 rows"),
        (pd.DataFrame({"Delivery": [0.0, 1.0] * 50}), "missing"),
    ],
)
def test_driver_bad_input(frame: pd.DataFrame, match: str) -> None:
    with pytest.raises(NotEstimable, match=match):
        key_drivers(frame, "y", ["Delivery"])


def _population(rng: np.random.Generator, n: int = 3000, hr: float = 2.5):
    """Customers with a constant hazard that is multiplied by ``hr`` once they complain about
    the app (a time-varying exposure starting at a random time)."""
    start = pd.Timestamp("2024-01-01", tz="UTC")
    end = pd.Timestamp("2026-01-01", tz="UTC")
    span = (end - start).days
    base = 1 / 900
    signup = rng.uniform(0, 200, n)
    complain_at = np.where(rng.random(n) < 0.35, signup + rng.uniform(30, 500, n), np.inf)
    seg = rng.choice(["A", "B"], n)
    h = base * np.where(seg == "B", 1.5, 1.0)
    t1 = signup + rng.exponential(1 / h)
    churn = np.where(t1 < complain_at, t1, np.nan)
    need = np.isnan(churn)
    # after the complaint the remaining time runs at hr x the hazard
    churn[need] = complain_at[need] + rng.exponential(1 / (h[need] * hr))
    churned = churn < span
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "segment": seg,
            "region": "North",
            "revenue": rng.uniform(100, 1000, n),
            "status": np.where(churned, "churned", "active"),
            "signup_at": start + pd.to_timedelta(signup, unit="D"),
            "churned_at": pd.Series(
                start + pd.to_timedelta(np.where(churned, churn, 0), unit="D")
            ).where(churned),
            "churn_reason": np.where(
                churned & np.isfinite(complain_at) & (complain_at < churn),
                "the app keeps crashing",
                "moved away",
            ),
            "attributes": [{} for _ in range(n)],
        }
    )
    ok = np.isfinite(complain_at) & (complain_at < np.minimum(churn, span))
    theme_first = pd.DataFrame(
        {
            "customer_id": np.flatnonzero(ok),
            "theme_id": 3,
            "first_at": start + pd.to_timedelta(complain_at[ok], unit="D"),
            "mentions": 1,
        }
    )
    nps = pd.DataFrame({"customer_id": [], "nps_n": [], "nps_mean": [], "first_detractor": []})
    return customers, theme_first, nps, start, end


def test_churn_recovers_a_time_varying_hazard_ratio() -> None:
    cust, tf, nps, start, end = _population(np.random.default_rng(12))
    res = churn_analysis(cust, tf, nps, THEMES, data_start=start, data_end=end)
    app = next(r for r in res.rows if r.get("factor") == "theme: App" and "effect" in r)
    assert app["ci_low"] < 2.5 < app["ci_high"] and app["ci_low"] > 1.0
    seg = next(r for r in res.rows if r["section"] == "driver" and r["factor"] == "segment=B")
    assert seg["ci_low"] < 1.5 < seg["ci_high"]
    reasons = [r["factor"] for r in res.rows if r["section"] == "exit_reason"]
    assert reasons[0] in {"app keeps crashing", "moved away"}


def test_piecewise_ph_agrees_with_lifelines_cox() -> None:
    cust, tf, _nps, start, end = _population(np.random.default_rng(13), n=800)
    cust["churned"] = (cust["status"] == "churned").astype(float)
    events = tf.rename(columns={"first_at": "at"}).assign(var="app")
    iv = counting_process(cust, events[["customer_id", "var", "at"]], start, end)
    iv["segB"] = (
        cust.set_index("customer_id")["segment"]
        .eq("B")
        .astype(float)
        .reindex(iv["customer_id"])
        .to_numpy()
    )
    ours, _ = fit_ph(iv, ["app", "segB"], bands=12)
    ref = fit_cox_lifelines(iv, ["app", "segB"]).set_index("factor")
    for _, row in ours.iterrows():
        assert row["effect"] == pytest.approx(ref.loc[row["factor"], "effect"], rel=0.08)


def test_churn_bad_input() -> None:
    cust, tf, nps, start, end = _population(np.random.default_rng(14), n=200)
    cust["status"] = "active"
    cust["churned_at"] = pd.NaT
    with pytest.raises(NotEstimable, match="all 200 customers are active"):
        churn_analysis(cust, tf, nps, THEMES, data_start=start, data_end=end)
    cust["status"] = None
    with pytest.raises(NotEstimable, match="known status"):
        churn_analysis(cust, tf, nps, THEMES)


def test_exit_reasons_are_phrases_not_stop_words() -> None:
    reasons = pd.Series(["The app couldn't load"] * 6 + ["Too expensive for me"] * 4 + [None])
    top = [r["factor"] for r in exit_reasons(reasons)]
    assert top[0] == "app load" and "couldn" not in " ".join(top)


def test_sales_lag_recovered_with_uncertainty() -> None:
    rng = np.random.default_rng(15)
    months = pd.date_range("2024-01-01", periods=30, freq="MS")
    nps = pd.Series(20 + np.cumsum(rng.normal(0, 3, 30)), index=months)
    revenue = pd.Series(
        1e6 * (1 + 0.01 * nps.shift(2).bfill()) + rng.normal(0, 2e3, 30), index=months
    )
    res = sales_linkage(nps, revenue)
    best = next(r for r in res.rows if r["best"])
    assert best["lag"] == 2 and best["lag_support"] > 0.8
    assert [r["lag"] for r in res.rows] == list(range(7))


def test_sales_linkage_needs_enough_periods() -> None:
    months = pd.date_range("2024-01-01", periods=5, freq="MS")
    with pytest.raises(NotEstimable, match="only 5 period"):
        sales_linkage(
            pd.Series(range(5), index=months, dtype=float),
            pd.Series(range(5), index=months, dtype=float),
        )
    flat = pd.date_range("2024-01-01", periods=20, freq="MS")
    with pytest.raises(NotEstimable, match="constant"):
        sales_linkage(pd.Series(5.0, index=flat), pd.Series(np.arange(20.0), index=flat))


def _weekly_counts(rng: np.random.Generator, spike_week: int | None):
    days = pd.date_range("2025-01-06", periods=7 * 30, freq="D")
    totals = pd.DataFrame({"day": days, "group": "all", "n": rng.poisson(200, len(days))})
    rate = np.full(len(days), 0.05)
    if spike_week is not None:
        rate[spike_week * 7 : spike_week * 7 + 7] *= 5
    counts = pd.DataFrame(
        {"day": days, "theme_id": 1, "group": "all", "count": rng.binomial(totals["n"], rate)}
    )
    return counts, totals, days


def test_spike_found_only_in_its_week() -> None:
    counts, totals, days = _weekly_counts(np.random.default_rng(16), spike_week=20)
    res = detect_spikes(counts, totals, THEMES, alpha=0.01)
    assert [r["period_start"] for r in res.rows] == [days[140].date().isoformat()]
    quiet, qt, _ = _weekly_counts(np.random.default_rng(17), spike_week=None)
    assert detect_spikes(quiet, qt, THEMES, alpha=0.01).rows == []


def test_anomalies_need_weeks_of_history() -> None:
    counts, totals, _ = _weekly_counts(np.random.default_rng(18), None)
    short = totals[totals["day"] < totals["day"].min() + pd.Timedelta(days=21)]
    with pytest.raises(NotEstimable, match="week"):
        detect_spikes(counts, short, THEMES)
