"""The enrichment engine: everything cxloop says about a piece of feedback, in batches.

:class:`TextEngine` combines a backend (sentiment, themes with aspect sentiment) with the
rule-based parts that must stay fast and predictable: clean-up, PII redaction, language,
sentences, signals and the journey. :func:`analyze_texts` runs it in memory;
:func:`enrich_workspace` stores the results for a workspace, incrementally.

Bad input never loses a row: empty, whitespace-only or emoji-only text gets ``neutral`` with
zero confidence and language ``und``; a 100 KB paste is analysed on its first
:data:`MAX_MODEL_CHARS` characters (it is still redacted and stored whole); text in a
language the backend was not trained on keeps its result but with confidence capped at
:data:`FOREIGN_CONFIDENCE_CAP`, and its language is stated.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine, delete, func, insert, or_, select, update

from cxloop.config import Settings
from cxloop.errors import ConflictError
from cxloop.storage.db import transaction
from cxloop.storage.models import Enrichment, Feedback, FeedbackTheme, Source
from cxloop.storage.types import utcnow
from cxloop.text.backends.base import TextBackend, get_backend
from cxloop.text.journey import (
    Journey,
    JourneyContext,
    JourneyMapper,
    default_journey,
    load_journey,
)
from cxloop.text.language import UNDETERMINED, detect_language
from cxloop.text.pii import redact
from cxloop.text.sentences import clean_text, split_sentences
from cxloop.text.signals import detect_signals, words_of
from cxloop.text.taxonomy import (
    default_taxonomy,
    ensure_taxonomy,
    load_taxonomy,
    taxonomy_fingerprint,
    theme_ids,
)
from cxloop.text.types import Sentiment, TextAnalysis, ThemeDefinition, ThemeMatch

#: Bump when the rule-based parts change in a way that changes stored results.
PIPELINE_VERSION = "1"
#: The models see at most this many characters of one feedback item.
MAX_MODEL_CHARS = 5000
#: Highest sentiment confidence for text in a language the backend does not cover.
FOREIGN_CONFIDENCE_CAP = 0.5
#: PostgreSQL advisory lock key of ``enrich`` (any constant; "cxenrich" in ASCII).
ENRICH_LOCK_KEY = 0x6378656E72696368
NO_WORDS = Sentiment(label="neutral", score=0.0, confidence=0.0)

BackendSpec = str | TextBackend


@dataclass(frozen=True)
class TextItem:
    """One text to analyse and what its source says about it."""

    text: str | None
    title: str | None = None
    context: JourneyContext | None = None
    language: str | None = None  # stated by the source; detected when None


def resolve_backend(backend: BackendSpec, **options: Any) -> TextBackend:
    return get_backend(backend, **options) if isinstance(backend, str) else backend


def _has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


class TextEngine:
    """A backend plus taxonomy and journey, reused batch after batch (fit once, run many)."""

    def __init__(
        self,
        backend: BackendSpec = "fast",
        taxonomy: Sequence[ThemeDefinition] | None = None,
        journey: Journey | None = None,
    ) -> None:
        self.backend = resolve_backend(backend)
        self.taxonomy = tuple(default_taxonomy() if taxonomy is None else taxonomy)
        self.journey = journey or default_journey()
        self.mapper = JourneyMapper(self.journey)
        self.languages = tuple(getattr(self.backend, "languages", ("en",)))

    @property
    def model_version(self) -> str:
        """Backend version plus fingerprints of taxonomy, journey and rules: a change to any
        of them makes ``enrich`` redo the affected rows."""
        version = (
            f"{self.backend.version}|tax:{taxonomy_fingerprint(self.taxonomy)}"
            f"|jny:{self.journey.fingerprint()}|pipe:{PIPELINE_VERSION}"
        )
        return version[:120]

    def _model_results(self, texts: list[str]) -> tuple[list[Sentiment], list[list[ThemeMatch]]]:
        if not texts:
            return [], []
        analyse = getattr(self.backend, "analyse", None)
        if callable(analyse):
            sentiments, themes = analyse(texts, self.taxonomy)
            return list(sentiments), [list(t) for t in themes]
        sentiments = self.backend.sentiment(texts)
        themes = self.backend.themes(texts, self.taxonomy) if self.taxonomy else [[] for _ in texts]
        return list(sentiments), [list(t) for t in themes]

    def warm_up(self) -> None:
        """Run the backend once so that anything it fits lazily (theme classifiers for the
        taxonomy) is ready before the engine is copied into worker processes."""
        self.analyze([TextItem(text="warm up the models")])

    def analyze(self, items: Sequence[TextItem]) -> list[TextAnalysis]:
        """One :class:`TextAnalysis` per item, in order; never drops an item."""
        bodies = [clean_text(item.text) for item in items]
        titles = [clean_text(item.title) for item in items]
        cleaned = [
            f"{title}. {body}" if title and body else title or body
            for body, title in zip(bodies, titles, strict=True)
        ]
        wordy = [i for i, text in enumerate(cleaned) if _has_words(text)]
        sentiments, themes = self._model_results([cleaned[i][:MAX_MODEL_CHARS] for i in wordy])
        by_index = {i: (sentiments[k], themes[k]) for k, i in enumerate(wordy)}
        version = self.model_version
        results: list[TextAnalysis] = []
        for i, item in enumerate(items):
            text = cleaned[i]
            lower = text[:20000].lower()
            words = words_of(lower)
            language = item.language or detect_language(text, words=words)
            sentiment, matches = by_index.get(i, (NO_WORDS, []))
            foreign = language not in self.languages and language != UNDETERMINED
            if foreign and sentiment.confidence > FOREIGN_CONFIDENCE_CAP:
                sentiment = replace(sentiment, confidence=FOREIGN_CONFIDENCE_CAP)
            matches = sorted(matches, key=lambda m: m.confidence, reverse=True)
            placement = self.mapper.place(text, matches, item.context, lower=lower, words=words)
            redacted_body = redact(bodies[i], words=words) if item.text is not None else None
            redacted_title = redact(titles[i], words=words) if item.title is not None else None
            results.append(
                TextAnalysis(
                    language=language,
                    sentiment=sentiment,
                    themes=matches,
                    journey_stage=placement.stage,
                    touchpoint=placement.touchpoint,
                    stage_source=placement.source,
                    signals=detect_signals(text, lower=lower, words=words),
                    sentences=split_sentences(redacted_body),
                    redacted_text=redacted_body,
                    redacted_title=redacted_title,
                    model_version=version,
                )
            )
        return results


def analyze_texts(
    texts: Sequence[str | None],
    backend: BackendSpec = "fast",
    *,
    taxonomy: Sequence[ThemeDefinition] | None = None,
    journey: Journey | None = None,
    titles: Sequence[str | None] | None = None,
    contexts: Sequence[JourneyContext | None] | None = None,
) -> list[TextAnalysis]:
    """Analyse texts in memory (no database): the default taxonomy and journey unless given.

    Example: ``analyze_texts(["my parcel never came"])[0].themes[0].name == "Delivery"``.
    """
    engine = TextEngine(backend, taxonomy, journey)
    items = [
        TextItem(
            text=text,
            title=titles[i] if titles is not None else None,
            context=contexts[i] if contexts is not None else None,
        )
        for i, text in enumerate(texts)
    ]
    return engine.analyze(items)


# --- running batches on several processes ------------------------------------------------------

_WORKER_ENGINE: TextEngine | None = None


def _init_worker(
    backend: BackendSpec, taxonomy: tuple[ThemeDefinition, ...], journey: Journey
) -> None:
    global _WORKER_ENGINE
    if _WORKER_ENGINE is None or _WORKER_ENGINE.taxonomy != taxonomy:
        _WORKER_ENGINE = TextEngine(backend, taxonomy, journey)


def _analyze_in_worker(items: list[TextItem]) -> list[TextAnalysis]:
    assert _WORKER_ENGINE is not None
    return _WORKER_ENGINE.analyze(items)


def _pool_context() -> multiprocessing.context.BaseContext:
    """``fork`` shares the loaded backend with the workers at no start-up cost; once PyTorch is
    loaded its threads make forking unsafe, so ``spawn`` is used then."""
    if "torch" in sys.modules or sys.platform != "linux":
        return multiprocessing.get_context("spawn")
    return multiprocessing.get_context("fork")


def analyze_batches(
    engine: TextEngine,
    batches: Iterable[tuple[Any, list[TextItem]]],
    workers: int = 1,
    backend_spec: BackendSpec | None = None,
) -> Iterator[tuple[Any, list[TextAnalysis]]]:
    """Analyse ``(key, items)`` batches, yielding ``(key, results)`` in input order.

    With ``workers > 1`` batches run on a process pool (at most two batches per worker in
    flight, so memory stays bounded); the caller consumes results in order, which keeps the
    single writer of the database simple and the run resumable.
    """
    if workers <= 1:
        for key, items in batches:
            yield key, engine.analyze(items)
        return
    global _WORKER_ENGINE
    context = _pool_context()
    if context.get_start_method() == "fork":
        engine.warm_up()  # fit once here; the forked workers inherit the fitted engine
        _WORKER_ENGINE = engine
        initargs: tuple[Any, ...] = (engine.backend, engine.taxonomy, engine.journey)
    else:
        spec = backend_spec if backend_spec is not None else engine.backend
        initargs = (spec, engine.taxonomy, engine.journey)
    pending: deque[tuple[Any, Future[list[TextAnalysis]]]] = deque()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=initargs
    ) as pool:
        for key, items in batches:
            pending.append((key, pool.submit(_analyze_in_worker, items)))
            while len(pending) >= 2 * workers:
                done_key, future = pending.popleft()
                yield done_key, future.result()
        while pending:
            done_key, future = pending.popleft()
            yield done_key, future.result()


# --- the workspace: incremental, resumable enrichment -----------------------------------------

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
) -> int:
    """Replace the enrichment of one batch in one transaction (all or nothing: a run killed
    mid-batch leaves that batch pending, never half-written). Corrections by people are kept
    and win over the model's match for the same theme."""
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
                FeedbackTheme.feedback_id.in_(ids), FeedbackTheme.origin == "model"
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
    return len(theme_rows)


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
    on that many processes while this process alone writes.
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
    spec = backend if backend is not None else settings.text_backend
    from cxloop.text.engine_cache import load_engine

    engine = load_engine(spec, taxonomy, journey, cache_dir=settings.home / "cache")
    version = engine.model_version
    theme_id_by_name = theme_ids(db)
    pending, total = count_pending(db, version)
    if limit is not None:
        pending = min(pending, limit)
    started = time.perf_counter()
    enriched = themes_assigned = 0
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
        for keys, results in analyze_batches(engine, batches, workers, backend_spec=spec):
            themes_assigned += _store_batch(
                db, keys, results, theme_id_by_name, settings.keep_original_text
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
