"""The ingestion service: files and record batches into feedback, customers or metrics.

``ingest_file`` is what ``cxloop ingest`` and the demo generator call; ``ingest_records`` is
what the HTTP API calls. Both go read -> map -> convert -> store one batch at a time, each
batch in its own transaction, with an :class:`IngestRun` row whose counters advance with the
batches. Problems with the file as a whole (unreadable, a required column missing, a mapping
naming a column that does not exist) raise :class:`InputError` before anything is written.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from cxloop.errors import InputError
from cxloop.ingest import prepare, store
from cxloop.ingest.fields import KINDS
from cxloop.ingest.mapping import Resolution, resolve_mapping
from cxloop.ingest.readers import RawBatch, TableReader, open_table
from cxloop.storage.types import utcnow

DEFAULT_BATCH_SIZE = 5000
#: SQLite bulk-load mode (secondary indexes rebuilt at the end) starts at this many rows.
BULK_LOAD_MIN_ROWS = 100_000
#: The HTTP API's limit per call.
MAX_RECORDS_PER_CALL = 1000


@dataclass
class ItemError:
    """One refused record of an API batch: its 0-based index, the field, and why."""

    index: int
    field: str | None
    message: str


@dataclass
class IngestSummary:
    run_id: int | None
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    errors: list[ItemError] = field(default_factory=list)
    kind: str = "feedback"
    source: str | None = None
    profile: str | None = None
    file: str | None = None
    format: str | None = None
    encoding: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def source_name_for(path: Path) -> str:
    """``exports/NPS survey 2025.csv`` -> ``NPS survey 2025``."""
    return path.stem or path.name


def file_digest(path: Path) -> str:
    """A cheap identity for the file (size, mtime and the first and last MiB)."""
    st = path.stat()
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    with path.open("rb") as fh:
        h.update(fh.read(1 << 20))
        if st.st_size > 2 << 20:
            fh.seek(-(1 << 20), os.SEEK_END)
            h.update(fh.read())
    return h.hexdigest()


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InputError(f"unknown kind '{kind}'", hint="use feedback, customers or metrics")


def _start_run(
    engine: Engine,
    *,
    kind: str,
    source: str | None,
    res: Resolution,
    file_name: str | None,
    file_hash: str | None,
    source_kind: str,
) -> tuple[int, int | None]:
    """Create the source (when there is one) and the run row; mark runs of the same file
    that never finished (a killed process) as interrupted."""
    now = utcnow()
    with engine.begin() as conn:
        sid = None
        if source is not None:
            sid = store.source_id_for(
                conn,
                source,
                kind=source_kind,
                channel=res.profile.channel,
                profile=res.profile.name,
            )
        if file_hash is not None:
            conn.execute(
                update(store.RUNS)
                .where(
                    store.RUNS.c.status == "running",
                    store.RUNS.c.file_hash == file_hash,
                    store.RUNS.c.kind == kind,
                )
                .values(
                    status="interrupted",
                    finished_at=now,
                    error="the process stopped before the run finished; re-run to resume",
                )
            )
        run_id = conn.execute(
            insert(store.RUNS)
            .values(
                kind=kind,
                source_id=sid,
                file_name=file_name,
                file_hash=file_hash,
                profile=res.profile.name,
                mapping=dict(res.mapping),
                status="running",
                rows_read=0,
                inserted=0,
                updated=0,
                unchanged=0,
                quarantined=0,
                started_at=now,
            )
            .returning(store.RUNS.c.id)
        ).scalar_one()
    return int(run_id), sid


def _finish_run(engine: Engine, run_id: int, status: str, error: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(store.RUNS)
            .where(store.RUNS.c.id == run_id)
            .values(status=status, error=error, finished_at=utcnow())
        )


def write_batch(
    engine: Engine,
    batch: RawBatch,
    res: Resolution,
    *,
    run_id: int | None,
    source_id: int | None,
    file_name: str | None,
    all_text: bool,
    wide_metrics: list[str] | None = None,
) -> tuple[store.Counts, prepare.Prepared]:
    """Prepare and store one batch in one transaction, quarantining what cannot be stored."""
    kind = res.kind
    now = utcnow()
    if kind == "feedback":
        assert source_id is not None
        return _write_feedback_batch(
            engine,
            batch,
            res,
            run_id=run_id,
            source_id=source_id,
            file_name=file_name,
            all_text=all_text,
            now=now,
        )
    if kind == "customers":
        prepared = prepare.prepare_customers(batch, res, all_text)
    else:
        prepared = prepare.prepare_metrics(batch, res, wide_metrics)
    bad = list(prepared.bad)
    with engine.begin() as conn:
        if kind == "customers":
            counts = store.write_customers(conn, prepared, run_id=run_id, now=now)
        else:
            counts = store.write_metrics(
                conn,
                prepared,
                source_id=source_id,
                run_id=run_id,
                now=now,
                rows_read=batch.read - len(bad),
            )
        counts.quarantined = store.quarantine_rows(
            conn,
            bad,
            kind=kind,
            source_id=source_id,
            run_id=run_id,
            file_name=file_name,
            now=now,
        )
        if kind == "metrics":
            counts.read = batch.read
        if run_id is not None:
            store.record_progress(conn, run_id, counts)
    return counts, prepared


def _write_feedback_batch(
    engine: Engine,
    batch: RawBatch,
    res: Resolution,
    *,
    run_id: int | None,
    source_id: int,
    file_name: str | None,
    all_text: bool,
    now: Any,
) -> tuple[store.Counts, prepare.Prepared]:
    """Identify rows, drop the ones stored unchanged, convert and store the rest."""
    ident = prepare.feedback_identity(batch, res, all_text)
    with engine.begin() as conn:
        sids = store.feedback_source_ids(conn, ident.sources, source_id)
        existing = store.existing_feedback(conn, sids, ident.dedup_keys)
        todo = [
            i
            for i, (sid, key, chash) in enumerate(
                zip(sids, ident.dedup_keys, ident.content_hashes, strict=True)
            )
            if existing.get((sid, key), (0, ""))[1] != chash
        ]
        unchanged = len(batch.rows) - len(todo)
        if unchanged:
            sub = RawBatch(
                batch.columns,
                [batch.rows[i] for i in todo],
                [batch.row_numbers[i] for i in todo],
                batch.bad,
                batch.position,
            )
            ident = ident.subset(todo)
            sids = [sids[i] for i in todo]
        else:
            sub = batch
        prepared = prepare.prepare_feedback(sub, res, all_text, res.profile.channel, ident)
        kept_sids = [sids[i] for i in prepared.keep]
        counts = store.write_feedback(
            conn, prepared, sids=kept_sids, existing=existing, run_id=run_id, now=now
        )
        counts.read += unchanged
        counts.unchanged += unchanged
        counts.quarantined = store.quarantine_rows(
            conn,
            list(prepared.bad),
            kind="feedback",
            source_id=source_id,
            run_id=run_id,
            file_name=file_name,
            now=now,
        )
        if run_id is not None:
            store.record_progress(conn, run_id, counts)
    return counts, prepared


def _wide_columns(reader: TableReader, res: Resolution, skip: int) -> list[str] | None:
    if res.kind != "metrics" or "value" in res.mapping.values():
        return None
    first = next(reader.batches(200, skip), None)
    if first is None:
        return []
    cols = prepare.wide_metric_columns(first, res)
    if not cols:
        raise InputError(
            "the metrics file has neither a value column nor any numeric metric column",
            hint="use period,name,value (long) or period plus one numeric column per metric",
        )
    return cols


def ingest_file(
    engine: Engine,
    path: str | Path,
    kind: str,
    *,
    source: str | None = None,
    profile: str | None = None,
    mapping: Mapping[str, str] | None = None,
    progress: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    encoding: str | None = None,
    input_format: str | None = None,
    sheet: str | None = None,
) -> IngestSummary:
    """Load one file; safe to re-run (unchanged rows are counted, not rewritten).

    ``mapping`` is ``{input column: canonical field}`` and wins over the profile's.
    ``source`` defaults to the file name without extension.
    """
    import time

    _check_kind(kind)
    started = time.perf_counter()
    p = Path(path)
    reader = open_table(p, fmt=input_format, encoding=encoding, sheet=sheet)
    res = resolve_mapping(kind, reader.columns, reader.lookahead, profile=profile, mapping=mapping)
    wide = _wide_columns(reader, res, res.header_rows)
    source_name = source or source_name_for(p)
    run_id, sid = _start_run(
        engine,
        kind=kind,
        source=source_name,
        res=res,
        file_name=p.name,
        file_hash=file_digest(p),
        source_kind="file",
    )
    summary = IngestSummary(
        run_id=run_id,
        kind=kind,
        source=source_name,
        profile=res.profile.name,
        file=str(p),
        format=reader.format,
        encoding=reader.encoding,
        mapping=dict(res.mapping),
    )
    bulk = _bulk_mode(engine, kind, reader)
    bar = _progress_bar(p.name, reader.total) if progress else None
    try:
        for batch in reader.batches(batch_size, res.header_rows):
            counts, _ = write_batch(
                engine,
                batch,
                res,
                run_id=run_id,
                source_id=sid,
                file_name=p.name,
                all_text=reader.all_text,
                wide_metrics=wide,
            )
            _add(summary, counts)
            if bar is not None:
                bar[0].update(bar[1], completed=batch.position, rows=summary.read)
    except BaseException as exc:
        _finish_run(engine, run_id, "failed", str(exc)[:2000] or type(exc).__name__)
        raise
    finally:
        if bar is not None:
            bar[0].stop()
        if bulk:
            with engine.begin() as conn:
                store.ensure_secondary_indexes(conn)
    _finish_run(engine, run_id, "completed")
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def estimated_rows(reader: TableReader) -> int:
    """Rows in the file: exact for row-counted formats, from a sample for text files."""
    if reader.format not in ("csv", "tsv", "jsonl"):
        return reader.total
    with reader.path.open("rb") as fh:
        sample = fh.read(1 << 20)
    lines = max(sample.count(b"\n"), 1)
    return int(reader.total * lines / max(len(sample), 1))


def _bulk_mode(engine: Engine, kind: str, reader: TableReader) -> bool:
    """Repair indexes a killed bulk load left missing; then decide whether this load is a
    bulk load (SQLite, feedback, a big file into a table that is smaller than the file)."""
    if kind != "feedback" or engine.dialect.name != "sqlite":
        return False
    with engine.begin() as conn:
        store.ensure_secondary_indexes(conn)
        expected = estimated_rows(reader)
        if expected < BULK_LOAD_MIN_ROWS:
            return False
        present = conn.execute(select(func.count()).select_from(store.FEEDBACK)).scalar_one()
        if present >= expected:
            return False
        store.drop_secondary_indexes(conn)
    return True


def _add(summary: IngestSummary, counts: store.Counts) -> None:
    summary.read += counts.read
    summary.inserted += counts.inserted
    summary.updated += counts.updated
    summary.unchanged += counts.unchanged
    summary.quarantined += counts.quarantined


def _progress_bar(name: str, total: int) -> tuple[Any, Any]:
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from cxloop.cli.output import err_console

    bar = Progress(
        TextColumn("[bold]ingest[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%  {task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )
    task = bar.add_task(name, total=max(total, 1), rows=0)
    bar.start()
    return bar, task


def ingest_records(
    engine: Engine,
    records: Iterable[Mapping[str, Any]],
    kind: str,
    *,
    source: str,
    mapping: Mapping[str, str] | None = None,
) -> IngestSummary:
    """Store a batch of records (the HTTP API), idempotent by source and external id.

    Invalid records are quarantined and reported in ``summary.errors`` with their 0-based
    index, while the valid ones are stored. A mapping problem that concerns every record
    (no usable field at all) raises :class:`InputError`.
    """
    import time

    _check_kind(kind)
    started = time.perf_counter()
    items = list(records)
    if len(items) > MAX_RECORDS_PER_CALL:
        raise InputError(
            f"{len(items)} records in one call; the limit is {MAX_RECORDS_PER_CALL}",
            hint="send them in several calls",
        )
    if not source or not str(source).strip():
        raise InputError("a source name is required", hint="name where the records come from")
    batch = RawBatch([], [], [])
    for i, rec in enumerate(items):
        if not isinstance(rec, Mapping):
            from cxloop.ingest.readers import BadRow

            batch.bad.append(BadRow(i + 1, f"item {i} is not an object", repr(rec)[:1000]))
            continue
        for key in rec:
            if str(key) not in batch.columns:
                batch.columns.append(str(key))
    for i, rec in enumerate(items):
        if isinstance(rec, Mapping):
            batch.rows.append([rec.get(c) for c in batch.columns])
            batch.row_numbers.append(i + 1)
    summary = IngestSummary(run_id=None, kind=kind, source=source)
    if not items:
        return summary
    res = resolve_mapping(kind, batch.columns, batch.rows[:5], profile="generic", mapping=mapping)
    wide = None
    if kind == "metrics" and "value" not in res.mapping.values():
        wide = prepare.wide_metric_columns(batch, res)
    run_id, sid = _start_run(
        engine,
        kind=kind,
        source=source,
        res=res,
        file_name=None,
        file_hash=None,
        source_kind="api",
    )
    summary.run_id, summary.profile, summary.mapping = run_id, res.profile.name, dict(res.mapping)
    try:
        counts, prepared = write_batch(
            engine,
            batch,
            res,
            run_id=run_id,
            source_id=sid,
            file_name=None,
            all_text=False,
            wide_metrics=wide,
        )
    except BaseException as exc:
        _finish_run(engine, run_id, "failed", str(exc)[:2000])
        raise
    _add(summary, counts)
    summary.errors = sorted(
        (ItemError(b.row_number - 1, b.field, b.reason) for b in prepared.bad),
        key=lambda e: e.index,
    )
    _finish_run(engine, run_id, "completed")
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def latest_runs(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """The most recent ingestion runs, newest first (for ``cxloop ingest runs``)."""
    r = store.RUNS
    stmt = select(r).order_by(r.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]
