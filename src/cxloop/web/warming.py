"""Warm the result cache with the default views, so people rarely wait for a cold query.

At start-up, and again after every write through the app (new data invalidates the cache),
a background thread computes the unfiltered views for an unrestricted scope — the overview,
the journey map, themes, drivers, segments, facets and the verbatim count. A request that
arrives while a view is being computed waits for that one computation instead of starting
another (the cache computes each key at most once at a time). Filtered and segment-scoped
views are computed on first use. ``CXLOOP_WEB_PREWARM=0`` turns warming off.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from cxloop.web import views
from cxloop.web.insights import Filters
from cxloop.web.permissions import DataScope

log = logging.getLogger(__name__)


def enabled() -> bool:
    return os.environ.get("CXLOOP_WEB_PREWARM", "1") not in ("0", "false", "no")


def warm_defaults(app: Any) -> None:
    """Compute the default views once (safe to call from several threads: single-flight)."""
    lock: threading.Lock = app.state.warm_lock
    if not lock.acquire(blocking=False):
        app.state.warm_again = True
        return
    try:
        while True:
            app.state.warm_again = False
            _warm_once(app)
            if not app.state.warm_again:
                break
    except Exception:  # a warm-up failure must never take the app down
        log.exception("cache warm-up failed")
    finally:
        lock.release()


def _warm_once(app: Any) -> None:
    from cxloop.web.analyses import VIEWS, run_view

    cache = app.state.cache
    scope = DataScope()
    filters = Filters()
    with app.state.sessionmaker() as db:
        views.facets(cache, db, scope)
        views.overview(cache, db, filters, scope)
        views.count(cache, db, filters, scope)
        views.journey(cache, db, filters, scope)
        rows = views.themes(cache, db, filters, scope)
        views.theme_trend(cache, db, filters, scope, [r["theme_id"] for r in rows])
        for slug in ("drivers", "segments"):
            view = VIEWS[slug]
            key = (f"analysis:{slug}", filters.key(), scope.cache_key())
            cache.get(key, lambda v=view: run_view(app.state.engine, db, v, filters, scope, cache))


def install(app: Any) -> None:
    app.state.warm_lock = threading.Lock()
    app.state.warm_again = False
    if not enabled():
        return
    app.state.cache.on_invalidate = lambda: warm_defaults(app)

    @app.on_event("startup")
    def start_warming() -> None:
        threading.Thread(target=warm_defaults, args=(app,), daemon=True, name="cxloop-warm").start()
