"""Web and API at a million pieces of feedback in SQLite.

1. Builds (or reuses with --home) an SQLite workspace with N feedback rows, their enrichments
   and theme mentions, 50,000 customers and one admin, written with bulk inserts.
2. Starts the real server (``cxloop serve``) in a child process.
3. Dashboards: for every dashboard page and ``GET /api/v1/metrics`` it records the first
   (cold) request and the p50/p95 of ``--repeat`` further requests, from the server's own
   ``Server-Timing`` header (server time) and as seen by the client.
4. Ingestion: 4 concurrent clients POST batches of 1,000 new feedback items to
   ``/api/v1/feedback``; it reports items/s and then checks that exactly the sent items were
   stored (none lost, none duplicated), and that re-sending a batch stores nothing new.

Usage: .venv/bin/python benchmarks/bench_web.py [--rows 1000000] [--home DIR] [--repeat 40]
       [--ingest-items 60000] [--clients 4]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

CXLOOP = str(Path(sys.executable).with_name("cxloop"))
PASSWORD = "benchmark password 1"
STAGES = [
    ("Awareness", "Website"),
    ("Purchase", "Checkout"),
    ("Purchase", "Website"),
    ("Delivery", "Courier"),
    ("Delivery", "Tracking"),
    ("Support", "Phone"),
    ("Support", "Email"),
    ("Billing", "Invoice"),
    ("Usage", "App"),
    ("Renewal", "Account"),
]
CHANNELS = ["survey", "email", "app_review", "chat", "social"]
TEXTS = [
    "the parcel arrived late and the courier was rude",
    "great price, friendly staff, will buy again",
    "the app keeps crashing since the last update",
    "I was charged twice for the same order",
    "support answered quickly and solved it",
    "too much plastic packaging for a small item",
]


def sqlite_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def build_workspace(home: Path, rows: int) -> None:
    """Write ``rows`` feedback rows with enrichments and themes using bulk inserts."""
    from cxloop.people.passwords import hash_password
    from cxloop.storage.db import make_engine, transaction, upgrade
    from cxloop.storage.models import Source, Theme, User

    url = f"sqlite:///{home / 'cxloop.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine) as db:
        db.add(Source(name="bench", kind="file", channel="survey"))
        for name in (
            "Delivery",
            "Price and value",
            "Website and app",
            "Billing and refunds",
            "Customer service",
            "Packaging",
        ):
            db.add(Theme(name=name, keywords=[], examples=[]))
        db.add(
            User(
                email="admin@bench.example",
                role="admin",
                password_hash=hash_password(PASSWORD),
                scope={},
                active=True,
            )
        )
    rng = random.Random(1)
    now = sqlite_time(datetime.now(UTC))
    start = datetime(2024, 11, 1, tzinfo=UTC)
    span = int(timedelta(days=730).total_seconds())
    customers = 50_000
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.exec_driver_sql(
            "INSERT INTO customers (external_id, name, segment, region, attributes, "
            "content_hash, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            [
                (
                    f"c{i}",
                    f"Customer {i}",
                    ("Consumer", "SMB", "Enterprise")[i % 3],
                    ("North", "South", "East", "West")[i % 4],
                    "{}",
                    "x",
                    now,
                    now,
                )
                for i in range(customers)
            ],
        )
    chunk = 50_000
    for first in range(0, rows, chunk):
        fb, enr, themes = [], [], []
        for i in range(first, min(first + chunk, rows)):
            stage, tp = STAGES[i % len(STAGES)]
            text = TEXTS[rng.randrange(len(TEXTS))]
            late = text.startswith("the parcel")
            nps = rng.randint(0, 6) if late else rng.randint(3, 10)
            when = sqlite_time(start + timedelta(seconds=rng.randrange(span)))
            fb.append(
                (
                    1,
                    f"f{i}",
                    f"f{i}",
                    f"h{i}",
                    f"c{i % customers}",
                    i % customers + 1,
                    CHANNELS[i % len(CHANNELS)],
                    when,
                    text,
                    nps,
                    rng.randint(1, 5) if i % 3 == 0 else None,
                    rng.randint(1, 7) if i % 4 == 0 else None,
                    stage,
                    tp,
                    "{}",
                    now,
                    now,
                )
            )
            label = "negative" if nps <= 6 else "positive"
            score = -0.6 if label == "negative" else 0.5
            enr.append((i + 1, "bench", f"h{i}", label, score, 0.9, "[]", "[]", text, now))
            themes.append((i + 1, 1 + TEXTS.index(text), 0.9, label, score, "model", "{}"))
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql(
                "INSERT INTO feedback (source_id, external_id, dedup_key, content_hash, "
                "customer_ref, customer_id, channel, received_at, text, nps, csat, ces, "
                "journey_stage, touchpoint, extra, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                fb,
            )
            conn.exec_driver_sql(
                "INSERT INTO enrichments (feedback_id, model_version, content_hash, "
                "sentiment_label, sentiment_score, sentiment_confidence, signals, sentences, "
                "redacted_text, enriched_at, effort, urgency, churn_risk) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,0,0,0)",
                enr,
            )
            conn.exec_driver_sql(
                "INSERT INTO feedback_themes (feedback_id, theme_id, confidence, "
                "sentiment_label, sentiment_score, origin, extra) VALUES (?,?,?,?,?,?,?)",
                themes,
            )
        print(f"  wrote {min(first + chunk, rows):,} rows", flush=True)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CXLOOP_HOME": str(home), "CXLOOP_SECRET_KEY": "bench-secret"}
    env.pop("CXLOOP_DATABASE_URL", None)
    proc = subprocess.Popen(
        [CXLOOP, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start: " + proc.stderr.read().decode()[-2000:])


def server_ms(resp: httpx.Response) -> float:
    header = resp.headers.get("server-timing", "app;dur=nan")
    return float(header.split("dur=")[1])


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def token_for(home: Path) -> str:
    env = {**os.environ, "CXLOOP_HOME": str(home)}
    env.pop("CXLOOP_DATABASE_URL", None)
    out = subprocess.run(
        [
            CXLOOP,
            "tokens",
            "create",
            "--user",
            "admin@bench.example",
            "--scope",
            "write",
            "--name",
            "bench",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def bench_pages(base: str, token: str, repeat: int) -> list[dict[str, object]]:
    import re

    browser = httpx.Client(base_url=base, timeout=600)
    page = browser.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    browser.post(
        "/login", data={"email": "admin@bench.example", "password": PASSWORD, "csrf_token": csrf}
    )
    api = httpx.Client(base_url=base, timeout=600, headers={"Authorization": f"Bearer {token}"})
    targets = [
        (browser, "/"),
        (browser, "/journey"),
        (browser, "/themes"),
        (browser, "/verbatims"),
        (browser, "/verbatims?stage=Delivery"),
        (browser, "/analysis/drivers"),
        (browser, "/analysis/segments"),
        (browser, "/plans"),
        (browser, "/cases"),
        (browser, "/?channel=email"),
        (api, "/api/v1/metrics"),
        (api, "/api/v1/metrics?by=segment"),
    ]
    results = []
    for client, path in targets:
        t0 = time.perf_counter()
        first = client.get(path)
        cold_client = (time.perf_counter() - t0) * 1000
        assert first.status_code == 200, (path, first.status_code, first.text[:300])
        server, seen = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            resp = client.get(path)
            seen.append((time.perf_counter() - t0) * 1000)
            server.append(server_ms(resp))
        row = {
            "path": path,
            "cold_server_ms": round(server_ms(first), 1),
            "cold_client_ms": round(cold_client, 1),
            "p50_server_ms": round(statistics.median(server), 1),
            "p95_server_ms": round(p95(server), 1),
            "p95_client_ms": round(p95(seen), 1),
        }
        results.append(row)
        print(
            f"  {path:32s} cold {row['cold_server_ms']:>8} ms  p50 {row['p50_server_ms']:>6} ms"
            f"  p95 {row['p95_server_ms']:>6} ms (client p95 {row['p95_client_ms']} ms)",
            flush=True,
        )
    return results


def bench_ingest(base: str, token: str, home: Path, items: int, clients: int) -> dict[str, object]:
    from sqlalchemy import func, select

    from cxloop.storage.db import make_engine
    from cxloop.storage.models import Feedback, Source

    tag = time.strftime("%Y%m%d%H%M%S")
    source = f"bench-api-{tag}"
    batches = [
        [
            {
                "external_id": f"api-{tag}-{b}-{i}",
                "text": TEXTS[(b + i) % len(TEXTS)],
                "nps": (b * 7 + i) % 11,
                "received_at": "2026-10-01T12:00:00Z",
                "channel": "api",
            }
            for i in range(1000)
        ]
        for b in range(items // 1000)
    ]
    queue = list(range(len(batches)))
    lock = threading.Lock()
    stored = [0]
    errors: list[str] = []

    def worker() -> None:
        with httpx.Client(
            base_url=base, timeout=600, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    b = queue.pop()
                resp = client.post("/api/v1/feedback", json={"source": source, "items": batches[b]})
                if resp.status_code != 200:
                    errors.append(f"{resp.status_code} {resp.text[:200]}")
                    continue
                with lock:
                    stored[0] += resp.json()["inserted"]

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    with httpx.Client(
        base_url=base, timeout=600, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        again = client.post("/api/v1/feedback", json={"source": source, "items": batches[0]}).json()
    engine = make_engine(f"sqlite:///{home / 'cxloop.db'}")
    with engine.connect() as conn:
        in_db = conn.execute(
            select(func.count()).select_from(Feedback).join(Source).where(Source.name == source)
        ).scalar()
        distinct = conn.execute(
            select(func.count(func.distinct(Feedback.external_id)))
            .select_from(Feedback)
            .join(Source)
            .where(Source.name == source)
        ).scalar()
    engine.dispose()
    sent = len(batches) * 1000
    result = {
        "sent": sent,
        "reported_inserted": stored[0],
        "in_database": in_db,
        "distinct_ids": distinct,
        "seconds": round(seconds, 2),
        "items_per_s": round(sent / seconds),
        "errors": errors[:3],
        "resend_inserted": again["inserted"],
        "resend_unchanged": again["unchanged"],
    }
    print(f"  ingestion: {result}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--home", type=Path, default=None, help="reuse/keep this workspace")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--ingest-items", type=int, default=60_000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="cxloop-bench-web-"))
    home.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, load {os.getloadavg()}")
    if not (home / "cxloop.db").exists():
        t0 = time.perf_counter()
        print(f"building {args.rows:,} feedback rows in {home}")
        build_workspace(home, args.rows)
        print(f"  built in {time.perf_counter() - t0:.0f} s")
    token = token_for(home)
    port = free_port()
    server = start_server(home, port)
    base = f"http://127.0.0.1:{port}"
    try:
        print("dashboards (server time from Server-Timing):")
        pages = bench_pages(base, token, args.repeat)
        print(f"API ingestion with {args.clients} concurrent clients:")
        ingest = bench_ingest(base, token, home, args.ingest_items, args.clients)
        print("dashboards right after new data (cache invalidated):")
        after = bench_pages(base, token, 5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    worst = max(r["p95_server_ms"] for r in pages)
    print(
        f"RESULT worst page p95 {worst} ms (target 200); ingestion "
        f"{ingest['items_per_s']} items/s (target 3000); lost "
        f"{ingest['sent'] - ingest['in_database']}, duplicated "
        f"{ingest['in_database'] - ingest['distinct_ids']}; worst cold after new data "
        f"{max(r['cold_server_ms'] for r in after)} ms; load {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
