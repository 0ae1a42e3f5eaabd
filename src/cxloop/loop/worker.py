"""The delivery worker: claims due outbox messages, delivers them in parallel, records outcomes.

Each channel has a deliverer with one method, ``deliver(message) -> DeliveryOutcome``
(email and webhook here; a new channel is a new class registered by name). The clock is
injected so tests can move time past backoffs and leases without sleeping.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from cxloop.config import Settings
from cxloop.loop.outbox import (
    DEFAULT_LEASE,
    ClaimedMessage,
    DeliveryOutcome,
    claim,
    record_outcomes,
)
from cxloop.storage.types import utcnow

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class Deliverer(Protocol):
    channel: str

    def deliver(self, message: ClaimedMessage) -> DeliveryOutcome: ...


@dataclass
class WorkerStats:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def default_deliverers(engine: Engine, settings: Settings) -> dict[str, Deliverer]:
    from cxloop.loop.mail import EmailDeliverer
    from cxloop.loop.webhooks import WebhookDeliverer

    return {"email": EmailDeliverer(settings), "webhook": WebhookDeliverer(engine)}


class Worker:
    """Drains the outbox. ``run_once`` delivers everything due now; ``run_forever`` polls."""

    def __init__(
        self,
        engine: Engine,
        deliverers: Mapping[str, Deliverer],
        *,
        clock: Clock = utcnow,
        concurrency: int = 16,
        batch_size: int = 200,
        lease: timedelta = DEFAULT_LEASE,
        worker_id: str | None = None,
    ) -> None:
        self.engine = engine
        self.deliverers = dict(deliverers)
        self.clock = clock
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.lease = lease
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="cxloop-send")
        self._stop = threading.Event()

    def _deliver_one(self, message: ClaimedMessage) -> DeliveryOutcome:
        deliverer = self.deliverers.get(message.channel)
        if deliverer is None:
            return DeliveryOutcome(message.id, False, f"no deliverer for {message.channel}", False)
        try:
            return deliverer.deliver(message)
        except Exception as exc:  # a bug in a deliverer must not kill the batch
            log.exception("delivery of outbox message %s crashed", message.id)
            return DeliveryOutcome(message.id, False, f"{type(exc).__name__}: {exc}", True)

    def run_batch(self) -> WorkerStats | None:
        """Claim and deliver one batch; None when nothing is due."""
        now = self.clock()
        batch = claim(
            self.engine,
            self.worker_id,
            now=now,
            limit=self.batch_size,
            lease=self.lease,
            channels=list(self.deliverers),
        )
        if not batch:
            return None
        outcomes = list(self._pool.map(self._deliver_one, batch))
        record_outcomes(self.engine, batch, outcomes, now=self.clock())
        stats = WorkerStats(claimed=len(batch), batches=1)
        by_id = {m.id: m for m in batch}
        for outcome in outcomes:
            if outcome.ok:
                stats.delivered += 1
                continue
            message = by_id[outcome.id]
            if not outcome.retryable or message.attempts >= message.max_attempts:
                stats.failed += 1
                log.warning("outbox message %s failed for good: %s", outcome.id, outcome.error)
            else:
                stats.retried += 1
            if outcome.error and len(stats.errors) < 20:
                stats.errors.append(f"#{outcome.id}: {outcome.error}")
        return stats

    def run_once(self, progress: Callable[[WorkerStats], None] | None = None) -> WorkerStats:
        """Deliver every message that is due now, then return (``cxloop worker --once``).

        Messages scheduled for a later retry are left for the next run.
        """
        total = WorkerStats()
        while not self._stop.is_set():
            stats = self.run_batch()
            if stats is None:
                break
            total.claimed += stats.claimed
            total.delivered += stats.delivered
            total.retried += stats.retried
            total.failed += stats.failed
            total.batches += 1
            total.errors.extend(stats.errors[: max(0, 20 - len(total.errors))])
            if progress:
                progress(total)
        return total

    def run_forever(self, *, poll_interval: float = 1.0) -> WorkerStats:
        """Poll until ``stop()`` (SIGINT/SIGTERM in the CLI); a batch in flight finishes first."""
        total = WorkerStats()
        while not self._stop.is_set():
            stats = self.run_once()
            total.claimed += stats.claimed
            total.delivered += stats.delivered
            total.retried += stats.retried
            total.failed += stats.failed
            total.batches += stats.batches
            if stats.claimed == 0:
                self._stop.wait(poll_interval)
        return total

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for deliverer in self.deliverers.values():
            closer = getattr(deliverer, "close", None)
            if closer:
                closer()
