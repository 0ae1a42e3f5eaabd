"""The enrichment engine: everything cxloop says about a piece of feedback, in batches.

:class:`TextEngine` combines a backend (sentiment, themes with aspect sentiment) with the
rule-based parts that must stay fast and predictable: clean-up, PII redaction, language,
sentences, signals and the journey. :func:`analyze_texts` runs it in memory;
:func:`enrich_workspace` (in :mod:`cxloop.text.enrich`, re-exported here) stores the
results for a workspace, incrementally.

Bad input never loses a row: empty, whitespace-only or emoji-only text gets ``neutral`` with
zero confidence and language ``und``; a 100 KB paste is analysed on its first
:data:`MAX_MODEL_CHARS` characters (it is still redacted and stored whole); text in a
language the backend was not trained on keeps its result but with confidence capped at
:data:`FOREIGN_CONFIDENCE_CAP`, and its language is stated.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cxloop.text.backends.base import TextBackend, get_backend
from cxloop.text.emoji_words import has_emoji_words
from cxloop.text.journey import (
    Journey,
    JourneyContext,
    JourneyMapper,
    default_journey,
)
from cxloop.text.language import UNDETERMINED, detect_language, without_addresses
from cxloop.text.pii import redact
from cxloop.text.sentences import clean_text, split_sentences
from cxloop.text.signals import detect_signals, leaving_reads_negative, words_of
from cxloop.text.taxonomy import (
    default_taxonomy,
    taxonomy_fingerprint,
)
from cxloop.text.types import Sentiment, TextAnalysis, ThemeDefinition, ThemeMatch

#: Bump when the rule-based parts change in a way that changes stored results.
#: 2: the effort, urgency and churn-risk signals were narrowed, churn risk is also found in
#: six other languages, words of leaving read negative (docs/text.md, Signals), and short
#: Cyrillic texts get their language from a letter or a word before langdetect, and short
#: answers in six other languages are no longer taken for English.
#: 3: a text that is only links or e-mail addresses carries no evidence (neutral, confidence 0,
#: language ``und``), and links and addresses are left out of language detection; redaction
#: also finds accented, apostrophe and hyphenated names, possessives, UK postcodes and US
#: social security numbers.
#: 4: text in several scripts gets the language of the script most of its letters are in, Han
#: without kana or hangul is Chinese (langdetect had read most short Chinese texts as Korean);
#: unsubscribing from e-mails, newsletters or texts is no churn risk; a PO box is an address.
#: 5: the parents of matched themes are stored too (:mod:`cxloop.text.theme_rollup`), so a
#: workspace enriched before gets them on its next run; a list of remarks about several
#: themes ("Great staff, awful website") gives each theme its remark's sentiment when clear;
#: a text mostly in Arabic, Devanagari or another script without a rule of its own is told
#: apart from its own words (a Latin or Han word beside them had given Somali); a purchase
#: made or promised elsewhere ("so I bought it elsewhere") is a churn risk.
PIPELINE_VERSION = "5"
#: The models see at most this many characters of one feedback item.
MAX_MODEL_CHARS = 5000
#: Highest sentiment confidence for text in a language the backend does not cover.
FOREIGN_CONFIDENCE_CAP = 0.5
NO_WORDS = Sentiment(label="neutral", score=0.0, confidence=0.0)


@dataclass(frozen=True)
class BackendChoice:
    """A backend by name with the options to build it with (``adapted``, ``device``...).

    Plain and picklable, so spawned worker processes and the classifier cache build exactly
    the backend the parent built, without options travelling through the environment."""

    name: str
    options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, name: str, **options: Any) -> BackendChoice:
        """Options left at None are not passed: the backend's own default applies."""
        return cls(name, tuple(sorted((k, v) for k, v in options.items() if v is not None)))


BackendSpec = str | BackendChoice | TextBackend


@dataclass(frozen=True)
class TextItem:
    """One text to analyse and what its source says about it."""

    text: str | None
    title: str | None = None
    context: JourneyContext | None = None
    language: str | None = None  # stated by the source; detected when None


def resolve_backend(backend: BackendSpec, **options: Any) -> TextBackend:
    if isinstance(backend, str):
        return get_backend(backend, **options)
    if isinstance(backend, BackendChoice):
        return get_backend(backend.name, **{**dict(backend.options), **options})
    return backend


def backend_name(backend: BackendSpec) -> str | None:
    """The registry name of a backend given by name, None for a backend object."""
    if isinstance(backend, str):
        return backend
    return backend.name if isinstance(backend, BackendChoice) else None


