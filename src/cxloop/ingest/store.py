"""Writing prepared batches: one transaction per batch, set-based look-ups, bulk statements.

Per batch: one SELECT finds which (source, key) pairs already exist and with which content
hash, one SELECT links customer references, then one executemany INSERT for new rows, one
executemany UPDATE for changed rows, the quarantine entries, and the run's progress counters,
all committed together. A killed process therefore leaves whole batches or nothing, and a
re-run finds the committed rows unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from cxloop.ingest.prepare import Prepared
from cxloop.ingest.readers import BadRow
from cxloop.storage.models import BusinessMetric, Customer, Feedback, IngestRun, QuarantinedRow
from cxloop.storage.models import Source as SourceModel
from cxloop.storage.types import UTCDateTime, utcnow

FEEDBACK: Table = Feedback.__table__  # type: ignore[assignment]
CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]
METRICS: Table = BusinessMetric.__table__  # type: ignore[assignment]
RUNS: Table = IngestRun.__table__  # type: ignore[assignment]
QUARANTINE: Table = QuarantinedRow.__table__  # type: ignore[assignment]
SOURCES: Table = SourceModel.__table__  # type: ignore[assignment]

#: Look-ups use IN lists; SQLite allows 32,766 parameters per statement.
_CHUNK = 5000

_FEEDBACK_VALUES = (
    "external_id",
    "customer_ref",
    "customer_id",
    "channel",
    "received_at",
    "title",
    "text",
    "language",
    "nps",
    "csat",
    "ces",
    "rating",
    "journey_stage",
    "touchpoint",
    "extra",
    "content_hash",
    "run_id",
    "updated_at",
)
_CUSTOMER_VALUES = (
    "name",
    "email",
    "segment",
    "region",
    "revenue",
    "status",
    "signup_at",
    "churned_at",
    "churn_reason",
    "attributes",
    "content_hash",
    "run_id",
    "updated_at",
)


@dataclass
class Counts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def add(self, other: Counts) -> None:
        self.read += other.read
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.quarantined += other.quarantined


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def source_id_for(
    conn: Connection,
    name: str,
    *,
    kind: str = "file",
    channel: str | None = None,
    profile: str | None = None,
) -> int:
    """The id of the source called ``name``, created when missing (safe under races)."""
    found = conn.execute(select(SOURCES.c.id).where(SOURCES.c.name == name)).scalar()
    if found is not None:
        return int(found)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(SOURCES).values(
                    name=name[:200],
                    kind=kind,
                    channel=channel,
                    profile=profile,
                    settings={},
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        pass
    return int(conn.execute(select(SOURCES.c.id).where(SOURCES.c.name == name)).scalar_one())


_LOOKUP_WIDTH = 1000
_lookup_sql: dict[tuple[str, str], str] = {}


def _lookup(
    conn: Connection, stmt: Any, key: str, values: list[Any], fixed: dict[str, Any]
) -> list[Any]:
    """Run ``stmt`` (whose ``key`` bind parameter is an expanding IN list) for ``values``.

    On SQLite the IN list is padded to a fixed width so SQLAlchemy compiles the statement
    once per process instead of rendering thousands of parameters per batch (that
    rendering cost more than the query). Padding repeats the last value, which IN ignores.
    """
    found: list[Any] = []
    if conn.dialect.name != "sqlite":
        for chunk in _chunks(values, _CHUNK):
            found += conn.execute(stmt, {key: chunk, **fixed}).all()
        return found
    cache_key = (str(stmt), key)
    sql = _lookup_sql.get(cache_key)
    if sql is None:
        compiled = stmt.params({key: [f"v{i}" for i in range(_LOOKUP_WIDTH)], **fixed}).compile(
            dialect=conn.dialect, compile_kwargs={"render_postcompile": True}
        )
        sql = compiled.string
        _lookup_sql[cache_key] = sql
        _lookup_order[cache_key] = list(compiled.positiontup or [])
    order = _lookup_order[cache_key]
    head = [n for n in order if n in fixed]
    in_order = order == head + [f"{key}_{i}" for i in range(1, _LOOKUP_WIDTH + 1)]
    fixed_values = tuple(fixed[n] for n in head)
    # The driver's own cursor, inside this connection's transaction: plain tuples back,
    # without building a SQLAlchemy Row for each of a million keys.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for chunk in _chunks(values, _LOOKUP_WIDTH):
            padded = chunk + [chunk[-1]] * (_LOOKUP_WIDTH - len(chunk))
            if in_order:
                params: tuple[Any, ...] = fixed_values + tuple(padded)
            else:
                params = tuple(
                    fixed[n] if n in fixed else padded[int(n.rsplit("_", 1)[1]) - 1] for n in order
                )
            found += cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()
    return found


_lookup_order: dict[tuple[str, str], list[str]] = {}

_CUSTOMER_LOOKUP = select(CUSTOMERS.c.external_id, CUSTOMERS.c.id).where(
    CUSTOMERS.c.external_id.in_(bindparam("keys", expanding=True))
)
_FEEDBACK_LOOKUP = select(FEEDBACK.c.id, FEEDBACK.c.dedup_key, FEEDBACK.c.content_hash).where(
    FEEDBACK.c.source_id == bindparam("sid"),
    FEEDBACK.c.dedup_key.in_(bindparam("keys", expanding=True)),
)


def _customer_ids(conn: Connection, refs: set[str]) -> dict[str, int]:
    rows = _lookup(conn, _CUSTOMER_LOOKUP, "keys", sorted(refs), {})
    return {ext: int(cid) for ext, cid in rows}


#: Columns with one value for the whole batch (converted once, not per row).
_CONSTANT_COLUMNS = frozenset({"run_id", "created_at", "updated_at"})
_INSERT_COLUMNS = ("source_id", "dedup_key", "created_at", *_FEEDBACK_VALUES)


def _bulk_insert(
    conn: Connection,
    table: Table,
    columns: dict[str, list[Any]],
    n: int,
    constant: frozenset[str] = frozenset(),
) -> None:
    """INSERT ``n`` rows given column by column.

    On SQLite the statement SQLAlchemy compiles is run through the driver's executemany
    with each column passed once through SQLAlchemy's own bind processor (constant columns
    once per batch): the same values and SQL as Core, without Core's per-row bookkeeping,
    which otherwise costs more than SQLite itself. Other databases use Core executemany.
    """
    names = list(columns)
    if conn.dialect.name != "sqlite":
        conn.execute(
            insert(table),
            [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)],
        )
        return
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    assert compiled.positiontup is not None and set(compiled.positiontup) == set(names)
    names = list(compiled.positiontup)
    processed: list[list[Any]] = []
    for name in names:
        values = columns[name]
        col_type = table.c[name].type
        proc = col_type.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(col_type, UTCDateTime) and name not in constant:
            processed.append([None if v is None else sqlite_utc_text(v) for v in values])
        elif proc is None:
            processed.append(values)
        elif values and name in constant:
            processed.append([proc(values[0])] * n)
        else:
            processed.append([None if v is None else proc(v) for v in values])
    conn.exec_driver_sql(compiled.string, list(zip(*processed, strict=True)))


def sqlite_utc_text(value: datetime) -> str:
    """What ``UTCDateTime`` stores on SQLite (``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC), built
    with one C call; a property test checks it equals SQLAlchemy's own processor."""
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def feedback_source_ids(conn: Connection, names: list[str | None], source_id: int) -> list[int]:
    """Per-row source ids: a ``source`` column names the source row by row."""
    if not any(names):
        return [source_id] * len(names)
    sources = {m: source_id_for(conn, m, kind="file") for m in sorted(set(filter(None, names)))}
    return [sources[m] if m else source_id for m in names]


