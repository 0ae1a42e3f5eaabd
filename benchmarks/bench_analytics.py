"""Analytics latency on 1,000,000 feedback rows and 100,000 customers in SQLite.

Target (issue 5): each analysis returns in <= 3 s on 2 cores; drivers and churn <= 10 s.

The database is built directly with bulk inserts (numpy-generated rows written with the
DB-API ``executemany`` on the migrated schema), not through the text engine, so the benchmark
measures the analyses and not the enrichment. The data carries planted effects (a delivery
driver of NPS, a weaker segment, a one-week spike, an app problem that raises churn hazard,
revenue that follows NPS three months later) and the script prints the headline of each result
so a fast but wrong answer is visible. Each analysis is timed in a fresh engine (cold
connection, warm OS cache), ``--repeat`` times; wall-clock seconds and this process's CPU
seconds (SQLite runs in-process and the models use one BLAS thread, so on an idle machine the
wall time approaches the CPU time) are printed with the load average, because the machine is
shared.

Usage::

    .venv/bin/python benchmarks/bench_analytics.py                     # build (if missing) + time
    .venv/bin/python benchmarks/bench_analytics.py --rebuild --feedback 1000000 --customers 100000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from cxloop.analytics import ANALYSES, run_analysis
from cxloop.storage.db import make_engine, upgrade

THEMES = (
    "Delivery",
    "Price and value",
    "Product quality",
    "Customer service",
    "Billing and refunds",
    "Website and app",
    "Wait time",
    "Communication",
    "Onboarding",
    "Returns",
)
SEGMENTS = np.array(["Consumer", "SMB", "Enterprise"])
REGIONS = np.array(["North", "South", "East", "West"])
START = datetime(2024, 11, 4, tzinfo=UTC)
DAYS = 728
SPIKE_DAY = 490  # Monday of the spike week (day offset from START)
APP_PROBLEM_DAY = 300


def _ts(base: datetime, seconds: np.ndarray) -> list[str]:
    epoch = base.replace(tzinfo=None)
    return [(epoch + timedelta(seconds=float(s))).strftime("%Y-%m-%d %H:%M:%S.%f") for s in seconds]


def build(path: Path, customers: int, feedback: int, seed: int = 11) -> dict[str, float]:
    """Write the benchmark database; returns build timings."""
    t0 = time.perf_counter()
    if path.exists():
        path.unlink()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    rng = np.random.default_rng(seed)
    seg = rng.choice(3, customers, p=[0.7, 0.2, 0.1])
    region = rng.choice(4, customers)
    signup = rng.uniform(-400, DAYS - 30, customers) * 86400
    # App problem: 20% of customers are hit after APP_PROBLEM_DAY; hazard x3 afterwards.
    hit = rng.random(customers) < 0.2
    hit_at = np.where(
        hit, np.maximum(signup / 86400, APP_PROBLEM_DAY) + rng.uniform(0, 60, customers), np.inf
    )
    base_h = np.array([0.012, 0.008, 0.006])[seg] / 30.44
    u = rng.exponential(1.0, customers)
    start_d = np.maximum(signup / 86400, 0.0)
    before = np.where(np.isfinite(hit_at), (hit_at - start_d) * base_h, np.inf)
    churn_d = np.where(
        u <= before, start_d + u / base_h, hit_at + (u - np.minimum(before, u)) / (3 * base_h)
    )
    churned = churn_d < DAYS
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    raw = engine.raw_connection()
    cur = raw.cursor()
    cur.execute("PRAGMA synchronous=OFF")
    cur.execute(
        "INSERT INTO sources (id, name, kind, settings, created_at) "
        "VALUES (1, 'bench', 'file', '{}', ?)",
        (now,),
    )
    cur.executemany(
        "INSERT INTO themes (id, name, keywords, examples, effort, origin, active, created_at, "
        "updated_at) VALUES (?, ?, '[]', '[]', ?, 'default', 1, ?, ?)",
        [(i + 1, n, "low" if i % 3 == 0 else "medium", now, now) for i, n in enumerate(THEMES)],
    )
    signup_s = _ts(START, signup)
    churn_s = _ts(START, np.where(churned, churn_d, 0) * 86400)
    cur.executemany(
        "INSERT INTO customers (id, external_id, segment, region, revenue, status, signup_at, "
        "churned_at, churn_reason, attributes, content_hash, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'x', ?, ?)",
        [
            (
                i + 1,
                f"C{i}",
                SEGMENTS[seg[i]],
                REGIONS[region[i]],
                float(100 + (i * 37) % 900),
                "churned" if churned[i] else "active",
                signup_s[i],
                churn_s[i] if churned[i] else None,
                ("the app keeps crashing" if hit[i] and churn_d[i] > hit_at[i] else "too expensive")
                if churned[i]
                else None,
                json.dumps({"plan": ["Basic", "Plus", "Pro"][i % 3]}),
                now,
                now,
            )
            for i in range(customers)
        ],
    )
    t_cust = time.perf_counter() - t0
    # Feedback arrives at a constant rate over the history; an item belongs to its customer
    # only while that customer is active (otherwise it is anonymous, like most social posts),
    # so customers who leave early say less, as in real data.
    cust = rng.integers(0, customers, feedback)
    day = rng.uniform(0, DAYS, feedback)
    lo = np.maximum(start_d[cust], 0)
    hi = np.minimum(np.where(churned[cust], churn_d[cust], DAYS), DAYS)
    known = (day >= lo) & (day < hi)
    delivery = rng.random(feedback) < 0.15
    app = known & (day >= hit_at[cust]) & (rng.random(feedback) < 0.5)
    spike = (day >= SPIKE_DAY) & (day < SPIKE_DAY + 7) & (rng.random(feedback) < 0.25)
    themes = rng.random((feedback, len(THEMES))) < 0.06
    themes[:, 0] |= delivery
    themes[:, 4] |= spike
    themes[:, 5] |= app
    enterprise = known & (seg[cust] == 2)
    score = 8.3 - 3.0 * delivery - 1.5 * enterprise - 0.8 * app + rng.normal(0, 1.4, feedback)
    kind = rng.random(feedback)
    nps = np.where(kind < 0.35, np.clip(np.round(score), 0, 10), np.nan)
    csat = np.where((kind >= 0.35) & (kind < 0.55), np.clip(np.round(score / 2), 1, 5), np.nan)
    ces = np.where((kind >= 0.55) & (kind < 0.65), np.clip(np.round(score * 0.7), 1, 7), np.nan)
    rating = np.where(kind >= 0.65, np.clip(np.round(score / 2), 1, 5), np.nan)
    sent = np.clip((score - 6) / 4 + rng.normal(0, 0.2, feedback), -1, 1)
    stages = np.array(["Buy", "Receive", "Use", "Get support", "Pay"])
    stage = np.where(delivery, 1, rng.integers(0, 5, feedback))
    received = _ts(START, day * 86400)
    channels = np.array(["survey", "email", "chat", "review"])

    def nz(v: float) -> float | None:
        return None if v != v else float(v)

    batch = 100_000
    for b in range(0, feedback, batch):
        idx = range(b, min(b + batch, feedback))
        cur.executemany(
            "INSERT INTO feedback (id, source_id, dedup_key, content_hash, customer_ref, "
            "customer_id, channel, received_at, text, nps, csat, ces, rating, journey_stage, "
            "extra, created_at, updated_at) VALUES (?, 1, ?, 'h', ?, ?, ?, ?, 'text', ?, ?, ?, "
            "?, ?, '{}', ?, ?)",
            [
                (
                    k + 1,
                    f"k{k}",
                    f"C{cust[k]}" if known[k] else None,
                    int(cust[k]) + 1 if known[k] else None,
                    channels[k % 4],
                    received[k],
                    nz(nps[k]),
                    nz(csat[k]),
                    nz(ces[k]),
                    nz(rating[k]),
                    stages[stage[k]],
                    now,
                    now,
                )
                for k in idx
            ],
        )
        cur.executemany(
            "INSERT INTO enrichments (feedback_id, model_version, content_hash, language, "
            "sentiment_label, sentiment_score, sentiment_confidence, journey_stage, touchpoint, "
            "effort, urgency, churn_risk, signals, sentences, redacted_text, enriched_at) "
            "VALUES (?, 'bench', 'h', 'en', ?, ?, 0.9, ?, ?, 0, 0, 0, '[]', '[]', ?, ?)",
            [
                (
                    k + 1,
                    "negative"
                    if sent[k] < -0.05
                    else ("positive" if sent[k] > 0.05 else "neutral"),
                    float(sent[k]),
                    stages[stage[k]],
                    "main",
                    f"verbatim {k}",
                    now,
                )
                for k in idx
            ],
        )
        rows, cols = np.nonzero(themes[b : b + batch])
        cur.executemany(
            "INSERT INTO feedback_themes (feedback_id, theme_id, confidence, sentiment_label, "
            "sentiment_score, origin, extra) VALUES (?, ?, 0.8, ?, ?, 'model', '{}')",
            [
                (
                    int(b + r) + 1,
                    int(c) + 1,
                    "negative" if sent[b + r] < 0 else "positive",
                    float(sent[b + r]),
                )
                for r, c in zip(rows, cols, strict=True)
            ],
        )
    # Monthly revenue follows monthly NPS three months later.
    month = (day // 30.4).astype(int)
    monthly = [np.nanmean(np.where(month == m, nps, np.nan)) for m in range(24)]
    metrics = []
    for m in range(24):
        lagged = monthly[m - 3] if m >= 3 else np.nanmean(monthly)
        first = (START.replace(day=1, tzinfo=None) + timedelta(days=31 * m)).replace(day=1)
        value = 1e6 * (1 + 0.05 * (lagged - np.nanmean(monthly))) * (1 + rng.normal(0, 0.002))
        metrics.append(
            (
                "revenue",
                first.date().isoformat(),
                (first + timedelta(days=27)).date().isoformat(),
                "month",
                value,
                now,
            )
        )
    cur.executemany(
        "INSERT INTO business_metrics (name, period_start, period_end, grain, value, dimensions, "
        "dims_key, updated_at) VALUES (?, ?, ?, ?, ?, '{}', '{}', ?)",
        metrics,
    )
    raw.commit()
    cur.execute("ANALYZE")
    raw.commit()
    raw.close()
    engine.dispose()
    return {"customers_s": round(t_cust, 1), "total_s": round(time.perf_counter() - t0, 1)}


def headline(name: str, rows: list[dict]) -> str:
    if not rows:
        return "no rows"
    r = rows[0]
    if name == "drivers":
        return f"top driver {r['driver']} (importance {r['importance']:.2f})"
    if name == "churn":
        d = next(x for x in rows if x.get("section") == "driver" and "effect" in x)
        ci = f"[{d['ci_low']:.2f}, {d['ci_high']:.2f}]"
        return f"top churn factor {d['factor']} HR {d['effect']:.2f} {ci}"
    if name == "business":
        b = next(x for x in rows if x["best"])
        return f"best lag {b['lag']} (r={b['correlation']:.2f})"
    if name == "anomalies":
        return f"{len(rows)} spikes; first {r['theme']} / {r['segment']} week {r['period_start']}"
    if name == "segments":
        return f"most different: {r['segment']} {r['metric']} {r['difference']:+.1f}"
    return f"{len(rows)} rows"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="/tmp/cxloop_bench_analytics.db")
    parser.add_argument("--feedback", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    path = Path(args.db)
    built = None
    if args.rebuild or not path.exists():
        built = build(path, args.customers, args.feedback)
        print(json.dumps({"built": built}), flush=True)
    url = f"sqlite:///{path}"
    out = []
    for name in ANALYSES:
        times = []
        cpu = []
        rows: list[dict] = []
        for _ in range(args.repeat):
            engine = make_engine(url)
            c = time.process_time()
            t = time.perf_counter()
            result = run_analysis(engine, name, **({"outcome": "nps"} if name == "drivers" else {}))
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            rows = result.rows
            engine.dispose()
        target = 10.0 if name in ("drivers", "churn") else 3.0
        rec = {
            "analysis": name,
            "seconds": [round(x, 2) for x in times],
            "cpu_seconds": [round(x, 2) for x in cpu],
            "target_s": target,
            "met": min(times) <= target,
            "headline": headline(name, rows),
            "load_avg": [round(x, 1) for x in os.getloadavg()],
        }
        out.append(rec)
        print(json.dumps(rec), flush=True)
    print(
        json.dumps(
            {
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "feedback": args.feedback,
                "customers": args.customers,
            }
        )
    )


if __name__ == "__main__":
    main()
