"""Column-at-a-time conversion of raw values into typed ones, with a reason for each failure.

Converting a whole column per call (pandas' C parsers) rather than a value at a time is what
makes a million rows fit in the time budget. Each converter returns the converted values and
``{row index: message}`` for the values it refused; messages name the column and the value
and say what to do, because a person reads them in the quarantine.
"""

from __future__ import annotations

import calendar
import json
import math
import re
import warnings
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from cxloop.ingest.fields import FieldSpec

_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$", re.I)
_MAX_SLOW_DATES = 2000
_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$|^Q([1-4])\s*[-/ ]?\s*(\d{4})$", re.I)
_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def as_text(value: Any) -> str | None:
    """Text as given (never trimmed: exports must give it back byte for byte)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def json_safe(value: Any) -> Any:
    """A value as it can live in a JSON column (metadata keeps its JSON type where it has one)."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item"):
        return json_safe(value.item())
    return str(value)


def texts(values: Sequence[Any], all_text: bool) -> list[str | None]:
    if all_text:
        return [v or None for v in values]
    return [as_text(v) for v in values]


def apply_value_map(values: Sequence[Any], table: dict[str, str]) -> list[Any]:
    out = []
    for v in values:
        key = v.strip().lower() if isinstance(v, str) else None
        out.append(table.get(key, v) if key is not None else v)
    return out


def numbers(
    values: Sequence[Any], spec: FieldSpec, column: str
) -> tuple[list[Any], dict[int, str]]:
    """Numbers in ``spec``'s range; integer fields refuse fractions."""
    parsed = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
    ok = ~np.isnan(parsed)
    present = ok.copy()
    for i in np.flatnonzero(~ok):
        present[i] = not is_blank(values[int(i)])
    errors: dict[int, str] = {}
    what = spec.label or spec.name
    for i in np.flatnonzero(present & ~ok):
        errors[int(i)] = (
            f"column '{column}': '{_show(values[int(i)])}' is not a number for {what}; "
            f"fix the value or map the column elsewhere (--map '{column}=extra')"
        )
    bad = np.zeros(len(parsed), dtype=bool)
    if spec.low is not None and spec.high is not None:
        with np.errstate(invalid="ignore"):
            outside = ok & ((parsed < spec.low) | (parsed > spec.high))
        for i in np.flatnonzero(outside):
            other = "rating" if spec.name != "rating" else "extra"
            errors[int(i)] = (
                f"column '{column}': {_show(values[int(i)])} is outside {spec.range_text()} for "
                f"{what}; fix the value or map the column to another field "
                f"(--map '{column}={other}')"
            )
        bad |= outside
    if spec.type == "int":
        with np.errstate(invalid="ignore"):
            fraction = ok & ~bad & (parsed != np.round(parsed))
        for i in np.flatnonzero(fraction):
            errors[int(i)] = (
                f"column '{column}': {_show(values[int(i)])} is not a whole number, which {what} "
                f"must be; map the column to rating if it holds fractional scores"
            )
        bad |= fraction
        keep = ok & ~bad
        ints = np.where(keep, parsed, 0).astype(np.int64).astype(object)
        ints[~keep] = None
        return list(ints), errors
    keep = ok & ~bad
    floats = parsed.astype(object)
    floats[~keep] = None
    return list(floats), errors


def _date_error(column: str, value: Any) -> str:
    return (
        f"column '{column}': '{_show(value)}' is not a date I can read; use ISO 8601 such as "
        "2025-03-14 or 2025-03-14T09:30:00Z"
    )


def _typed_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _parse_strings(strings: pd.Series) -> pd.Series:
    """ISO 8601 in C; then the format guessed from the first failure; then one by one.

    Strings with and without a UTC offset are parsed apart: pandas, given both in one call,
    applies the first offset it meets to the naive ones.
    """
    has_offset = strings.str.contains(_OFFSET, na=False)
    out = pd.Series(pd.NaT, index=strings.index, dtype="datetime64[ns, UTC]")
    if has_offset.any():
        out[has_offset] = pd.to_datetime(
            strings[has_offset], utc=True, format="ISO8601", errors="coerce"
        )
    naive = ~has_offset
    if naive.any():
        parsed = pd.to_datetime(strings[naive], format="ISO8601", errors="coerce")
        if getattr(parsed.dt, "tz", None) is None:
            parsed = parsed.dt.tz_localize(UTC)
        out[naive] = parsed
    failed = out.isna() & strings.notna()
    if failed.any():
        from pandas.tseries.api import guess_datetime_format

        first = strings[failed].iloc[0]
        fmt = guess_datetime_format(first)
        if fmt:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                guessed = pd.to_datetime(strings[failed], format=fmt, errors="coerce", utc=True)
            out[failed] = guessed
            failed = out.isna() & strings.notna()
    if failed.any() and failed.sum() <= _MAX_SLOW_DATES:
        for i in np.flatnonzero(failed.to_numpy()):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    out.iloc[i] = pd.to_datetime(strings.iloc[i], utc=True)
                except (ValueError, TypeError, OverflowError):
                    continue
    return out


def datetimes(values: Sequence[Any], column: str) -> tuple[list[Any], dict[int, str]]:
    """Timestamps in UTC (naive input is taken as UTC)."""
    n = len(values)
    errors: dict[int, str] = {}
    series = pd.Series(values, dtype=object)
    is_str = series.map(type).eq(str).to_numpy() if n else np.zeros(0, dtype=bool)
    result = np.full(n, None, dtype=object)
    for i in np.flatnonzero(~is_str):
        v = values[int(i)]
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        typed = _typed_datetime(v)
        if typed is None:
            errors[int(i)] = _date_error(column, v)
        else:
            result[i] = typed
    if is_str.any():
        strings = series[is_str].str.strip()
        strings = strings[strings != ""]
        if len(strings):
            parsed = _parse_strings(strings.reset_index(drop=True))
            ok = parsed.notna().to_numpy()
            py = np.asarray(parsed.array.to_pydatetime(), dtype=object)
            where = strings.index.to_numpy()
            result[where[ok]] = py[ok]
            for i in where[~ok]:
                errors[int(i)] = _date_error(column, values[int(i)])
    return list(result), errors


def period(value: Any) -> tuple[date, date, str]:
    """``(start, end, grain)`` of a period: a date (day), ``YYYY-MM`` or ``YYYY-Qn``.

    Raises ValueError with a readable message otherwise.
    """
    if isinstance(value, datetime):
        d = value.date()
        return d, d, "day"
    if isinstance(value, date):
        return value, value, "day"
    text = as_text(value)
    if text is None or not text.strip():
        raise ValueError("the period is empty")
    text = text.strip()
    m = _QUARTER.match(text)
    if m:
        year = int(m.group(1) or m.group(4))
        q = int(m.group(2) or m.group(3))
        start = date(year, 3 * q - 2, 1)
        end_month = 3 * q
        return start, date(year, end_month, calendar.monthrange(year, end_month)[1]), "quarter"
    m = _MONTH.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"'{text}' has no month {month}")
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), "month"
    try:
        d = date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(
            f"'{_show(text)}' is not a period; use a date (2025-03-14), a month (2025-03) "
            "or a quarter (2025-Q1)"
        ) from None
    return d, d, "day"