def existing_feedback(
    conn: Connection, sids: list[int], keys: list[str]
) -> dict[tuple[int, str], tuple[int, str]]:
    """``{(source id, dedup key): (feedback id, content hash)}`` for the keys already stored."""
    by_source: dict[int, set[str]] = {}
    if sids and sids.count(sids[0]) == len(sids):
        by_source[sids[0]] = set(keys)
    else:
        for sid, key in zip(sids, keys, strict=True):
            by_source.setdefault(sid, set()).add(key)
    existing: dict[tuple[int, str], tuple[int, str]] = {}
    for sid, key_set in by_source.items():
        found = _lookup(conn, _FEEDBACK_LOOKUP, "keys", sorted(key_set), {"sid": sid})
        existing.update({(sid, key): (fid, chash) for fid, key, chash in found})
    return existing


def write_feedback(
    conn: Connection,
    prepared: Prepared,
    *,
    sids: list[int],
    existing: dict[tuple[int, str], tuple[int, str]],
    run_id: int | None,
    now: datetime,
) -> Counts:
    """Insert new and update changed rows of ``prepared`` (``sids`` aligned with its rows)."""
    cols = prepared.cols
    n = prepared.n
    counts = Counts(read=n + len(prepared.bad))
    if n == 0:
        return counts
    cols.pop("_row", None)
    cols.pop("source", None)
    keys = cols["dedup_key"]
    refs = cols["customer_ref"]
    wanted = {r for r in refs if r}
    customer_ids = _customer_ids(conn, wanted) if wanted else {}
    cols["customer_id"] = [customer_ids.get(r) if r else None for r in refs]

    hashes = cols["content_hash"]
    inserts: dict[tuple[int, str], int] = {}
    updates: dict[int, int] = {}
    for i, key in enumerate(zip(sids, keys, strict=True)):
        at = inserts.get(key)
        if at is not None:  # the same key twice in one batch: the later row wins
            if hashes[at] == hashes[i]:
                counts.unchanged += 1
            else:
                inserts[key] = i
                counts.updated += 1
            continue
        found = existing.get(key)
        if found is None:
            inserts[key] = i
            counts.inserted += 1
        elif found[1] == hashes[i]:
            counts.unchanged += 1
        else:
            existing[key] = (found[0], hashes[i])
            updates[found[0]] = i
            counts.updated += 1
    cols["source_id"] = sids
    cols["run_id"] = [run_id] * n
    cols["updated_at"] = [now] * n
    cols["created_at"] = cols["updated_at"]
    if inserts:
        idx = list(inserts.values())
        whole = len(idx) == n
        picked = {c: cols[c] if whole else [cols[c][i] for i in idx] for c in _INSERT_COLUMNS}
        _bulk_insert(conn, FEEDBACK, picked, len(idx), _CONSTANT_COLUMNS)
    if updates:
        stmt = (
            update(FEEDBACK)
            .where(FEEDBACK.c.id == bindparam("b_id"))
            .values({c: bindparam(f"u_{c}") for c in _FEEDBACK_VALUES})
        )
        params = [
            {"b_id": fid, **{f"u_{c}": cols[c][i] for c in _FEEDBACK_VALUES}}
            for fid, i in updates.items()
        ]
        conn.execute(stmt, params)
    return counts


