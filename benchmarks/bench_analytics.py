"""Analytics latency on 1,000,000 feedback rows and 100,000 customers in SQLite.

Target (issue 5): each analysis returns in <= 3 s on 2 cores; drivers and churn <= 10 s.

The database is built directly with bulk inserts (numpy-generated rows written with the
DB-API ``executemany`` on the migrated schema), not through the text engine, so the benchmark
measures the analyses and not the enrichment. The data carries planted effects (a delivery
driver of NPS, a weaker segment, a one-week spike, an app problem that raises churn hazard,
revenue that follows NPS three months later) and the script prints the headline of each result
so a fast but wrong answer is visible.

The analyses read per-day roll-ups (migration 0008, ``cxloop.analytics.rollups``). The script
prints, in this order:

1. the time to build the roll-ups from scratch (paid once, by the first analysis of a
   workspace or after upgrading to 0008), staged above ``--staged-above`` feedback rows
   (0009), while a second thread ingests 100 enriched rows every half second through its own engine
   (SQLite's 30 s busy timeout): its longest wait for the write lock and any failures;
2. each analysis in a fresh engine (cold connection, warm OS cache) with the roll-ups up to
   date, ``--repeat`` times, plus the exact path without roll-ups with ``--exact``;
3. the refresh after ``--new-feedback`` enriched rows arrive over the last week (paid by the
   first analysis after the change), and after deleting them again, which leaves the
   database as it was.

Wall-clock seconds and this process's CPU seconds (SQLite runs in-process and the models use
one BLAS thread, so on an idle machine the wall time approaches the CPU time) are printed
with the load average, because the machine is shared.

Usage::

    .venv/bin/python benchmarks/bench_analytics.py                     # build (if missing) + time
    .venv/bin/python benchmarks/bench_analytics.py --repeat 3 --exact  # also the exact path
    .venv/bin/python benchmarks/bench_analytics.py --rebuild --feedback 1000000 --customers 100000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, update
from sqlalchemy.exc import OperationalError

from cxloop.analytics import ANALYSES, rollups, run_analysis
from cxloop.storage.db import make_engine, upgrade
from cxloop.storage.models.core import Feedback

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


def add_recent_feedback(path: Path, n: int, seed: int = 5) -> tuple[list[int], float]:
    """Insert ``n`` enriched feedback rows (with theme mentions) over the last week, the way
    ingestion then enrichment write them; returns their ids and the seconds it took."""
    engine = make_engine(f"sqlite:///{path}")
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    with engine.connect() as conn:
        top = int(conn.exec_driver_sql("SELECT max(id) FROM feedback").scalar() or 0)
        customers = int(conn.exec_driver_sql("SELECT max(id) FROM customers").scalar() or 1)
    ids = list(range(top + 1, top + n + 1))
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    received = _ts(START, rng.uniform(DAYS - 7, DAYS, n) * 86400)
    score = 7.5 + rng.normal(0, 1.6, n)
    cust = rng.integers(1, customers + 1, n)
    raw = engine.raw_connection()
    cur = raw.cursor()
    cur.executemany(
        "INSERT INTO feedback (id, source_id, dedup_key, content_hash, customer_id, channel, "
        "received_at, text, nps, extra, created_at, updated_at) "
        "VALUES (?, 1, ?, 'h', ?, 'survey', ?, 'text', ?, '{}', ?, ?)",
        [
            (
                i,
                f"new{i}",
                int(cust[k]),
                received[k],
                int(np.clip(round(score[k]), 0, 10)),
                now,
                now,
            )
            for k, i in enumerate(ids)
        ],
    )
    raw.commit()  # ingestion commits; enrichment comes later
    cur.executemany(
        "INSERT INTO enrichments (feedback_id, model_version, content_hash, language, "
        "sentiment_label, sentiment_score, sentiment_confidence, journey_stage, touchpoint, "
        "effort, urgency, churn_risk, signals, sentences, redacted_text, enriched_at) "
        "VALUES (?, 'bench', 'h', 'en', ?, ?, 0.9, 'Use', 'main', 0, 0, 0, '[]', '[]', 'v', ?)",
        [
            (i, "negative" if score[k] < 6 else "positive", float((score[k] - 6) / 4), now)
            for k, i in enumerate(ids)
        ],
    )
    cur.executemany(
        "INSERT INTO feedback_themes (feedback_id, theme_id, confidence, sentiment_label, "
        "sentiment_score, origin, extra) VALUES (?, ?, 0.8, ?, ?, 'model', '{}')",
        [
            (i, int(rng.integers(1, len(THEMES) + 1)), "negative" if score[k] < 6 else "positive",
             float((score[k] - 6) / 4))
            for k, i in enumerate(ids)
        ],
    )  # fmt: skip
    raw.commit()
    raw.close()
    engine.dispose()
    return ids, time.perf_counter() - t0


def delete_feedback(path: Path, ids: list[int]) -> None:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for i in range(0, len(ids), 500):
            conn.execute(delete(Feedback).where(Feedback.id.in_(ids[i : i + 500])))
    engine.dispose()


def concurrent_writer(path: Path, stop: threading.Event, out: dict[str, Any]) -> None:
    """An ingest running during the roll-up build: 100 enriched rows every half second, each
    batch timed from its first statement to its last commit (lock waits included)."""
    waits: list[float] = []
    ids: list[int] = []
    failures: list[str] = []
    while not stop.is_set():
        try:
            new, seconds = add_recent_feedback(path, 100, seed=len(waits))
            ids += new
            waits.append(seconds)
        except (OperationalError, sqlite3.OperationalError) as exc:  # locked past the timeout
            failures.append(str(getattr(exc, "orig", exc)))
        stop.wait(0.5)
    out.update(
        batches=len(waits),
        failed=len(failures),
        errors=sorted(set(failures)),
        max_wait_s=round(max(waits, default=0.0), 2),
        median_wait_s=round(float(np.median(waits)) if waits else 0.0, 2),
        ids=ids,
    )


def timed(fn: Any) -> tuple[Any, float, float]:
    """(result, wall seconds, this process's CPU seconds)."""
    c = time.process_time()
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def time_refresh(url: str, label: str) -> dict[str, Any]:
    """What the next analysis pays to bring the roll-ups up to date (fresh engine)."""
    engine = make_engine(url)
    st = rollups.state(engine)
    done, wall, cpu = timed(lambda: rollups.refresh(engine))
    engine.dispose()
    rec = {
        "roll_ups": label,
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "pending": st,
        "done": done,
        "paid_by": "the first analysis after the change (run_analysis -> ensure_fresh)",
        "load_avg": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps(rec, default=str), flush=True)
    return rec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="/tmp/cxloop_bench_analytics.db")
    parser.add_argument("--feedback", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the benchmark database")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--new-feedback", type=int, default=10_000, help="rows added to time a refresh (0: skip)"
    )
    parser.add_argument(
        "--exact", action="store_true", help="also time each analysis without roll-ups"
    )
    parser.add_argument(
        "--staged-above",
        type=int,
        default=rollups.STAGED_BUILD_ROWS,
        help="build in staging tables above this many feedback rows (a huge value: one "
        "transaction, as before 0009)",
    )
    parser.add_argument(
        "--no-writer",
        dest="writer",
        action="store_false",
        help="build without an ingest writing at the same time",
    )
    args = parser.parse_args()
    path = Path(args.db)
    if args.rebuild or not path.exists():
        built = build(path, args.customers, args.feedback)
        print(json.dumps({"built": built}), flush=True)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)  # an older benchmark database gets the roll-up tables (migration 0008)
    engine.dispose()

    # 1. Build the roll-ups from scratch (paid once: by the first analysis of a workspace),
    # with an ingest writing small batches meanwhile (another engine, 30 s busy timeout).
    rollups.STAGED_BUILD_ROWS = args.staged_above
    engine = make_engine(url)
    with engine.begin() as conn:  # an interrupted earlier run may have left its build marked
        conn.execute(update(rollups.STATE).values(building_at=None))
    stop = threading.Event()
    writer: dict[str, Any] = {}
    thread = threading.Thread(target=concurrent_writer, args=(path, stop, writer))
    if args.writer:
        thread.start()
    steps: list[float] = []  # when each step ended (the first entry: the build planned)

    def step_done(done: int, total: int) -> None:
        steps.append(time.perf_counter())

    try:
        begun = time.perf_counter()
        _, wall, cpu = timed(lambda: rollups.refresh(engine, full=True, progress=step_done))
    finally:
        stop.set()
        if args.writer:
            thread.join()
    sizes = rollups.rollup_sizes(engine)
    engine.dispose()
    print(
        json.dumps(
            {
                "roll_ups": "build from scratch",
                "seconds": round(wall, 2),
                "cpu_seconds": round(cpu, 2),
                "steps": max(len(steps) - 1, 1),
                "planned_after_s": round(steps[0] - begun, 2) if steps else None,
                "longest_step_s": round(float(np.diff(steps).max()), 2) if len(steps) > 1 else None,
                "staged_above": args.staged_above,
                "rows": sizes,
                "paid_by": "the first analysis of a workspace (or after upgrading to 0008)",
                "concurrent_writer": {k: v for k, v in writer.items() if k != "ids"},
                "load_avg": [round(x, 1) for x in os.getloadavg()],
            }
        ),
        flush=True,
    )
    if writer.get("ids"):  # leave the benchmark database as it was, roll-ups current
        delete_feedback(path, writer["ids"])
        engine = make_engine(url)
        rollups.refresh(engine)
        engine.dispose()

    # 2. Each analysis in a fresh engine with the roll-ups up to date.
    out = []
    for name in ANALYSES:
        params = {"outcome": "nps"} if name == "drivers" else {}
        times, cpu_s, rows = [], [], []
        for _ in range(args.repeat):
            engine = make_engine(url)
            result, wall, cpu = timed(lambda e=engine, n=name, p=params: run_analysis(e, n, **p))
            times.append(wall)
            cpu_s.append(cpu)
            rows = result.rows
            engine.dispose()
        target = 10.0 if name in ("drivers", "churn") else 3.0
        rec: dict[str, Any] = {
            "analysis": name,
            "seconds": [round(x, 2) for x in times],
            "cpu_seconds": [round(x, 2) for x in cpu_s],
            "target_s": target,
            "met": min(times) <= target,
            "headline": headline(name, rows),
            "load_avg": [round(x, 1) for x in os.getloadavg()],
        }
        if args.exact:
            engine = make_engine(url)
            _, wall, cpu = timed(
                lambda e=engine, n=name, p=params: run_analysis(e, n, use_rollups=False, **p)
            )
            engine.dispose()
            rec["exact_path_seconds"] = round(wall, 2)
            rec["exact_path_cpu_seconds"] = round(cpu, 2)
        out.append(rec)
        print(json.dumps(rec), flush=True)

    # 3. Incremental refresh: new feedback over the last week, then the same rows deleted
    #    again (so the benchmark database is unchanged for the next run).
    if args.new_feedback:
        ids, spent = add_recent_feedback(path, args.new_feedback)
        print(json.dumps({"added_feedback": len(ids), "insert_seconds": round(spent, 2)}))
        time_refresh(url, f"refresh after {len(ids)} new enriched feedback rows (last 7 days)")
        engine = make_engine(url)
        _, wall, cpu = timed(lambda: run_analysis(engine, "themes"))
        engine.dispose()
        print(json.dumps({"analysis_after_refresh": "themes", "seconds": round(wall, 2)}))
        delete_feedback(path, ids)
        time_refresh(url, f"refresh after deleting those {len(ids)} rows")
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
