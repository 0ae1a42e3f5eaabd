"""Data sources: upload a file, preview and adjust the column mapping, ingest, and review the
quarantine. Uploads are kept in the workspace (``uploads/``) under a random id, with a cleaned
file name, so a crafted name cannot escape the folder; ingestion uses the same service as
``cxloop ingest`` (idempotent, bad rows quarantined with their reason).
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.errors import CxloopError, InputError, NotFoundError
from cxloop.ingest.fields import KINDS, field_names
from cxloop.storage.models import QuarantinedRow, Source
from cxloop.storage.types import utcnow
from cxloop.web import audit
from cxloop.web.deps import Principal, client_ip, get_db, get_engine, get_settings, require
from cxloop.web.rendering import render

log = logging.getLogger(__name__)
router = APIRouter(prefix="/data")
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _uploads(request: Request) -> Path:
    return get_settings(request).home / "uploads"


def _upload_path(request: Request, upload_id: str) -> Path:
    if not _UPLOAD_ID.match(upload_id):
        raise NotFoundError("no such upload")
    folder = _uploads(request) / upload_id
    files = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    if not files:
        raise NotFoundError("no such upload", hint="upload the file again")
    return files[0]


def _clean_name(name: str | None) -> str:
    base = Path(name or "upload.csv").name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "upload.csv"
    return base[:120]


@router.get("")
def sources(
    request: Request,
    principal: Principal = Depends(require("data.write")),
    db: Session = Depends(get_db),
) -> Response:
    from cxloop.ingest.loader import latest_runs

    runs = latest_runs(get_engine(request), limit=20)
    names = {s.id: s.name for s in db.scalars(select(Source))}
    open_quarantine = db.scalar(
        select(func.count()).select_from(QuarantinedRow).where(QuarantinedRow.status == "open")
    )
    return render(
        request,
        "data.html",
        {
            "runs": runs,
            "sources": names,
            "kinds": KINDS,
            "open_quarantine": int(open_quarantine or 0),
        },
    )


@router.post("/upload")
async def upload(
    request: Request,
    file: UploadFile = File(...),
    kind: str = Form("feedback"),
    principal: Principal = Depends(require("data.write")),
) -> Response:
    if kind not in KINDS:
        raise InputError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    upload_id = secrets.token_urlsafe(18)
    folder = _uploads(request) / upload_id
    folder.mkdir(parents=True, exist_ok=False)
    target = folder / _clean_name(file.filename)
    size = 0
    with target.open("wb") as out:
        while chunk := await file.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise InputError(
                    "the file is larger than 512 MB",
                    hint="use 'cxloop ingest' for very large files",
                )
            out.write(chunk)
    return RedirectResponse(f"/data/preview/{upload_id}?kind={kind}", status_code=303)


def _preview(path: Path, kind: str, mapping: dict[str, str] | None = None) -> dict[str, Any]:
    from cxloop.ingest.mapping import resolve_mapping
    from cxloop.ingest.readers import open_table

    reader = open_table(path)
    res = resolve_mapping(kind, reader.columns, reader.lookahead, mapping=mapping, require=False)
    rows = []
    for batch in reader.batches(10):
        rows = batch.rows[:10]
        break
    return {
        "columns": reader.columns,
        "proposed": res.mapping,
        "profile": res.profile.name,
        "rows": rows,
        "format": reader.format,
    }


@router.get("/preview/{upload_id}")
def preview(
    request: Request,
    upload_id: str,
    kind: str = Query("feedback"),
    principal: Principal = Depends(require("data.write")),
) -> Response:
    if kind not in KINDS:
        raise InputError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    path = _upload_path(request, upload_id)
    data = _preview(path, kind)
    return render(
        request,
        "data_preview.html",
        {
            "upload_id": upload_id,
            "kind": kind,
            "file_name": path.name,
            "fields": field_names(kind),
            "source": path.stem,
            "error": None,
            **data,
        },
    )


@router.post("/ingest")
async def ingest(
    request: Request,
    principal: Principal = Depends(require("data.write")),
) -> Response:
    """Check the mapping at once, then ingest in the background and show the progress."""
    form = await request.form()
    upload_id = str(form.get("upload_id", ""))
    kind = str(form.get("kind", "feedback"))
    source = str(form.get("source", "")).strip()[:200]
    if kind not in KINDS:
        raise InputError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    path = _upload_path(request, upload_id)
    mapping = {}
    for key, value in form.multi_items():
        if key.startswith("map:") and isinstance(value, str):
            mapping[key[4:]] = value or "extra"
    try:
        _preview(path, kind, mapping)
    except CxloopError as exc:
        data = _preview(path, kind)
        return render(
            request,
            "data_preview.html",
            {
                "upload_id": upload_id,
                "kind": kind,
                "file_name": path.name,
                "fields": field_names(kind),
                "source": source or path.stem,
                "error": str(exc),
                **data,
            },
            status_code=exc.http_status,
        )
    job = start_ingest_job(request, principal, path, kind, source or None, mapping)
    return RedirectResponse(f"/data/jobs/{job}", status_code=303)


def start_ingest_job(
    request: Request,
    principal: Principal,
    path: Path,
    kind: str,
    source: str | None,
    mapping: dict[str, str],
) -> str:
    """Run ``ingest_file`` in a thread; the job page polls its progress in ``ingest_runs``."""
    import threading

    from cxloop.ingest.loader import ingest_file

    app = request.app
    jobs: dict[str, dict[str, Any]] = app.state.__dict__.setdefault("ingest_jobs", {})
    job_id = secrets.token_urlsafe(12)
    jobs[job_id] = {
        "status": "running",
        "file": path.name,
        "kind": kind,
        "summary": None,
        "error": None,
        "user_id": principal.user.id,
    }
    user_id, ip = principal.user.id, client_ip(request)

    def run() -> None:
        # Whatever happens, the job ends: a job left "running" would make its page poll forever.
        try:
            finish()
        except Exception as exc:  # reported on the job page; the run row says failed
            log.exception("ingestion job %s failed", job_id)
            jobs[job_id].update(status="failed", error=str(exc))

    def finish() -> None:
        from cxloop.storage.models import User

        summary = ingest_file(app.state.engine, path, kind, source=source, mapping=mapping)
        with app.state.sessionmaker() as db:
            audit.record(
                db,
                user=db.get(User, user_id),
                action=f"{kind}.ingest",
                target_type="ingest_run",
                target_id=summary.run_id,
                ip=ip,
                detail={
                    "file": path.name,
                    "source": summary.source,
                    "read": summary.read,
                    "inserted": summary.inserted,
                    "updated": summary.updated,
                    "quarantined": summary.quarantined,
                    "mapping": mapping,
                },
            )
            db.commit()
        app.state.cache.invalidate()
        jobs[job_id].update(status="done", summary=summary)

    threading.Thread(target=run, daemon=True, name=f"ingest-{job_id}").start()
    return job_id


@router.get("/jobs/{job_id}")
def job_page(
    request: Request,
    job_id: str,
    principal: Principal = Depends(require("data.write")),
    db: Session = Depends(get_db),
) -> Response:
    from cxloop.storage.models import IngestRun

    job = getattr(request.app.state, "ingest_jobs", {}).get(job_id)
    if job is None:
        raise NotFoundError("no such ingestion job", hint="it may have finished before a restart")
    if job["status"] == "done":
        return render(request, "data_done.html", {"summary": job["summary"]})
    run = db.scalars(
        select(IngestRun)
        .where(IngestRun.file_name.like(f"%{job['file']}"))
        .order_by(IngestRun.id.desc())
        .limit(1)
    ).first()
    return render(
        request,
        "data_progress.html",
        {"job": job, "run": run},
        status_code=422 if job["status"] == "failed" else 200,
    )


@router.get("/quarantine")
def quarantine(
    request: Request,
    status: str = Query("open", pattern="^(open|resolved|discarded)$"),
    principal: Principal = Depends(require("data.write")),
    db: Session = Depends(get_db),
) -> Response:
    rows = list(
        db.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.status == status)
            .order_by(QuarantinedRow.id.desc())
            .limit(500)
        )
    )
    return render(request, "quarantine.html", {"rows": rows, "status": status})


def _open_row(db: Session, row_id: int) -> QuarantinedRow:
    row = db.get(QuarantinedRow, row_id)
    if row is None:
        raise NotFoundError(f"no quarantined row {row_id}")
    return row


@router.get("/quarantine/{row_id}")
def review(
    request: Request,
    row_id: int,
    principal: Principal = Depends(require("data.write")),
    db: Session = Depends(get_db),
) -> Response:
    """One refused row with its reason, its fields editable before a retry."""
    row = _open_row(db, row_id)
    return render(
        request, "quarantine_row.html", {"row": row, "fields": dict(row.raw or {}), "error": None}
    )


@router.post("/quarantine/{row_id}/retry")
async def retry(
    request: Request,
    row_id: int,
    principal: Principal = Depends(require("data.write")),
    db: Session = Depends(get_db),
) -> Response:
    """Send the row's (corrected) fields through ingestion again, with its run's mapping."""
    from starlette.concurrency import run_in_threadpool

    from cxloop.ingest.loader import ingest_records
    from cxloop.storage.models import IngestRun

    row = _open_row(db, row_id)
    form = await request.form()
    edited = {k[2:]: v for k, v in form.multi_items() if k.startswith("f:") and isinstance(v, str)}
    record = {**(row.raw or {}), **edited}
    run = db.get(IngestRun, row.run_id) if row.run_id else None
    mapping = {c: f for c, f in ((run.mapping or {}) if run else {}).items() if c in record}
    source = db.get(Source, row.source_id) if row.source_id else None
    try:
        summary = await run_in_threadpool(
            ingest_records,
            get_engine(request),
            [record],
            row.kind,
            source=source.name if source else "quarantine-retry",
            mapping=mapping or None,
        )
        errors = [f"{e.field or 'row'}: {e.message}" for e in summary.errors]
    except CxloopError as exc:
        errors = [str(exc)]
    if errors:
        return render(
            request,
            "quarantine_row.html",
            {"row": row, "fields": record, "error": "; ".join(errors)},
            status_code=422,
        )
    row.status = "resolved"
    row.resolved_at = utcnow()
    audit.record(
        db,
        user=principal.user,
        action="quarantine.retry",
        target_type="quarantine",
        target_id=row_id,
        ip=client_ip(request),
        detail={"stored": True, "edited": sorted(edited)},
    )
    db.commit()
    request.app.state.cache.invalidate()
    return RedirectResponse("/data/quarantine", status_code=303)


@router.post("/quarantine/{row_id}/discard")
def discard(
    request: Request,
    row_id: int,
    principal: Principal = Depends(require("data.write")),
    db: Session = Depends(get_db),
) -> Response:
    row = _open_row(db, row_id)
    row.status = "discarded"
    row.resolved_at = utcnow()
    audit.record(
        db,
        user=principal.user,
        action="quarantine.discard",
        target_type="quarantine",
        target_id=row_id,
        ip=client_ip(request),
    )
    db.commit()
    return RedirectResponse("/data/quarantine", status_code=303)
