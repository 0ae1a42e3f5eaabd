"""Every effect planted in the demo company is recovered by the matching analysis.

The company is built once for this module through the real commands (``cxloop demo`` then
``cxloop enrich``) into an SQLite workspace, at a modest size so the module stays fast.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from cxloop.analytics import run_analysis
from cxloop.demo import planted
from cxloop.storage.db import make_engine

CUSTOMERS = 3000
FEEDBACK = 15_000


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from cxloop.cli.main import main

    home = tmp_path_factory.mktemp("analytics-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CXLOOP_HOME", str(home))
        mp.delenv("CXLOOP_DATABASE_URL", raising=False)
        mp.setenv("CXLOOP_SECRET_KEY", "test-secret-key")
        args = ["demo", "--customers", str(CUSTOMERS), "--feedback", str(FEEDBACK)]
        assert main([*args, "--seed", str(planted.DEFAULT_SEED), "--format", "json"]) == 0
        assert main(["enrich", "--format", "json"]) == 0
        yield home


@pytest.fixture(scope="module")
def demo_engine(demo_home: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{demo_home / 'cxloop.db'}")
    yield eng
    eng.dispose()


def test_planted_driver_ranks_first(demo_engine: Engine) -> None:
    result = run_analysis(demo_engine, "drivers", outcome="nps")
    ranked = [r for r in result.rows if r["estimable"]]
    assert ranked[0]["driver"] == planted.DRIVER_THEME
    top = ranked[0]
    assert top["direction"] == -1
    assert top["effect_ci_high"] < 0  # mentioning delivery lowers NPS, interval excludes 0
    assert abs(sum(r["importance"] for r in ranked) - 1.0) < 1e-6
    # With segments as drivers too, delivery is still the first theme.
    with_attrs = run_analysis(demo_engine, "drivers", outcome="nps", attributes="segment")
    themes = [r for r in with_attrs.rows if r.get("estimable") and r["kind"] == "theme"]
    assert themes[0]["driver"] == planted.DRIVER_THEME


def test_spike_found_in_its_week_only(demo_engine: Engine) -> None:
    result = run_analysis(demo_engine, "anomalies", alpha=0.01)
    spike_rows = [r for r in result.rows if r["theme"] == planted.SPIKE_THEME]
    assert spike_rows, "the planted spike was not found"
    assert {r["period_start"] for r in spike_rows} == {planted.SPIKE_WEEK_START.isoformat()}
    assert all(r["p_adjusted"] < 0.01 for r in spike_rows)
    assert any(r["segment"] == "all" for r in spike_rows)
    # No other theme spikes in the spike week: it is one complaint, not a busy week.
    same_week = [
        r for r in result.rows if r["period_start"] == planted.SPIKE_WEEK_START.isoformat()
    ]
    assert {r["theme"] for r in same_week} == {planted.SPIKE_THEME}


def test_different_segment_flagged(demo_engine: Engine) -> None:
    result = run_analysis(demo_engine, "segments", by="segment")
    rows = {(r["segment"], r["metric"]): r for r in result.rows}
    seg = planted.DIFFERENT_SEGMENT
    for metric in ("nps", "csat"):
        row = rows[(seg, metric)]
        assert row["significant"] and row["difference"] < 0 and row["p_adjusted"] < 0.01
    theme = rows[(seg, f"theme share: {planted.DIFFERENT_SEGMENT_THEME}")]
    assert theme["significant"] and theme["difference"] > 0
    # The other segments are not flagged on NPS as *worse* than the rest.
    for other in set(planted.SEGMENTS) - {seg}:
        row = rows.get((other, "nps"))
        assert row is None or not (row["significant"] and row["difference"] < 0)


def test_churn_driver_hazard_ratio_excludes_one(demo_engine: Engine) -> None:
    result = run_analysis(demo_engine, "churn")
    drivers = [r for r in result.rows if r["section"] == "driver" and "effect" in r]
    row = next(r for r in drivers if r["factor"] == f"theme: {planted.CHURN_THEME}")
    assert row["ci_low"] > 1.0
    assert 1.5 < row["effect"] < 4.5
    theme_rows = [r for r in drivers if r["factor"].startswith("theme: ")]
    assert theme_rows[0]["factor"] == f"theme: {planted.CHURN_THEME}"
    reasons = [r["factor"] for r in result.rows if r["section"] == "exit_reason"]
    assert any("app" in r for r in reasons[:3])
    risk = [r for r in result.rows if r["section"] == "revenue_at_risk"]
    assert risk and risk[0]["value"] > 0 and 0.5 < risk[0]["auc"] <= 1.0
    assert result.extra["model"] == "proportional hazards"


def test_sales_lag_found(demo_engine: Engine) -> None:
    result = run_analysis(demo_engine, "business", metric="revenue")
    best = next(r for r in result.rows if r["best"])
    assert best["lag"] == planted.SALES_LAG_MONTHS
    assert best["p_adjusted"] < 0.05 and best["ci_low"] > 0
    assert result.extra["best_lag"] == planted.SALES_LAG_MONTHS
    assert any("not causation" in c for c in result.caveats)


def test_metrics_match_a_direct_count(demo_engine: Engine) -> None:
    result = run_analysis(demo_engine, "metrics", period="all")
    (row,) = result.rows
    with demo_engine.connect() as conn:
        n, pro, det = conn.execute(
            text("SELECT count(nps), sum(nps >= 9), sum(nps <= 6) FROM feedback")
        ).one()
    assert row["nps_n"] == n
    assert row["nps"] == pytest.approx(100.0 * (pro - det) / n, abs=1e-4)
    for m in ("nps", "csat", "ces", "rating", "sentiment_index"):
        assert row[f"{m}_ci_low"] < row[m] < row[f"{m}_ci_high"]


def test_themes_and_journey_and_opportunities(demo_engine: Engine) -> None:
    themes = {r["theme"]: r for r in run_analysis(demo_engine, "themes").rows}
    delivery = themes[planted.DRIVER_THEME]
    assert delivery["nps_impact_ci_high"] < 0
    journey = run_analysis(demo_engine, "journey")
    stages = [r for r in journey.rows if r["touchpoint"] == "(all)"]
    assert stages and all(r["volume"] >= 30 for r in journey.rows)
    quotes = [v for r in stages for p in r["pain_points"] for v in p.get("verbatims", [])]
    assert quotes and all(isinstance(q["id"], int) and q["text"] for q in quotes)
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    assert not any(email.search(q["text"]) for q in quotes)  # redacted text only
    opp = run_analysis(demo_engine, "opportunities").rows
    assert [r["rank"] for r in opp] == list(range(1, len(opp) + 1))
    top3 = {r["theme"] for r in opp[:3]}
    assert planted.DRIVER_THEME in top3 or planted.CHURN_THEME in top3
    for r in opp:
        for part in ("scope", "severity", "value", "feasibility"):
            assert 0.0 <= r[part] <= 1.0


def test_cli_json_envelope(demo_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cxloop.cli.main import main

    capsys.readouterr()
    code = main(
        ["--home", str(demo_home), "analyze", "segments", "--by", "region", "--format", "json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["analysis"] == "segments" and out["params"]["by"] == "region"
    assert {
        "segment",
        "metric",
        "value",
        "baseline",
        "difference",
        "p_value",
        "significant",
    } <= set(out["rows"][0])


#: Analyses compared between the roll-ups and the exact queries on the demo company.
ROLLUP_CASES: list[tuple[str, dict[str, object]]] = [
    ("metrics", {}),
    ("metrics", {"by": "segment", "period": "week"}),
    ("metrics", {"by": "theme"}),
    ("metrics", {"by": "channel", "since": "2025-06-01", "filter": "region != 'North'"}),
    ("journey", {}),
    ("themes", {}),
    ("themes", {"filter": "region != 'North'"}),
    ("segments", {"by": "segment"}),
    ("segments", {"by": "channel"}),
    ("churn", {}),
    ("business", {}),
    ("opportunities", {}),
    ("anomalies", {}),
    ("anomalies", {"by": "region"}),
    ("drivers", {"outcome": "churn"}),
    ("metrics", {"by": "plan"}),  # a customer attribute: answered by the exact path
]


def test_rollups_equal_the_exact_path_on_the_demo_company(demo_engine: Engine) -> None:
    from analytics_compare import result_differences

    for name, params in ROLLUP_CASES:
        fast = run_analysis(demo_engine, name, **params)
        exact = run_analysis(demo_engine, name, use_rollups=False, **params)
        diff = result_differences(fast, exact)
        assert not diff, f"{name} {params}: {diff[:5]}"


def test_rollups_follow_cli_ingest_and_enrich(
    demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New feedback loaded and enriched through the real commands shows in the next
    analysis: the change log is written by the database, whatever command wrote the rows."""
    import csv
    import shutil

    from analytics_compare import result_differences

    from cxloop.cli.main import main

    home = tmp_path / "ws"
    shutil.copytree(demo_home, home)
    eng = make_engine(f"sqlite:///{home / 'cxloop.db'}")
    try:
        before = run_analysis(eng, "metrics", period="all")
        themes_before = run_analysis(eng, "themes")
        path = tmp_path / "new.csv"
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "comment", "nps"])
            for i in range(40):
                w.writerow([f"new-{i}", "The delivery was late again and nobody called me", 0])
        monkeypatch.setenv("CXLOOP_HOME", str(home))
        monkeypatch.delenv("CXLOOP_DATABASE_URL", raising=False)
        monkeypatch.setenv("CXLOOP_SECRET_KEY", "test-secret-key")
        assert main(["ingest", str(path), "--kind", "feedback", "--format", "json"]) == 0
        assert main(["enrich", "--format", "json"]) == 0
        after = run_analysis(eng, "metrics", period="all")
        assert after.rows[0]["n"] == before.rows[0]["n"] + 40
        assert after.rows[0]["nps_n"] == before.rows[0]["nps_n"] + 40
        for name, params in (("metrics", {"period": "all"}), ("themes", {}), ("journey", {})):
            fast = run_analysis(eng, name, **params)
            exact = run_analysis(eng, name, use_rollups=False, **params)
            assert not result_differences(fast, exact), name
        themes_after = run_analysis(eng, "themes")
        assert result_differences(themes_before, themes_after)
    finally:
        eng.dispose()