def _has_words(text: str) -> bool:
    """Any letter outside links and e-mail addresses, or an emoji read as a word? A comment
    that is only a link says nothing the models can read: it is neutral with no confidence,
    like an empty one; "👍👍" says "good" (:mod:`cxloop.text.emoji_words`)."""
    return any(ch.isalpha() for ch in without_addresses(text)) or has_emoji_words(text)


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
            signals = detect_signals(text, lower=lower, words=words)
            sentiment = leaving_reads_negative(sentiment, signals, text)
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
                    signals=signals,
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
    backend: BackendSpec,
    taxonomy: tuple[ThemeDefinition, ...],
    journey: Journey,
    workers: int,
    cache_dir: Path | None = None,
) -> None:
    global _WORKER_ENGINE
    if _WORKER_ENGINE is None or _WORKER_ENGINE.taxonomy != taxonomy:
        if cache_dir is not None and backend_name(backend) is not None:
            from cxloop.text.engine_cache import load_engine  # the parent wrote the classifier

            _WORKER_ENGINE = load_engine(backend, taxonomy, journey, cache_dir=cache_dir)
        else:
            _WORKER_ENGINE = TextEngine(backend, taxonomy, journey)
    if "torch" in sys.modules:  # each worker gets its share of the cores, not all of them
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


def _run_in_worker(task: Callable[[TextEngine, Any], Any], payload: Any) -> Any:
    assert _WORKER_ENGINE is not None
    return task(_WORKER_ENGINE, payload)


def _analyze_items(engine: TextEngine, items: list[TextItem]) -> list[TextAnalysis]:
    return engine.analyze(items)


#: Below this many texts a second process costs more to start than it saves.
MIN_ROWS_PER_EXTRA_WORKER = 2_000
#: More processes than this rarely help: the parent alone reads and writes.
MAX_AUTO_WORKERS = 8


def auto_workers(backend_name: str, rows: int | None = None) -> int:
    """How many processes to analyse on when the user does not say (``--workers 0``).

    The ``fast`` backend is single-threaded Python, so every core gets a worker once there
    is enough text; the ``embedding`` backend already spreads one model over all cores with
    PyTorch threads, and a second process would load a second copy of the model.
    """
    if backend_name != "fast":
        return 1
    cores = min(os.cpu_count() or 1, MAX_AUTO_WORKERS)
    if rows is not None:
        cores = min(cores, max(1, rows // MIN_ROWS_PER_EXTRA_WORKER))
    return max(1, cores)


def _pool_context() -> multiprocessing.context.BaseContext:
    """``fork`` shares the loaded backend with the workers at no start-up cost; once PyTorch is
    loaded its threads make forking unsafe, so ``spawn`` is used then."""
    if "torch" in sys.modules or sys.platform != "linux":
        return multiprocessing.get_context("spawn")
    return multiprocessing.get_context("fork")


def map_batches(
    engine: TextEngine,
    batches: Iterable[tuple[Any, Any]],
    task: Callable[[TextEngine, Any], Any],
    workers: int = 1,
    backend_spec: BackendSpec | None = None,
    cache_dir: Path | None = None,
) -> Iterator[tuple[Any, Any]]:
    """Run ``task(engine, payload)`` for ``(key, payload)`` batches, yielding ``(key, result)``
    in input order.

    With ``workers > 1`` batches run on a process pool (at most two batches per worker in
    flight, so memory stays bounded); the caller consumes results in order, which keeps the
    single writer of the database or file simple and the run resumable. ``task`` must be a
    module-level function (it is sent to the workers by reference). Forked workers inherit the
    loaded, warmed engine; spawned ones (PyTorch loaded) load ``backend_spec`` themselves,
    restoring the fitted theme classifier from ``cache_dir`` when given.
    """
    if workers <= 1:
        for key, payload in batches:
            yield key, task(engine, payload)
        return
    global _WORKER_ENGINE
    context = _pool_context()
    if context.get_start_method() == "fork":
        engine.warm_up()  # fit once here; the forked workers inherit the fitted engine
        _WORKER_ENGINE = engine
        initargs: tuple[Any, ...] = (engine.backend, engine.taxonomy, engine.journey, workers)
    else:
        spec = backend_spec if backend_spec is not None else engine.backend
        initargs = (spec, engine.taxonomy, engine.journey, workers, cache_dir)
    pending: deque[tuple[Any, Future[Any]]] = deque()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=initargs
    ) as pool:
        for key, payload in batches:
            pending.append((key, pool.submit(_run_in_worker, task, payload)))
            while len(pending) >= 2 * workers:
                done_key, future = pending.popleft()
                yield done_key, future.result()
        while pending:
            done_key, future = pending.popleft()
            yield done_key, future.result()


def analyze_batches(
    engine: TextEngine,
    batches: Iterable[tuple[Any, list[TextItem]]],
    workers: int = 1,
    backend_spec: BackendSpec | None = None,
    cache_dir: Path | None = None,
) -> Iterator[tuple[Any, list[TextAnalysis]]]:
    """Analyse ``(key, items)`` batches, yielding ``(key, results)`` in input order (see
    :func:`map_batches` for how ``workers`` are used)."""
    yield from map_batches(engine, batches, _analyze_items, workers, backend_spec, cache_dir)


_ENRICH_NAMES = ("ENRICH_LOCK_KEY", "EnrichResult", "count_pending", "enrich_workspace")


def __getattr__(name: str) -> Any:
    """``enrich_workspace`` and friends live in :mod:`cxloop.text.enrich` (imported lazily,
    because that module builds on this one)."""
    if name in _ENRICH_NAMES:
        from cxloop.text import enrich

        return getattr(enrich, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
