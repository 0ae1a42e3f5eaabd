"""The quarantine: rows that could not be stored, kept verbatim for a person to review.

``retry_quarantined`` re-processes open entries with their run's mapping, corrected by the
mapping the person gives; entries that now pass are stored and marked resolved, the others
stay open with the new reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, select, update

from cxloop.errors import InputError, NotFoundError
from cxloop.ingest import prepare, store
from cxloop.ingest.fields import MULTI_TARGETS, field_names
from cxloop.ingest.mapping import KEEP_AS_EXTRA, Resolution, check_required
from cxloop.ingest.profiles import get_profile
from cxloop.ingest.readers import RawBatch
from cxloop.storage.types import utcnow

Q = store.QUARANTINE
_UNSPLIT = (
    "this line could not be split into columns, so no mapping can fix it; correct the line "
    "in the file and ingest the file again, or discard the entry"
)


def _row(r: Any, sources: dict[int, str]) -> dict[str, Any]:
    return {
        "id": r.id,
        "run_id": r.run_id,
        "kind": r.kind,
        "source": sources.get(r.source_id) if r.source_id else None,
        "file": r.file_name,
        "row": r.row_number,
        "field": r.field,
        "reason": r.reason,
        "status": r.status,
        "created_at": r.created_at,
    }


def _source_names(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return {
            int(i): n for i, n in conn.execute(select(store.SOURCES.c.id, store.SOURCES.c.name))
        }


def list_quarantine(
    engine: Engine,
    *,
    status: str | None = "open",
    kind: str | None = None,
    run_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    stmt = select(Q).order_by(Q.c.id).limit(limit)
    if status and status != "all":
        stmt = stmt.where(Q.c.status == status)
    if kind:
        stmt = stmt.where(Q.c.kind == kind)
    if run_id is not None:
        stmt = stmt.where(Q.c.run_id == run_id)
    sources = _source_names(engine)
    with engine.connect() as conn:
        return [_row(r, sources) for r in conn.execute(stmt)]


def get_quarantined(engine: Engine, entry_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        r = conn.execute(select(Q).where(Q.c.id == entry_id)).first()
    if r is None:
        raise NotFoundError(f"no quarantine entry {entry_id}", hint="see: cxloop quarantine list")
    out = _row(r, _source_names(engine))
    out["raw"] = r.raw
    out["raw_text"] = r.raw_text
    out["resolved_at"] = r.resolved_at
    return out


def discard_quarantined(engine: Engine, ids: list[int]) -> int:
    """Mark entries as discarded (kept for the record, no longer listed as open)."""
    with engine.begin() as conn:
        result = conn.execute(
            update(Q)
            .where(Q.c.id.in_(ids), Q.c.status == "open")
            .values(status="discarded", resolved_at=utcnow())
        )
    return result.rowcount or 0


def _resolution(
    engine: Engine, kind: str, run_id: int | None, columns: list[str], corrected: Mapping[str, str]
) -> Resolution:
    base: dict[str, str] = {}
    profile_name = "generic"
    if run_id is not None:
        with engine.connect() as conn:
            run = conn.execute(select(store.RUNS).where(store.RUNS.c.id == run_id)).first()
        if run is not None:
            base = dict(run.mapping or {})
            profile_name = run.profile or "generic"
    try:
        profile = get_profile(profile_name, kind)
    except InputError:
        profile = get_profile("generic", kind)
    valid = set(field_names(kind))
    mapping = dict(base)
    for col, target in corrected.items():
        matched = col if col in columns or col in mapping else None
        if matched is None:
            raise InputError(
                f"--map names column '{col}', which these rows do not have",
                hint=f"columns are: {', '.join(columns[:40])}",
            )
        target = target.strip().lower()
        if target not in valid and target not in KEEP_AS_EXTRA:
            raise InputError(
                f"'{target}' is not a {kind} field",
                hint=f"map to one of: {', '.join(sorted(valid))}",
            )
        single = target not in MULTI_TARGETS
        for other in [c for c, t in mapping.items() if single and t == target and c != col]:
            del mapping[other]
        if target in KEEP_AS_EXTRA:
            mapping.pop(col, None)
        else:
            mapping[col] = target
    res = Resolution(kind, profile, mapping, 0, dict(profile.value_maps))
    check_required(res, columns)
    return res


def retry_quarantined(
    engine: Engine,
    *,
    ids: list[int] | None = None,
    run_id: int | None = None,
    mapping: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Re-process open entries (chosen by id or by run) with a corrected mapping.

    Returns ``{"retried", "stored", "still_failing", "entries": [...]}``.
    """
    stmt = select(Q).where(Q.c.status == "open").order_by(Q.c.id)
    if ids:
        stmt = stmt.where(Q.c.id.in_(ids))
    if run_id is not None:
        stmt = stmt.where(Q.c.run_id == run_id)
    if not ids and run_id is None:
        raise InputError("say which entries to retry", hint="give ids, --run N or --all")
    with engine.connect() as conn:
        entries = list(conn.execute(stmt))
    groups: dict[tuple[str, int | None, int | None], list[Any]] = {}
    for e in entries:
        groups.setdefault((e.kind, e.source_id, e.run_id), []).append(e)
    report: dict[str, Any] = {
        "retried": len(entries),
        "stored": 0,
        "still_failing": 0,
        "entries": [],
    }
    for (kind, source_id, origin_run), group in groups.items():
        _retry_group(engine, kind, source_id, origin_run, group, mapping or {}, report)
    return report