def write_customers(
    conn: Connection, prepared: Prepared, *, run_id: int | None, now: datetime
) -> Counts:
    rows = prepared.rows
    existing: dict[str, tuple[int, str]] = {}
    keys = sorted({r["external_id"] for r in rows})
    for chunk in _chunks(keys):
        stmt = select(CUSTOMERS.c.id, CUSTOMERS.c.external_id, CUSTOMERS.c.content_hash).where(
            CUSTOMERS.c.external_id.in_(chunk)
        )
        for cid, ext, chash in conn.execute(stmt):
            existing[ext] = (int(cid), chash)
    counts = Counts(read=len(rows) + len(prepared.bad))
    inserts: dict[str, dict[str, Any]] = {}
    updates: dict[int, dict[str, Any]] = {}
    for r in rows:
        r.pop("_row", None)
        r["run_id"] = run_id
        r["updated_at"] = now
        ext = r["external_id"]
        if ext in inserts:
            if inserts[ext]["content_hash"] == r["content_hash"]:
                counts.unchanged += 1
            else:
                r["created_at"] = now
                inserts[ext] = r
                counts.updated += 1
            continue
        found = existing.get(ext)
        if found is None:
            r["created_at"] = now
            inserts[ext] = r
            counts.inserted += 1
        elif found[1] == r["content_hash"]:
            counts.unchanged += 1
        else:
            existing[ext] = (found[0], r["content_hash"])
            counts.updated += 1
            updates[found[0]] = {"b_id": found[0], **{f"u_{c}": r[c] for c in _CUSTOMER_VALUES}}
    if inserts:
        conn.execute(insert(CUSTOMERS), list(inserts.values()))
    if updates:
        change = (
            update(CUSTOMERS)
            .where(CUSTOMERS.c.id == bindparam("b_id"))
            .values({c: bindparam(f"u_{c}") for c in _CUSTOMER_VALUES})
        )
        conn.execute(change, list(updates.values()))
    if inserts:
        link_feedback_to_customers(conn, list(inserts))
    return counts


