"""Each planted effect is visible in the generated data at the default size (simple checks).

These check the generator, using the truth sidecar; the analytics tests check that the
analyses recover the same effects from the ingested data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from lifelines import CoxPHFitter
from scipy import stats

from cxloop.demo import planted
from cxloop.demo.population import HISTORY_END_S, HISTORY_START_S


def _nps(scores: pd.Series) -> float:
    return 100.0 * ((scores >= 9).mean() - (scores <= 6).mean())


def _nps_rows(demo) -> pd.DataFrame:
    rows = demo.feedback[demo.feedback["nps"] != ""].copy()
    rows["score"] = rows["nps"].astype(int)
    return rows


def test_delivery_is_the_strongest_driver_of_nps_by_about_the_planted_penalty(demo) -> None:
    rows = _nps_rows(demo)
    cols = [f"m:{t}" for t in planted.DEFAULT_THEMES]
    fit = sm.OLS(rows["score"], sm.add_constant(rows[cols].astype(float))).fit()
    coefs = fit.params.drop("const").sort_values()
    assert coefs.index[0] == f"m:{planted.DRIVER_THEME}"
    assert abs(coefs.iloc[0] + planted.DRIVER_NPS_PENALTY) < 0.6
    assert coefs.iloc[0] < 1.8 * coefs.iloc[1]  # clearly ahead of the runner-up
    # and it matters: delivery is mentioned in a large share of NPS comments
    assert rows[f"m:{planted.DRIVER_THEME}"].mean() > 0.15


def test_spike_in_its_week_and_nowhere_else(demo) -> None:
    fb = demo.feedback
    week = fb["ts"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    counts = fb[f"neg:{planted.SPIKE_THEME}"].groupby(week).sum()
    full = counts.iloc[1:-1]  # first and last weeks are partial
    spike = pd.Timestamp(planted.SPIKE_WEEK_START)
    baseline = full.drop(spike).median()
    assert full[spike] / baseline > 0.6 * planted.SPIKE_MULTIPLIER
    p = stats.poisson.sf(full - 1, baseline) * len(full)  # Bonferroni over all weeks
    flagged = full.index[p < 0.01].tolist()
    assert flagged == [spike]


def test_enterprise_needs_a_different_experience(demo) -> None:
    rows = _nps_rows(demo)
    by_segment = rows.groupby("_segment")["score"].apply(_nps)
    others = [s for s in planted.SEGMENTS if s != planted.DIFFERENT_SEGMENT]
    for seg in others:
        assert by_segment[seg] - by_segment[planted.DIFFERENT_SEGMENT] > 25
    csat = demo.feedback[demo.feedback["csat"] != ""]
    csat_mean = csat.assign(c=csat["csat"].astype(int)).groupby("_segment")["c"].mean()
    assert all(csat_mean[s] - csat_mean[planted.DIFFERENT_SEGMENT] > 0.4 for s in others)
    commented = demo.feedback[demo.feedback["text"] != ""]
    share = commented.groupby("_segment")[f"neg:{planted.DIFFERENT_SEGMENT_THEME}"].mean()
    assert all(share[planted.DIFFERENT_SEGMENT] > 3 * share[s] for s in others)
    words = commented.loc[commented["_segment"] == planted.DIFFERENT_SEGMENT, "text"]
    assert words.str.contains("account manager", case=False).sum() > 50


def test_customers_who_hit_the_crash_churn_at_the_planted_hazard_ratio(demo) -> None:
    pop = demo.population
    start = np.maximum(pop.signup_s, HISTORY_START_S)
    end = np.minimum(pop.churn_s, HISTORY_END_S)
    crash = np.clip(pop.crash_s, start, end)
    churned = np.isfinite(pop.churn_s)
    after = np.isfinite(pop.crash_s)
    # person-time before / after the crash, and churn events in each
    time_before = (crash - start).sum()
    time_after = (end - crash).sum()
    ev_after = (churned & after).sum()
    ev_before = (churned & ~after).sum()
    # compare within the same calendar window (after the problem started) and per segment mix
    rate_ratio = (ev_after / time_after) / (ev_before / time_before)
    assert ev_after > 100
    assert 0.6 * planted.CHURN_HAZARD_RATIO < rate_ratio < 1.5 * planted.CHURN_HAZARD_RATIO


def test_churn_driver_is_visible_from_feedback_and_exit_reasons(demo) -> None:
    """Customers active when the problem started: an app complaint raises the hazard."""
    cu = demo.customers.copy()
    fb = demo.feedback
    complainers = set(fb.loc[fb[f"neg:{planted.CHURN_THEME}"], "customer_id"]) - {""}
    problem = pd.Timestamp(planted.CHURN_PROBLEM_START, tz="UTC")
    end_of_history = pd.Timestamp(planted.HISTORY_END, tz="UTC") + pd.Timedelta(days=1)
    cu["signup"] = pd.to_datetime(cu["signup_at"], utc=True)
    cu["end"] = pd.to_datetime(cu["churned_at"].replace("", None), utc=True)
    cu["end"] = cu["end"].fillna(end_of_history)
    cohort = cu[(cu["signup"] < problem) & (cu["end"] > problem)].copy()
    cohort["months"] = (cohort["end"] - problem).dt.days / 30.44
    cohort["event"] = (cohort["status"] == "churned").astype(int)
    cohort["app_complaint"] = cohort["customer_id"].isin(complainers).astype(int)
    fit = CoxPHFitter().fit(cohort[["months", "event", "app_complaint"]], "months", "event")
    lower = float(np.exp(fit.confidence_intervals_.loc["app_complaint"].iloc[0]))
    assert lower > 1.3

    crashed = cu["customer_id"].isin(
        [f"C{i + 1:06d}" for i in np.flatnonzero(np.isfinite(demo.population.crash_s))]
    )
    reasons = cu.loc[crashed & (cu["status"] == "churned"), "churn_reason"]
    assert reasons.str.contains("app", case=False).mean() > 0.6
    other = cu.loc[~crashed & (cu["status"] == "churned"), "churn_reason"]
    assert other.str.contains("app", case=False).mean() < 0.05


def test_revenue_follows_nps_with_the_planted_lag(demo) -> None:
    rows = _nps_rows(demo)
    monthly = rows.groupby(rows["ts"].dt.strftime("%Y-%m"))["score"].apply(_nps)
    revenue = demo.metrics[demo.metrics["name"] == "revenue"].set_index("period")["value"]
    revenue = revenue.loc[monthly.index].to_numpy()
    corr = {
        lag: np.corrcoef(revenue[lag:], monthly.to_numpy()[: len(monthly) - lag])[0, 1]
        for lag in range(7)
    }
    assert max(corr, key=lambda k: corr[k]) == planted.SALES_LAG_MONTHS
    assert corr[planted.SALES_LAG_MONTHS] > 0.8


def test_packaging_theme_at_about_one_percent_in_varied_words(demo) -> None:
    commented = demo.feedback[demo.feedback["text"] != ""]
    packaging = commented[commented["_packaging"] == "True"]
    share = len(packaging) / len(commented)
    assert (
        0.6 * planted.UNDEFINED_THEME_PREVALENCE < share < 1.5 * planted.UNDEFINED_THEME_PREVALENCE
    )
    keyword = packaging["text"].str.contains("|".join(planted.UNDEFINED_THEME_KEYWORDS), case=False)
    assert 0.5 < keyword.mean() < 0.97  # most say "plastic", some only "bubble wrap", "polystyrene"
    assert packaging["source"].nunique() >= 5


def test_crash_complaints_start_with_the_problem(demo) -> None:
    fb = demo.feedback
    crash = fb[fb["_exposed"] == "True"]
    assert crash["ts"].min() >= pd.Timestamp(planted.CHURN_PROBLEM_START, tz="UTC")
    monthly = fb.groupby(fb["ts"].dt.strftime("%Y-%m"))[f"neg:{planted.CHURN_THEME}"].mean()
    before = monthly[monthly.index < planted.CHURN_PROBLEM_START.strftime("%Y-%m")]
    after = monthly[monthly.index >= planted.CHURN_PROBLEM_START.strftime("%Y-%m")]
    assert after.mean() > 3 * before.mean()
    # a gradual roll-out: no single week carries most of the crash reports
    week = crash["ts"].dt.tz_localize(None).dt.to_period("W-SUN")
    assert week.value_counts(normalize=True).max() < 0.15
