"""Workspace enrichment: the text engine over the stored feedback, incrementally.

Only feedback that is new, whose content changed, or that another model version enriched is
processed; batches are written in their own transactions in id order, so a run that is
interrupted (even killed) and started again ends in the same state as one uninterrupted run.
Re-exported by :mod:`cxloop.text.pipeline`.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine, delete, func, insert, or_, select, update

from cxloop.config import Settings
from cxloop.errors import ConflictError
from cxloop.storage.db import transaction
from cxloop.storage.models import Enrichment, Feedback, FeedbackTheme, Source
from cxloop.storage.types import utcnow
from cxloop.text.journey import JourneyContext, load_journey
from cxloop.text.pipeline import (
    BackendChoice,
    BackendSpec,
    TextItem,
    analyze_batches,
    auto_workers,
)
from cxloop.text.taxonomy import ensure_taxonomy, load_taxonomy, theme_ids
from cxloop.text.theme_rollup import PARENT_ORIGIN, roll_up_to_parents, theme_ancestors
from cxloop.text.types import TextAnalysis

#: PostgreSQL advisory lock key of ``enrich`` (any constant; "cxenrich" in ASCII).
ENRICH_LOCK_KEY = 0x6378656E72696368

ProgressCallback = Callable[[int], None]


@dataclass
class EnrichResult:
    """What one ``enrich`` run did. ``pending`` is what needed work when it started."""

    backend: str
    model_version: str
    workers: int
    total_feedback: int
    pending: int
    enriched: int
    themes_assigned: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.enriched / self.seconds if self.seconds > 0 else 0.0


def _needs_work(version: str) -> Any:
    return or_(
        Enrichment.feedback_id.is_(None),
        Enrichment.content_hash != Feedback.content_hash,
        Enrichment.model_version != version,
    )


def count_pending(db: Engine, version: str) -> tuple[int, int]:
    """(feedback needing enrichment by ``version``, all feedback)."""
    with db.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(Feedback)) or 0
        pending = (
            conn.scalar(
                select(func.count())
                .select_from(Feedback)
                .outerjoin(Enrichment, Enrichment.feedback_id == Feedback.id)
                .where(_needs_work(version))
            )
            or 0
        )
    return int(pending), int(total)


def _pending_batches(
    db: Engine, version: str, batch_size: int, limit: int | None
) -> Iterator[tuple[list[tuple[int, str]], list[TextItem]]]:
    """Batches of feedback needing work, by ascending id (keyset pagination, so rows written
    meanwhile never shift the window)."""
    last_id = 0
    produced = 0
    while limit is None or produced < limit:
        size = batch_size if limit is None else min(batch_size, limit - produced)
        stmt = (
            select(
                Feedback.id,
                Feedback.content_hash,
                Feedback.title,
                Feedback.text,
                Feedback.language,
                Feedback.channel,
                Feedback.journey_stage,
                Feedback.touchpoint,
                Source.channel.label("source_channel"),
                Source.name.label("source_name"),
            )
            .join(Source, Source.id == Feedback.source_id)
            .outerjoin(Enrichment, Enrichment.feedback_id == Feedback.id)
            .where(Feedback.id > last_id, _needs_work(version))
            .order_by(Feedback.id)
            .limit(size)
        )
        with db.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            return
        last_id = rows[-1].id
        produced += len(rows)
        keys = [(row.id, row.content_hash) for row in rows]
        items = [
            TextItem(
                text=row.text,
                title=row.title,
                language=row.language or None,
                context=JourneyContext(
                    journey_stage=row.journey_stage,
                    touchpoint=row.touchpoint,
                    channels=tuple(
                        c for c in (row.channel, row.source_channel, row.source_name) if c
                    ),
                ),
            )
            for row in rows
        ]
        yield keys, items


def _store_batch(
    db: Engine,
    keys: list[tuple[int, str]],
    results: list[TextAnalysis],
    theme_id_by_name: dict[str, int],
    keep_original_text: bool,
    ancestors: Mapping[int, Sequence[int]],
) -> int:
    """Replace the enrichment of one batch in one transaction (all or nothing: a run killed
    mid-batch leaves that batch pending, never half-written). Corrections by people are kept
    and win over the model's match for the same theme; parents of matched themes get their
    rows (:mod:`cxloop.text.theme_rollup`). Returns the number of direct theme matches."""
    ids = [fid for fid, _ in keys]
    enrichment_rows: list[dict[str, Any]] = []
    theme_rows: list[dict[str, Any]] = []
    for (fid, content_hash), analysis in zip(keys, results, strict=True):
        signals = list(analysis.signals)
        enrichment_rows.append(
            {
                "feedback_id": fid,
                "model_version": analysis.model_version,
                "content_hash": content_hash,
                "language": analysis.language,
                "sentiment_label": analysis.sentiment.label,
                "sentiment_score": float(analysis.sentiment.score),
                "sentiment_confidence": float(analysis.sentiment.confidence),
                "journey_stage": analysis.journey_stage,
                "touchpoint": analysis.touchpoint,
                "stage_source": analysis.stage_source,
                "effort": "effort" in signals,
                "urgency": "urgency" in signals,
                "churn_risk": "churn_risk" in signals,
                "signals": signals,
                "sentences": list(analysis.sentences),
                "redacted_title": analysis.redacted_title,
                "redacted_text": analysis.redacted_text,
                "enriched_at": utcnow(),
            }
        )
        seen: set[int] = set()
        for match in analysis.themes:
            theme_id = theme_id_by_name.get(match.name)
            if theme_id is None or theme_id in seen:
                continue
            seen.add(theme_id)
            theme_rows.append(
                {
                    "feedback_id": fid,
                    "theme_id": theme_id,
                    "confidence": float(match.confidence),
                    "sentiment_label": match.sentiment.label,
                    "sentiment_score": float(match.sentiment.score),
                    "origin": "model",
                    "extra": {},
                }
            )
    with transaction(db) as session:
        session.execute(
            delete(FeedbackTheme).where(
                FeedbackTheme.feedback_id.in_(ids),
                FeedbackTheme.origin.in_(("model", PARENT_ORIGIN)),
            )
        )
        kept = set(
            session.execute(
                select(FeedbackTheme.feedback_id, FeedbackTheme.theme_id).where(
                    FeedbackTheme.feedback_id.in_(ids)
                )
            ).tuples()
        )
        theme_rows = [r for r in theme_rows if (r["feedback_id"], r["theme_id"]) not in kept]
        session.execute(delete(Enrichment).where(Enrichment.feedback_id.in_(ids)))
        session.execute(insert(Enrichment), enrichment_rows)
        if theme_rows:
            session.execute(insert(FeedbackTheme), theme_rows)
        roll_up_to_parents(session, ids, ancestors)
        if not keep_original_text:
            session.execute(
                update(Feedback),
                [
                    {
                        "id": row["feedback_id"],
                        "text": row["redacted_text"],
                        "title": row["redacted_title"],
                    }
                    for row in enrichment_rows
                ],
            )
        # Closed loop: with 'cxloop loop auto --on', rules run on the re-enriched feedback in
        # this same transaction (a no-op otherwise).
        from cxloop.loop.engine import run_rules_if_enabled

        run_rules_if_enabled(session, ids)
    return len(theme_rows)


def workspace_backend(settings: Settings, name: str | None = None) -> BackendChoice:
    """The backend ``cxloop enrich`` runs in this workspace: ``name`` or the ``text_backend``
    setting, with the ``text_adapted`` file when one is set. Teaching fits its heads on the
    same base, so what is taught applies to what is enriched."""
    adapted = str(settings.text_adapted) if settings.text_adapted is not None else None
    return BackendChoice.of(name or settings.text_backend, adapted=adapted)


def enrich_workspace(
    db: Engine,
    settings: Settings,
    backend: BackendSpec | None = None,
    *,
    workers: int = 1,
    progress: bool | ProgressCallback = True,
    batch_size: int = 1000,
    limit: int | None = None,
) -> EnrichResult:
    """Enrich the feedback that is new, changed, or enriched by another model version.

    Incremental and resumable: each batch is stored in its own transaction, and what is
    pending is recomputed from the database, so a run that is killed and started again ends
    in the same state as one uninterrupted run. The workspace's taxonomy (the default one
    when it has none) and journey are seeded on first use. ``workers > 1`` analyses batches
    on that many processes while this process alone writes; ``workers=0`` picks the number
    (:func:`~cxloop.text.pipeline.auto_workers`).
    """
    with _single_run(db, settings):
        return _enrich(db, settings, backend, workers, progress, batch_size, limit)


@contextmanager
def _single_run(db: Engine, settings: Settings) -> Iterator[None]:
    """Only one enrichment per workspace at a time: two overlapping runs (a cron job and a
    person) would redo the same batches and, on PostgreSQL, collide on inserts. PostgreSQL
    uses a session advisory lock; SQLite a lock file next to the workspace."""
    busy = ConflictError(
        "another 'cxloop enrich' is already running on this workspace",
        hint="wait for it to finish; it enriches everything that is pending",
    )
    if db.dialect.name == "postgresql":
        with db.connect() as conn:
            acquired = conn.scalar(select(func.pg_try_advisory_lock(ENRICH_LOCK_KEY)))
            conn.commit()  # the lock is the session's; no transaction stays open meanwhile
            if not acquired:
                raise busy
            try:
                yield
            finally:
                conn.scalar(select(func.pg_advisory_unlock(ENRICH_LOCK_KEY)))
                conn.commit()
        return
    settings.home.mkdir(parents=True, exist_ok=True)
    with (settings.home / "enrich.lock").open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise busy from exc
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _enrich(
    db: Engine,
    settings: Settings,
    backend: BackendSpec | None,
    workers: int,
    progress: bool | ProgressCallback,
    batch_size: int,
    limit: int | None,
) -> EnrichResult:
    ensure_taxonomy(db)
    taxonomy = load_taxonomy(db, seed=False)
    journey = load_journey(db)
    spec: BackendSpec = (
        workspace_backend(settings, backend)
        if backend is None or isinstance(backend, str)
        else backend
    )
    from cxloop.text.engine_cache import load_engine

    cache_dir = settings.home / "cache"
    engine = load_engine(spec, taxonomy, journey, cache_dir=cache_dir)
    from cxloop.text.model_registry import TaughtBackend, with_workspace_models

    engine = with_workspace_models(db, engine)  # taught heads and corrections, if any
    if isinstance(engine.backend, TaughtBackend):
        spec = engine.backend  # spawned workers need the heads too, not just the name
    version = engine.model_version
    theme_id_by_name = theme_ids(db)
    with transaction(db) as session:
        ancestors = theme_ancestors(session)
    pending, total = count_pending(db, version)
    if limit is not None:
        pending = min(pending, limit)
    started = time.perf_counter()
    enriched = themes_assigned = 0
    if workers == 0:
        workers = auto_workers(engine.backend.name, pending)
    workers = max(1, min(workers, os.cpu_count() or 1, max(1, pending // batch_size)))
    if workers > 1:
        db.dispose()  # no pooled connection may be shared with forked workers

    report: ProgressCallback | None = progress if callable(progress) else None
    bar: Progress | None = None
    if progress is True and pending:
        bar = Progress(
            TextColumn("enriching"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        task = bar.add_task("enrich", total=pending, rate="")
        bar.start()

        def report(n: int) -> None:
            elapsed = time.perf_counter() - started
            bar.update(task, advance=n, rate=f"{enriched / elapsed:,.0f}/s" if elapsed else "")

    try:
        batches = _pending_batches(db, version, batch_size, limit)
        for keys, results in analyze_batches(
            engine, batches, workers, backend_spec=spec, cache_dir=cache_dir
        ):
            themes_assigned += _store_batch(
                db, keys, results, theme_id_by_name, settings.keep_original_text, ancestors
            )
            enriched += len(keys)
            if report is not None:
                report(len(keys))
    finally:
        if bar is not None:
            bar.stop()
    return EnrichResult(
        backend=engine.backend.name,
        model_version=version,
        workers=workers,
        total_feedback=total,
        pending=pending,
        enriched=enriched,
        themes_assigned=themes_assigned,
        seconds=time.perf_counter() - started,
    )