def _retry_group(
    engine: Engine,
    kind: str,
    source_id: int | None,
    origin_run: int | None,
    group: list[Any],
    corrected: Mapping[str, str],
    report: dict[str, Any],
) -> None:
    now = utcnow()
    splittable = [e for e in group if e.raw and set(e.raw) != {"fields"}]
    failing: dict[int, tuple[str | None, str]] = {
        e.id: (None, _UNSPLIT) for e in group if e not in splittable
    }
    stored: list[int] = []
    if splittable:
        columns: list[str] = []
        for e in splittable:
            columns.extend(c for c in e.raw if c not in columns)
        res = _resolution(engine, kind, origin_run, columns, corrected)
        batch = RawBatch(
            columns,
            [[e.raw.get(c) for c in columns] for e in splittable],
            [e.id for e in splittable],
        )
        with engine.begin() as conn:
            if kind == "feedback":
                keys = {e.id: e.dedup_key for e in splittable}
                stored = _retry_feedback(conn, batch, res, source_id, now, failing, keys)
            elif kind == "customers":
                prepared = prepare.prepare_customers(batch, res, all_text=False)
                store.write_customers(conn, prepared, run_id=origin_run, now=now)
                failing.update({b.row_number: (b.field, b.reason) for b in prepared.bad})
                stored = [e.id for e in splittable if e.id not in failing]
            else:
                wide = None
                if "value" not in res.mapping.values():
                    wide = prepare.wide_metric_columns(batch, res)
                prepared = prepare.prepare_metrics(batch, res, wide)
                store.write_metrics(
                    conn,
                    prepared,
                    source_id=source_id,
                    run_id=origin_run,
                    now=now,
                    rows_read=len(splittable),
                )
                failing.update({b.row_number: (b.field, b.reason) for b in prepared.bad})
                stored = [e.id for e in splittable if e.id not in failing]
            _mark(conn, stored, failing, now)
    else:
        with engine.begin() as conn:
            _mark(conn, [], failing, now)
    report["stored"] += len(stored)
    report["still_failing"] += len(failing)
    for e in group:
        if e.id in failing:
            report["entries"].append(
                {"id": e.id, "row": e.row_number, "status": "open", "reason": failing[e.id][1]}
            )
        else:
            report["entries"].append(
                {"id": e.id, "row": e.row_number, "status": "resolved", "reason": None}
            )


def _retry_feedback(
    conn: Any,
    batch: RawBatch,
    res: Resolution,
    source_id: int | None,
    now: Any,
    failing: dict[int, tuple[str | None, str]],
    keys: Mapping[int, str | None],
) -> list[int]:
    if source_id is None:
        raise InputError("these entries have no source; ingest the corrected file instead")
    ident = prepare.feedback_identity(batch, res, all_text=False)
    for i, entry_id in enumerate(batch.row_numbers):
        # Without an external id, a row is known by the key it had in its file; recomputed
        # from the stored JSON it would differ, and a re-ingest would store it again.
        if ident.external_ids[i] is None and keys.get(entry_id):
            ident.dedup_keys[i] = keys[entry_id]
    sids = store.feedback_source_ids(conn, ident.sources, source_id)
    existing = store.existing_feedback(conn, sids, ident.dedup_keys)
    prepared = prepare.prepare_feedback(batch, res, False, res.profile.channel, ident)
    kept_sids = [sids[i] for i in prepared.keep]
    store.write_feedback(conn, prepared, sids=kept_sids, existing=existing, run_id=None, now=now)
    failing.update({b.row_number: (b.field, b.reason) for b in prepared.bad})
    return [batch.row_numbers[i] for i in prepared.keep]


def _mark(
    conn: Any, stored: list[int], failing: dict[int, tuple[str | None, str]], now: Any
) -> None:
    if stored:
        conn.execute(update(Q).where(Q.c.id.in_(stored)).values(status="resolved", resolved_at=now))
    for entry_id, (fld, reason) in failing.items():
        conn.execute(update(Q).where(Q.c.id == entry_id).values(field=fld, reason=reason))
