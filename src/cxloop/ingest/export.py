"""Export what was stored: feedback or customers as CSV, JSONL or Parquet, streamed.

Text comes back exactly as it was ingested (nothing is trimmed or re-encoded on the way in
or out), so an export is a faithful copy. Metadata (``extra``/``attributes``) is one JSON
column in CSV and Parquet and a nested object in JSONL.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, select

from cxloop.errors import InputError
from cxloop.ingest import store

EXPORT_FORMATS = ("csv", "jsonl", "parquet")
_CHUNK = 5000


def _feedback_query(source: str | None) -> Any:
    f, s = store.FEEDBACK, store.SOURCES
    stmt = (
        select(
            f.c.id,
            s.c.name.label("source"),
            f.c.external_id,
            f.c.customer_ref.label("customer_id"),
            f.c.received_at,
            f.c.channel,
            f.c.title,
            f.c.text,
            f.c.language,
            f.c.nps,
            f.c.csat,
            f.c.ces,
            f.c.rating,
            f.c.journey_stage,
            f.c.touchpoint,
            f.c.extra,
        )
        .join(s, s.c.id == f.c.source_id)
        .order_by(f.c.id)
    )
    if source:
        stmt = stmt.where(s.c.name == source)
    return stmt


def _customers_query() -> Any:
    c = store.CUSTOMERS
    return select(
        c.c.id,
        c.c.external_id.label("customer_id"),
        c.c.name,
        c.c.email,
        c.c.segment,
        c.c.region,
        c.c.revenue,
        c.c.status,
        c.c.signup_at,
        c.c.churned_at,
        c.c.churn_reason,
        c.c.attributes,
    ).order_by(c.c.id)


def iter_export_rows(
    engine: Engine, what: str, *, source: str | None = None
) -> Iterator[dict[str, Any]]:
    """Stored rows as dicts, streamed in chunks (constant memory)."""
    if what == "feedback":
        stmt = _feedback_query(source)
    elif what == "customers":
        stmt = _customers_query()
    else:
        raise InputError(f"cannot export '{what}'", hint="use feedback or customers")
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=_CHUNK).execute(stmt)
        for row in result:
            yield dict(row._mapping)


def _scalar(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _flat(row: dict[str, Any], meta: str) -> dict[str, Any]:
    out = {k: _scalar(v) for k, v in row.items()}
    out[meta] = json.dumps(row[meta] or {}, ensure_ascii=False, sort_keys=True)
    return out


def export_rows(
    engine: Engine,
    what: str,
    fmt: str,
    out: str | Path | IO[bytes],
    *,
    source: str | None = None,
) -> int:
    """Write ``what`` to ``out`` (a path or a binary stream); returns the row count."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format '{fmt}'", hint="use csv, jsonl or parquet")
    meta = "extra" if what == "feedback" else "attributes"
    rows = iter_export_rows(engine, what, source=source)
    if fmt == "parquet":
        if not isinstance(out, str | Path):
            raise InputError("Parquet needs a file", hint="add --output FILE.parquet")
        return _write_parquet(rows, Path(out), meta, what)
    if isinstance(out, str | Path):
        with Path(out).open("wb") as fh:
            return _write_text(rows, fh, fmt, meta, what)
    return _write_text(rows, out, fmt, meta, what)


def _write_text(
    rows: Iterator[dict[str, Any]], stream: IO[bytes], fmt: str, meta: str, what: str
) -> int:
    """CSV or JSONL as UTF-8; the wrapper is detached, not closed, so stdout stays usable."""
    count = 0
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
    if fmt == "csv":
        writer: Any = None
        for row in rows:
            flat = _flat(row, meta)
            if writer is None:
                writer = csv.DictWriter(text, fieldnames=list(flat))
                writer.writeheader()
            writer.writerow(flat)
            count += 1
        if writer is None:
            csv.writer(text).writerow(_columns(what))
    else:
        for row in rows:
            record = {k: _scalar(v) for k, v in row.items()}
            text.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    text.flush()
    text.detach()
    return count


def _columns(what: str) -> list[str]:
    stmt = _feedback_query(None) if what == "feedback" else _customers_query()
    return [c.name for c in stmt.selected_columns]


def _write_parquet(rows: Iterator[dict[str, Any]], path: Path, meta: str, what: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    numeric = {"id", "nps", "csat", "ces"}
    floats = {"rating", "revenue"}
    times = {"received_at", "signup_at", "churned_at"}
    fields = []
    for name in _columns(what):
        if name in numeric:
            fields.append(pa.field(name, pa.int64()))
        elif name in floats:
            fields.append(pa.field(name, pa.float64()))
        elif name in times:
            fields.append(pa.field(name, pa.timestamp("us", tz="UTC")))
        else:
            fields.append(pa.field(name, pa.string()))
    schema = pa.schema(fields)
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(path, schema) as writer:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            row[meta] = json.dumps(row[meta] or {}, ensure_ascii=False, sort_keys=True)
            chunk.append(row)
            if len(chunk) >= _CHUNK:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                count += len(chunk)
                chunk = []
        if chunk:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            count += len(chunk)
    return count
