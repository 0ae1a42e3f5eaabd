"""Hear through the API: batches of feedback, customers and business metrics.

Each batch goes through the same ingestion service as files, so it is idempotent by source +
external id (re-sending changes nothing), every invalid item comes back with its index, field
and reason (and is kept in quarantine), and the valid items of the same batch are stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from cxloop.web import audit
from cxloop.web.api.schemas import ERRORS, Batch, BatchResult, ItemError
from cxloop.web.deps import Principal, client_ip, get_db, get_engine, require

router = APIRouter(tags=["data"], responses=ERRORS)


def _item_errors(summary: Any) -> list[ItemError]:
    out: list[ItemError] = []
    for err in getattr(summary, "errors", None) or []:
        get = err.get if isinstance(err, dict) else (lambda k, e=err: getattr(e, k, None))
        index = get("index")
        if index is None:
            row = get("row_number") or get("row")
            index = int(row) - 1 if row is not None else -1
        out.append(
            ItemError(
                index=int(index),
                field=get("field"),
                message=str(get("message") or get("reason") or "invalid"),
            )
        )
    return out


def ingest_batch(
    request: Request, kind: str, batch: Batch, principal: Principal, db: Session
) -> BatchResult:
    from cxloop.ingest.loader import ingest_records

    summary = ingest_records(
        get_engine(request), batch.items, kind, source=batch.source, mapping=batch.mapping
    )
    errors = _item_errors(summary)
    result = BatchResult(
        received=len(batch.items),
        inserted=int(getattr(summary, "inserted", 0)),
        updated=int(getattr(summary, "updated", 0)),
        unchanged=int(getattr(summary, "unchanged", 0)),
        rejected=len(errors) or int(getattr(summary, "quarantined", 0)),
        errors=errors,
        run_id=getattr(summary, "run_id", None),
    )
    audit.record(
        db,
        user=principal.user,
        via=principal.via,
        action=f"{kind}.ingest",
        target_type="source",
        target_id=batch.source,
        detail={k: v for k, v in result.model_dump().items() if k != "errors"},
        ip=client_ip(request),
    )
    db.commit()
    if result.inserted or result.updated:
        request.app.state.cache.invalidate()
    return result


@router.post("/feedback", response_model=BatchResult)
def post_feedback(
    request: Request,
    batch: Batch,
    principal: Principal = Depends(require("data.write")),
    db: Session = Depends(get_db),
) -> BatchResult:
    """Store up to 1,000 pieces of feedback (fields as in the file mapping: external_id,
    text, nps, csat, ces, rating, received_at, channel, customer_id, ...)."""
    return ingest_batch(request, "feedback", batch, principal, db)


@router.post("/customers", response_model=BatchResult)
def post_customers(
    request: Request,
    batch: Batch,
    principal: Principal = Depends(require("data.write")),
    db: Session = Depends(get_db),
) -> BatchResult:
    """Store up to 1,000 customers (external_id, name, email, segment, region, revenue, ...)."""
    return ingest_batch(request, "customers", batch, principal, db)


@router.post("/metrics", response_model=BatchResult)
def post_metrics(
    request: Request,
    batch: Batch,
    principal: Principal = Depends(require("data.write")),
    db: Session = Depends(get_db),
) -> BatchResult:
    """Store up to 1,000 business metric values (name, period, value, dimensions)."""
    return ingest_batch(request, "metrics", batch, principal, db)