def link_feedback_to_customers(conn: Connection, external_ids: list[str]) -> int:
    """Set ``feedback.customer_id`` for feedback that named these customers before they were
    loaded: one set-based UPDATE per chunk, never a row at a time."""
    linked = 0
    for chunk in _chunks(sorted(external_ids)):
        match = (
            select(CUSTOMERS.c.id)
            .where(CUSTOMERS.c.external_id == FEEDBACK.c.customer_ref)
            .scalar_subquery()
        )
        stmt = (
            update(FEEDBACK)
            .where(FEEDBACK.c.customer_id.is_(None), FEEDBACK.c.customer_ref.in_(chunk))
            .values(customer_id=match)
        )
        linked += conn.execute(stmt).rowcount or 0
    return linked


def write_metrics(
    conn: Connection,
    prepared: Prepared,
    *,
    source_id: int | None,
    run_id: int | None,
    now: datetime,
    rows_read: int,
) -> Counts:
    rows = prepared.rows
    names = sorted({r["name"] for r in rows})
    starts = sorted({r["period_start"] for r in rows})
    existing: dict[tuple[Any, ...], tuple[int, float]] = {}
    for name_chunk in _chunks(names, 500):
        for start_chunk in _chunks(starts, 500):
            stmt = select(
                METRICS.c.id,
                METRICS.c.name,
                METRICS.c.period_start,
                METRICS.c.period_end,
                METRICS.c.dims_key,
                METRICS.c.value,
            ).where(METRICS.c.name.in_(name_chunk), METRICS.c.period_start.in_(start_chunk))
            for mid, name, start, end, dkey, value in conn.execute(stmt):
                existing[(name, start, end, dkey)] = (int(mid), float(value))
    counts = Counts(read=rows_read, quarantined=0)
    inserts: dict[tuple[Any, ...], dict[str, Any]] = {}
    updates: dict[int, dict[str, Any]] = {}
    for r in rows:
        r.pop("_row", None)
        r.update(source_id=source_id, run_id=run_id, updated_at=now)
        key = (r["name"], r["period_start"], r["period_end"], r["dims_key"])
        if key in inserts:
            if inserts[key]["value"] != r["value"]:
                counts.updated += 1
                inserts[key] = r
            else:
                counts.unchanged += 1
            continue
        found = existing.get(key)
        if found is None:
            inserts[key] = r
            counts.inserted += 1
        elif found[1] == r["value"]:
            counts.unchanged += 1
        else:
            existing[key] = (found[0], r["value"])
            counts.updated += 1
            updates[found[0]] = {
                "b_id": found[0],
                "u_value": r["value"],
                "u_source_id": source_id,
                "u_run_id": run_id,
                "u_updated_at": now,
            }
    if inserts:
        conn.execute(insert(METRICS), list(inserts.values()))
    if updates:
        cols = ("value", "source_id", "run_id", "updated_at")
        change = (
            update(METRICS)
            .where(METRICS.c.id == bindparam("b_id"))
            .values({c: bindparam(f"u_{c}") for c in cols})
        )
        conn.execute(change, list(updates.values()))
    return counts


