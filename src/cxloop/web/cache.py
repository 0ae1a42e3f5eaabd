"""A small result cache for dashboard queries, invalidated whenever the data changes.

Aggregates over a million feedback rows take around a second in SQLite; pages must answer in
well under 200 ms, so results are kept per (query, parameters, data scope, data version).
The data version is the newest feedback id, ingestion run and enrichment time plus a counter
that every write through the app bumps; it is read at most once per ``probe_every`` seconds.
Changes made outside this process (another ``cxloop`` command re-enriching rows) are picked
up by the version probe, and at the latest after ``max_age`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select

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

    def _probe(self) -> Hashable:
        with self.engine.connect() as conn:
            fb = conn.execute(select(func.max(Feedback.id))).scalar()
            run = conn.execute(
                select(func.max(IngestRun.id), func.max(IngestRun.finished_at))
            ).one()
            enrich = self._enrichment_marker(conn)
        return (fb, run[0], str(run[1]), enrich)

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

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        version = self.version()
        now = time.monotonic()
        with self._lock:
            item = self._items.get(key)
            if item is not None and item[0] == version and now - item[1] < self.max_age:
                self._items.move_to_end(key)
                self.hits += 1
                return item[2]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self.misses += 1
            self._items[key] = (version, now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value
