"""Every analysis runs against real SQLite and PostgreSQL through SQL aggregation, and bad
input gives a clear message from the CLI instead of a traceback."""

from __future__ import annotations

import json

import pytest
from analytics_seed import SPIKE_WEEK, START, seed
from sqlalchemy import Engine, func, select

from cxloop.analytics import ANALYSES, run_analysis
from cxloop.analytics.data import F, Scope, daily_stats
from cxloop.errors import InputError, NotEstimable


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed(engine)
    return engine


def test_every_analysis_runs_on_this_database(seeded: Engine) -> None:
    for name in ANALYSES:
        params = {"outcome": "nps"} if name == "drivers" else {}
        result = run_analysis(seeded, name, **params)
        assert result.analysis == name and result.method
        for row in result.rows:
            for value in row.values():
                assert not (isinstance(value, float) and value != value)  # no NaN anywhere


def test_sql_aggregation_matches_the_rows(seeded: Engine) -> None:
    daily = daily_stats(seeded, Scope.of(filter="segment = 'SMB'"))
    with seeded.connect() as conn:
        from cxloop.analytics.data import C

        n = conn.execute(
            select(func.count())
            .select_from(F.join(C, C.c.id == F.c.customer_id))
            .where(C.c.segment == "SMB")
        ).scalar()
    assert daily["n"].sum() == n
    attr = daily_stats(seeded, Scope.of(filter="plan = 'Plus' and seats >= 4"))
    assert 0 < attr["n"].sum() < n * 3


def test_planted_effects_on_this_database(seeded: Engine) -> None:
    drivers = [r for r in run_analysis(seeded, "drivers", outcome="nps").rows if r["estimable"]]
    assert drivers[0]["driver"] == "Delivery"
    spikes = run_analysis(seeded, "anomalies", by="segment").rows
    app = [r for r in spikes if r["theme"] == "App"]
    week = START.date().toordinal() + 7 * SPIKE_WEEK
    assert app and {r["period_start"] for r in app} == {START.date().fromordinal(week).isoformat()}
    seg = run_analysis(seeded, "segments").rows
    assert any(
        r["segment"] == "Enterprise" and r["metric"] == "nps" and r["significant"] for r in seg
    )


def test_customer_level_driver_outcomes(seeded: Engine) -> None:
    res = run_analysis(seeded, "drivers", outcome="churn")
    assert res.params["outcome"] == "churn" and res.rows
    with pytest.raises(InputError, match="not a column or customer attribute"):
        run_analysis(seeded, "drivers", outcome="no_such_thing")
    res = run_analysis(seeded, "drivers", outcome="seats")
    assert res.rows


def test_no_data_in_range_is_not_estimable(seeded: Engine) -> None:
    for name in ("metrics", "themes", "segments", "journey", "anomalies"):
        with pytest.raises(NotEstimable):
            run_analysis(seeded, name, since="2030-01-01")
    with pytest.raises(InputError, match="unknown analysis"):
        run_analysis(seeded, "horoscope")
    with pytest.raises(InputError, match="unknown parameter"):
        run_analysis(seeded, "metrics", colour="red")
    with pytest.raises(InputError, match="not a date"):
        run_analysis(seeded, "metrics", since="yesterday")
    assert run_analysis(seeded, "alerts").analysis == "anomalies"  # the web app's name


def test_cli_formats_and_errors(seeded: Engine, cli) -> None:
    out = cli("analyze", "metrics", "--period", "quarter", "--by", "segment", "--format", "json")
    assert out.exit_code == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["analysis"] == "metrics" and payload["params"]["by"] == "segment"
    row = payload["rows"][0]
    assert {
        "group",
        "period",
        "n",
        "nps",
        "nps_ci_low",
        "nps_ci_high",
        "change_significant",
    } <= set(row)
    csv_out = cli("analyze", "themes", "--format", "csv")
    assert csv_out.exit_code == 0 and csv_out.stdout.startswith("theme,")
    table = cli("analyze", "drivers", "--outcome", "nps")
    assert table.exit_code == 0 and "Delivery" in table.stdout and "method" in table.stdout
    bad = cli("analyze", "metrics", "--filter", "segment = 'SMB' or 1=1")
    assert bad.exit_code == 2 and "filter" in bad.stderr and "Traceback" not in bad.stderr
    empty = cli("analyze", "segments", "--since", "2031-01-01")
    assert empty.exit_code == 1 and "no feedback" in empty.stderr
    biz = cli("analyze", "business", "--metric", "profit")
    assert biz.exit_code == 2 and "revenue" in biz.stderr  # names the metrics that exist