def quarantine_rows(
    conn: Connection,
    bad: list[BadRow],
    *,
    kind: str,
    source_id: int | None,
    run_id: int | None,
    file_name: str | None,
    now: datetime,
) -> int:
    """Keep refused rows with their reasons; a row already waiting in quarantine (same file,
    row number and content) is not added twice when a file is re-ingested."""
    if not bad:
        return 0
    numbers = sorted({b.row_number for b in bad})
    waiting: set[tuple[int, str | None]] = set()
    for chunk in _chunks(numbers):
        lookup = select(QUARANTINE.c.row_number, QUARANTINE.c.raw_text).where(
            and_(
                QUARANTINE.c.kind == kind,
                QUARANTINE.c.status == "open",
                QUARANTINE.c.source_id == source_id
                if source_id is not None
                else QUARANTINE.c.source_id.is_(None),
                QUARANTINE.c.file_name == file_name
                if file_name is not None
                else QUARANTINE.c.file_name.is_(None),
                QUARANTINE.c.row_number.in_(chunk),
            )
        )
        waiting.update((int(n), t) for n, t in conn.execute(lookup))
    new = [
        {
            "run_id": run_id,
            "kind": kind,
            "source_id": source_id,
            "file_name": file_name,
            "row_number": b.row_number,
            "field": b.field,
            "reason": b.reason,
            "raw": b.raw,
            "raw_text": b.raw_text,
            "dedup_key": b.dedup_key,
            "status": "open",
            "created_at": now,
            "resolved_at": None,
        }
        for b in bad
        if (b.row_number, b.raw_text) not in waiting
    ]
    if new:
        conn.execute(insert(QUARANTINE), new)
    return len(bad)


def record_progress(conn: Connection, run_id: int, counts: Counts) -> None:
    """Advance the run's counters in the batch's own transaction (so they never lie)."""
    conn.execute(
        update(RUNS)
        .where(RUNS.c.id == run_id)
        .values(
            rows_read=RUNS.c.rows_read + counts.read,
            inserted=RUNS.c.inserted + counts.inserted,
            updated=RUNS.c.updated + counts.updated,
            unchanged=RUNS.c.unchanged + counts.unchanged,
            quarantined=RUNS.c.quarantined + counts.quarantined,
        )
    )


def secondary_indexes(table: Table = FEEDBACK) -> list[Any]:
    """The table's non-unique indexes (the unique dedup key is needed during a load)."""
    return sorted((ix for ix in table.indexes if not ix.unique), key=lambda ix: ix.name or "")


def drop_secondary_indexes(conn: Connection, table: Table = FEEDBACK) -> list[str]:
    """Bulk-load mode: SQLite inserts several times faster without the analytics indexes,
    and building each index once at the end (a sort) is cheaper than maintaining it."""
    dropped = []
    for ix in secondary_indexes(table):
        ix.drop(bind=conn, checkfirst=True)
        dropped.append(str(ix.name))
    return dropped


def ensure_secondary_indexes(conn: Connection, table: Table = FEEDBACK) -> list[str]:
    """Create any missing analytics index (after a bulk load, or one that was killed)."""
    created = []
    for ix in secondary_indexes(table):
        ix.create(bind=conn, checkfirst=True)
        created.append(str(ix.name))
    return created
