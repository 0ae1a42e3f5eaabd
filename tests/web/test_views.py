"""Data scope reaches the analytics filter; the cache computes once and invalidates on writes;
the warmer fills the default views."""

from __future__ import annotations

import threading
import time

from cxloop.web.analyses import analytics_filter
from cxloop.web.insights import Filters
from cxloop.web.permissions import DataScope


def test_scope_and_filters_become_a_quoted_analytics_filter():
    scope = DataScope(segments=("SMB", "O'Neil & Co"), regions=("North",))
    expr = analytics_filter(Filters(channel="email"), scope)
    assert expr == (
        "segment in ('SMB', 'O''Neil & Co') and region in ('North') and channel = 'email'"
    )
    from cxloop.analytics.filters import parse_filter

    conds = parse_filter(expr)
    assert [c.field for c in conds] == ["segment", "region", "channel"]
    assert conds[0].values == ("SMB", "O'Neil & Co")
    assert analytics_filter(Filters(), DataScope()) is None


def test_cache_computes_once_for_concurrent_requests_and_sees_new_data(engine):
    from cxloop.web.cache import ResultCache

    cache = ResultCache(engine, probe_every=0.0)
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return len(calls)

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [1, 1, 1, 1] and len(calls) == 1
    cache.invalidate()
    assert cache.get("k", slow) == 2


def test_warmer_fills_the_default_views(shared, monkeypatch):
    from cxloop.web import warming

    app = shared.app
    app.state.cache.invalidate()
    before = app.state.cache.misses
    warming.warm_defaults(app)
    assert app.state.cache.misses > before
    hits = app.state.cache.hits
    shared.login("viewer").get("/")  # served from the warmed cache
    assert app.state.cache.hits > hits


def test_cache_version_sees_changes_made_outside_the_app(engine):
    """A customer moved to another segment by another process changes no feedback id or
    enrichment marker; the roll-ups' triggers still record it, so cached pages are recomputed."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, update

    from cxloop.storage.db import transaction
    from cxloop.storage.models import Customer, Feedback, Source
    from cxloop.web.cache import ResultCache

    with transaction(engine) as s:
        s.execute(insert(Source).values(id=1, name="survey", kind="file"))
        s.execute(insert(Customer).values(id=1, external_id="c1", segment="SMB", content_hash="c"))
        s.execute(
            insert(Feedback).values(
                id=1,
                source_id=1,
                dedup_key="k1",
                content_hash="h",
                customer_id=1,
                nps=9,
                text="fine",
                received_at=datetime(2026, 3, 2, tzinfo=UTC),
            )
        )
    cache = ResultCache(engine, probe_every=0.0)
    before = cache.version()
    assert cache.version() == before  # nothing changed: same version
    with transaction(engine) as s:
        s.execute(update(Customer).where(Customer.id == 1).values(segment="Enterprise"))
    assert cache.version() != before
