"""Outbox delivery throughput and exactly-once effect against a flaky receiver.

Target (issue: closed loop): the outbox delivers >= 200 webhooks/s to a local receiver, and
a receiver that fails 50% of the time still gets every message exactly once in the end.

The receiver runs in its own process (a threaded HTTP/1.1 server, signature checked, dedup by
idempotency key) so the worker and receiver do not share one interpreter lock. Throughput is
wall time from the first claim to the last recorded outcome, database writes included.

    .venv/bin/python benchmarks/bench_outbox.py [--messages 5000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from sqlalchemy import insert

SECRET = "bench-secret"


def serve(port_file: str, fail_rate: float, seed: int) -> None:
    """Receiver process: verify signature, fail on purpose, process each key once."""
    from cxloop.loop.signing import verify_body

    rng = random.Random(seed)
    lock = threading.Lock()
    arrivals: Counter[str] = Counter()
    processed: Counter[str] = Counter()
    stats = {
        "bad_signatures": 0,
        "failures_sent": 0,
        "failed_after_processing": 0,
        "duplicates_dropped": 0,
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            return

        def _answer(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with lock:
                doc = {
                    "arrivals": sum(arrivals.values()),
                    "unique_keys": len(arrivals),
                    "processed": len(processed),
                    "max_processed_per_key": max(processed.values(), default=0),
                    **stats,
                }
            self._answer(200, json.dumps(doc).encode())

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key", "")
            ok = verify_body(
                SECRET,
                self.headers.get("X-Cxloop-Timestamp", ""),
                body,
                self.headers.get("X-Cxloop-Signature", ""),
            )
            with lock:
                arrivals[key] += 1
                if not ok:
                    stats["bad_signatures"] += 1
                    status = 401
                elif fail_rate and rng.random() < fail_rate:
                    # half the failures happen after the work was done (the answer is lost):
                    # the redelivery must then be recognised by its idempotency key
                    if rng.random() < 0.5 and key not in processed:
                        processed[key] += 1
                        stats["failed_after_processing"] += 1
                    stats["failures_sent"] += 1
                    status = 500
                elif key in processed:
                    stats["duplicates_dropped"] += 1
                    status = 200
                else:
                    processed[key] += 1
                    status = 200
            self._answer(status)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


def start_receiver(fail_rate: float, seed: int) -> tuple[subprocess.Popen[bytes], str]:
    port_file = tempfile.mktemp(suffix=".port")
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            port_file,
            "--fail-rate",
            str(fail_rate),
            "--seed",
            str(seed),
        ]
    )
    for _ in range(200):
        if os.path.exists(port_file) and Path(port_file).read_text():
            break
        time.sleep(0.05)
    port = Path(port_file).read_text()
    os.unlink(port_file)
    return proc, f"http://127.0.0.1:{port}"


def fresh_engine(database_url: str | None, folder: str):
    from cxloop.storage.db import make_engine, upgrade

    url = database_url or f"sqlite:///{folder}/bench.db"
    engine = make_engine(url)
    upgrade(engine)
    return engine


def queue(engine, name: str, url: str, n: int, now: datetime) -> None:
    from cxloop.loop.webhooks import add_webhook
    from cxloop.storage.db import transaction
    from cxloop.storage.models.delivery import OutboxMessage, WebhookEndpoint

    with transaction(engine) as s:
        s.query(OutboxMessage).delete()
        s.query(WebhookEndpoint).delete()
        add_webhook(s, name, url, secret=SECRET)
        s.execute(
            insert(OutboxMessage),
            [
                {
                    "channel": "webhook",
                    "target": name,
                    "payload": {"event": "case.opened", "case": f"CX-{i:06d}", "priority": "high"},
                    "idempotency_key": f"{name}-{i}",
                    "status": "pending",
                    "attempts": 0,
                    "max_attempts": 20,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for i in range(n)
            ],
        )


def run(args: argparse.Namespace) -> dict:
    from cxloop.loop.outbox import counts_by_status
    from cxloop.loop.webhooks import WebhookDeliverer
    from cxloop.loop.worker import Worker
    from cxloop.storage.db import transaction

    results: dict = {"machine": f"{os.cpu_count()} CPUs", "messages": args.messages}
    with tempfile.TemporaryDirectory() as folder:
        engine = fresh_engine(args.database_url, folder)
        results["database"] = engine.dialect.name

        # 1. throughput to a healthy receiver
        proc, url = start_receiver(0.0, 1)
        try:
            queue(engine, "fast", url, args.messages, datetime.now(UTC))
            worker = Worker(
                engine,
                {"webhook": WebhookDeliverer(engine, pool_size=args.concurrency)},
                concurrency=args.concurrency,
                batch_size=args.batch,
            )
            t0 = time.perf_counter()
            stats = worker.run_once()
            elapsed = time.perf_counter() - t0
            worker.close()
            receiver = httpx.get(url + "/stats").json()
        finally:
            proc.terminate()
            proc.wait()
        with transaction(engine) as s:
            counts = counts_by_status(s)
        results["throughput"] = {
            "delivered": stats.delivered,
            "seconds": round(elapsed, 3),
            "webhooks_per_s": round(stats.delivered / elapsed, 1),
            "receiver": receiver,
            "outbox": counts,
            "target_met": stats.delivered == args.messages and stats.delivered / elapsed >= 200,
        }

        # 2. a receiver failing 50% of the time: retries (clock moved past backoffs) until done
        n_flaky = args.flaky_messages
        proc, url = start_receiver(0.5, 2)
        clock_now = [datetime.now(UTC)]
        try:
            queue(engine, "flaky", url, n_flaky, clock_now[0])
            worker = Worker(
                engine,
                {"webhook": WebhookDeliverer(engine, pool_size=args.concurrency)},
                concurrency=args.concurrency,
                batch_size=args.batch,
                clock=lambda: clock_now[0],
            )
            rounds, t0 = 0, time.perf_counter()
            while True:
                rounds += 1
                worker.run_once()
                with transaction(engine) as s:
                    counts = counts_by_status(s)
                if counts.get("pending", 0) + counts.get("sending", 0) == 0 or rounds > 60:
                    break
                clock_now[0] += timedelta(hours=2)
            elapsed = time.perf_counter() - t0
            worker.close()
            receiver = httpx.get(url + "/stats").json()
        finally:
            proc.terminate()
            proc.wait()
        results["flaky_receiver"] = {
            "messages": n_flaky,
            "rounds": rounds,
            "seconds": round(elapsed, 3),
            "outbox": counts,
            "receiver": receiver,
            "exactly_once": receiver["processed"] == n_flaky
            and receiver["max_processed_per_key"] == 1
            and counts == {"delivered": n_flaky},
        }
        engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--flaky-messages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database-url")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--fail-rate", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.fail_rate, args.seed)
        return
    results = run(args)
    t, f = results["throughput"], results["flaky_receiver"]
    print(f"database: {results['database']}, machine: {results['machine']}")
    print(
        f"throughput: {t['delivered']} webhooks in {t['seconds']} s = {t['webhooks_per_s']}/s "
        f"(target >= 200/s: {'met' if t['target_met'] else 'NOT met'})"
    )
    print(
        f"flaky receiver (50% HTTP 500): {f['messages']} messages, {f['rounds']} rounds, "
        f"{f['receiver']['arrivals']} requests, {f['receiver']['failures_sent']} failures, "
        f"{f['receiver']['duplicates_dropped']} redeliveries dropped by idempotency key, "
        f"processed once each: {f['exactly_once']}"
    )
    print(json.dumps(results, indent=2, default=str))
    if not (t["target_met"] and f["exactly_once"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
