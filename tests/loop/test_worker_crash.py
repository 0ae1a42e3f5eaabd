"""Kill the worker (SIGKILL) mid-delivery and restart it: nothing lost, no unkeyed duplicate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from delivery_fixtures import FakeClock, WebhookReceiver
from sqlalchemy import select

from cxloop.loop import outbox
from cxloop.loop.webhooks import add_webhook
from cxloop.storage.db import transaction
from cxloop.storage.models.delivery import OutboxMessage


def _statuses(engine) -> dict[str, int]:
    with transaction(engine) as s:
        return outbox.counts_by_status(s)


def test_killed_worker_loses_nothing_and_redelivers_with_the_same_key(engine, settings, tmp_path):
    receiver = WebhookReceiver(secret="s3cret", delay=0.4).start()
    env = {
        **os.environ,
        "CXLOOP_HOME": str(settings.home),
        "CXLOOP_DATABASE_URL": settings.resolved_database_url,
        "CXLOOP_SECRET_KEY": "test-secret-key",
    }
    try:
        clock = FakeClock()
        with transaction(engine) as s:
            add_webhook(s, "ops", receiver.url, secret="s3cret")
            for i in range(40):
                outbox.enqueue(
                    s,
                    channel="webhook",
                    target="ops",
                    payload={"n": i},
                    idempotency_key=f"crash-{i}",
                    not_before=clock.now,
                )
        cmd = [sys.executable, "-m", "cxloop", "worker", "--lease", "2", "--concurrency", "4"]
        first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while sum(receiver.arrivals.values()) < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        in_flight = _statuses(engine)
        assert in_flight.get("sending", 0) > 0, in_flight  # killed with requests in flight
        assert in_flight.get("delivered", 0) < 40

        receiver.delay = 0.0
        time.sleep(2.2)  # let the dead worker's lease run out
        second = subprocess.run(
            [*cmd, "--once"], env=env, capture_output=True, text=True, timeout=120
        )
        assert second.returncode == 0, second.stderr
    finally:
        receiver.stop()

    assert _statuses(engine) == {"delivered": 40}
    keys = {f"crash-{i}" for i in range(40)}
    assert set(receiver.processed) == keys  # nothing lost
    assert set(receiver.processed.values()) == {1}  # each processed once
    assert set(receiver.arrivals) == keys  # every arrival carried one of our keys
    redelivered = [k for k, n in receiver.arrivals.items() if n > 1]
    assert redelivered  # the kill really interrupted deliveries that were then repeated
    with transaction(engine) as s:
        assert all(m.attempts >= 1 for m in s.scalars(select(OutboxMessage)))


def test_sigterm_finishes_the_batch_in_flight_and_exits_cleanly(engine, settings):
    receiver = WebhookReceiver(secret="s3cret", delay=0.2).start()
    env = {
        **os.environ,
        "CXLOOP_HOME": str(settings.home),
        "CXLOOP_DATABASE_URL": settings.resolved_database_url,
        "CXLOOP_SECRET_KEY": "test-secret-key",
    }
    try:
        with transaction(engine) as s:
            add_webhook(s, "ops", receiver.url, secret="s3cret")
            for i in range(12):
                outbox.enqueue(
                    s,
                    channel="webhook",
                    target="ops",
                    payload={"n": i},
                    idempotency_key=f"term-{i}",
                )
        worker = subprocess.Popen(
            [sys.executable, "-m", "cxloop", "worker", "--concurrency", "4", "--poll", "0.1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not receiver.arrivals and time.monotonic() < deadline:
            time.sleep(0.02)
        worker.send_signal(signal.SIGTERM)
        _out, err = worker.communicate(timeout=30)
    finally:
        receiver.stop()
    assert worker.returncode == 0, err
    counts = _statuses(engine)
    assert counts.get("sending", 0) == 0  # the batch in flight was finished and recorded
    assert counts.get("delivered", 0) == len(receiver.processed) > 0
