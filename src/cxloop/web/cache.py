"""A small result cache for dashboard queries, invalidated whenever the data changes.

Aggregates over a million feedback rows take around a second in SQLite; pages must answer in
well under 200 ms, so results are kept per (query, parameters, data scope, data version).
The data version is the analytics roll-ups' version (:func:`cxloop.analytics.rollups.data_version`,
which changes with every change the database triggers record: new or edited feedback,
re-enrichment, theme corrections, customer changes, erasure) together with the newest
feedback id, ingestion run and enrichment markers, plus a counter that every write through the
app bumps; it is read at most once per ``probe_every`` seconds. Probing also brings the roll-ups
up to date, so the page that follows reads fresh days. Changes made outside this process
(another ``cxloop`` command re-enriching rows) are picked up by the version probe, and at the
latest after ``max_age`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select

from cxloop.analytics import rollups
from cxloop.storage.models import Feedback, IngestRun

T = TypeVar("T")


class ResultCache:
    def __init__(
        self, engine: Engine, *, size: int = 512, probe_every: float = 1.0, max_age: float = 300.0
    ) -> None:
        self.engine = engine
        self.size = size
        self.probe_every = probe_every
        self.max_age = max_age
        self._lock = threading.Lock()
        #: One lock per key being computed, so concurrent requests wait for one computation.
        self._computing: dict[Hashable, threading.Lock] = {}
        #: Called (in a thread) after ``invalidate``; the app uses it to re-warm default views.
        self.on_invalidate: Callable[[], None] | None = None
        self._items: OrderedDict[Hashable, tuple[Hashable, float, Any]] = OrderedDict()
        self._generation = 0
        self._version: Hashable = None
        self._probed_at = 0.0
        self.hits = 0
        self.misses = 0

    def invalidate(self) -> None:
        """Called after every write through the app: new data must show at once."""
        with self._lock:
            self._generation += 1
            self._probed_at = 0.0
        if self.on_invalidate is not None:
            threading.Thread(target=self.on_invalidate, daemon=True, name="cxloop-warm").start()

    def _probe(self) -> Hashable:
        with self.engine.connect() as conn:
            fb = conn.execute(select(func.max(Feedback.id))).scalar()
            run = conn.execute(
                select(func.max(IngestRun.id), func.max(IngestRun.finished_at))
            ).one()
            enrich = self._enrichment_marker(conn)
        return (fb, run[0], str(run[1]), enrich, rollups.data_version(self.engine))

    @staticmethod
    def _enrichment_marker(conn: Any) -> Hashable:
        from cxloop.storage.models import Enrichment, FeedbackTheme, Theme

        return (
            conn.execute(select(func.max(Enrichment.feedback_id))).scalar(),
            conn.execute(select(func.max(Theme.updated_at))).scalar(),
            conn.execute(select(func.max(FeedbackTheme.feedback_id))).scalar(),
        )

    def version(self) -> Hashable:
        now = time.monotonic()
        with self._lock:
            fresh = now - self._probed_at < self.probe_every
            if fresh:
                return (self._generation, self._version)
        probed = self._probe()
        with self._lock:
            self._version = probed
            self._probed_at = now
            return (self._generation, probed)

    def _fresh(self, key: Hashable, version: Hashable, now: float) -> tuple[bool, Any]:
        item = self._items.get(key)
        if item is not None and item[0] == version and now - item[1] < self.max_age:
            self._items.move_to_end(key)
            return True, item[2]
        return False, None

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value for the current data version, computing it at most once at a time."""
        version = self.version()
        with self._lock:
            found, value = self._fresh(key, version, time.monotonic())
            if found:
                self.hits += 1
                return value  # type: ignore[no-any-return]
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                found, value = self._fresh(key, version, time.monotonic())
                if found:
                    self.hits += 1
                    return value  # type: ignore[no-any-return]
            computed = compute()
            with self._lock:
                self.misses += 1
                self._items[key] = (version, time.monotonic(), computed)
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._computing.pop(key, None)
        return computed
