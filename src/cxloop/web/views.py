"""Cached dashboard data, shared by pages, API and the cache warmer.

Each function returns one view's data for (filters, data scope) through the app's result
cache, so a page and its API twin share one computation (the overview and
``GET /api/v1/metrics`` are the same numbers), and the themes view reuses the overview's
totals instead of scanning the feedback again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from cxloop.web import insights
from cxloop.web.cache import ResultCache
from cxloop.web.insights import Filters
from cxloop.web.permissions import DataScope


def _key(name: str, filters: Filters, scope: DataScope) -> tuple[Any, ...]:
    return (name, filters.key(), scope.cache_key())


def overview(cache: ResultCache, db: Session, filters: Filters, scope: DataScope) -> Any:
    return cache.get(
        _key("overview", filters, scope), lambda: insights.metrics_by_month(db, filters, scope)
    )


def metrics(cache: ResultCache, db: Session, filters: Filters, scope: DataScope, by: str) -> Any:
    if by == "month":
        return overview(cache, db, filters, scope)["months"]
    return cache.get(
        _key(f"metrics:{by}", filters, scope), lambda: insights.metrics_by(db, filters, scope, by)
    )


def journey(cache: ResultCache, db: Session, filters: Filters, scope: DataScope) -> Any:
    return cache.get(
        _key("journey", filters, scope), lambda: insights.journey_map(db, filters, scope)
    )


def themes(cache: ResultCache, db: Session, filters: Filters, scope: DataScope) -> Any:
    def compute() -> Any:
        overall = overview(cache, db, replace(filters, theme=None), scope)
        return insights.theme_table(db, filters, scope, overall)

    return cache.get(_key("themes", filters, scope), compute)


def theme_trend(
    cache: ResultCache, db: Session, filters: Filters, scope: DataScope, ids: list[int]
) -> Any:
    return cache.get(
        _key("theme_trend", filters, scope), lambda: insights.theme_trend(db, filters, scope, ids)
    )


def facets(cache: ResultCache, db: Session, scope: DataScope) -> Any:
    return cache.get(_key("facets", Filters(), scope), lambda: insights.facet_values(db, scope))


def count(cache: ResultCache, db: Session, filters: Filters, scope: DataScope) -> Any:
    return cache.get(
        _key("count", filters, scope), lambda: insights.count_matching(db, filters, scope)
    )


def verbatims(
    cache: ResultCache, db: Session, filters: Filters, scope: DataScope, *, limit: int, offset: int
) -> Any:
    return cache.get(
        _key(f"verbatims:{limit}:{offset}", filters, scope),
        lambda: insights.verbatims(db, filters, scope, limit=limit, offset=offset),
    )
