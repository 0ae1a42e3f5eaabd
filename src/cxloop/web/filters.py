"""Filter parameters from a query string, shared by pages and the API.

Forms send empty strings for untouched fields, so values are parsed here (empty means
"no filter") and a malformed value is a 422 that names the field.
"""

from __future__ import annotations

from datetime import date

from fastapi import Query

from cxloop.errors import ValidationError
from cxloop.web.insights import Filters

SENTIMENTS = ("negative", "neutral", "positive")


def _date(field: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{field}: {value!r} is not a date", hint="use YYYY-MM-DD", details=[{"field": field}]
        ) from None


def _int(field: str, value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError(
            f"{field}: {value!r} is not a whole number", details=[{"field": field}]
        ) from None


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value[:200] or None


def parse_filters(
    since: str | None = Query(None, description="first day, YYYY-MM-DD"),
    until: str | None = Query(None, description="last day, YYYY-MM-DD"),
    channel: str | None = Query(None),
    segment: str | None = Query(None),
    region: str | None = Query(None),
    stage: str | None = Query(None, description="journey stage"),
    touchpoint: str | None = Query(None),
    theme: str | None = Query(None, description="theme id"),
    q: str | None = Query(None, description="text contains (case-insensitive)"),
    sentiment: str | None = Query(None, description="negative|neutral|positive"),
) -> Filters:
    if sentiment and sentiment not in SENTIMENTS:
        raise ValidationError(
            f"sentiment: {sentiment!r} is not one of {', '.join(SENTIMENTS)}",
            details=[{"field": "sentiment"}],
        )
    return Filters(
        since=_date("since", since),
        until=_date("until", until),
        channel=_text(channel),
        segment=_text(segment),
        region=_text(region),
        stage=_text(stage),
        touchpoint=_text(touchpoint),
        theme=_int("theme", theme),
        q=_text(q),
        sentiment=sentiment or None,
    )
