"""Versioned workspace models: store, activate, roll back, and wrap a backend with them.

Each version is stored in the database (``model_versions``) as an ``.npz`` archive of plain
arrays and JSON (a sentiment head's weights; a theme version's taught examples), so a backup
of the database is a backup of the models and nothing is unpickled. The wrapped backend's
``version`` names the active versions, so enrichment made with another version is re-done
incrementally, and a rollback makes it current again.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from cxloop.errors import NotFoundError
from cxloop.storage.db import transaction
from cxloop.storage.models import ModelVersion, TaughtExample
from cxloop.text.backends.base import TextBackend, get_backend
from cxloop.text.teach import NOT_PREFIX, SentimentHead, ThemeExamples, head_features, text_key
from cxloop.text.types import SENTIMENT_LABELS, Sentiment, ThemeDefinition, ThemeMatch

log = logging.getLogger(__name__)


def _to_blob(model: SentimentHead | ThemeExamples) -> bytes:
    buf = io.BytesIO()
    meta: dict[str, Any]
    if isinstance(model, ThemeExamples):
        meta = {
            "kind": "theme_examples",
            "examples": model.examples_,
            "counter_examples": model.counter_examples_,
        }
        np.savez_compressed(buf, meta=np.array(json.dumps(meta)))
        return buf.getvalue()
    meta = {
        "kind": "sentiment",
        "classes": model.classes_,
        "C": model.C,
        "prior_weight": model.prior_weight,
        "dense_weight": model.dense_weight,
    }
    assert model.coef_ is not None and model.intercept_ is not None
    np.savez_compressed(
        buf, coef=model.coef_, intercept=model.intercept_, meta=np.array(json.dumps(meta))
    )
    return buf.getvalue()


def _from_blob(blob: bytes) -> SentimentHead | ThemeExamples:
    """The stored model. A theme version stored before 2026-11-24 (ninth session) held a
    head, no longer applied: its examples were written into the theme definitions when it
    was taught, so they still count; it reads as no further examples."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        if meta["kind"] == "theme_examples":
            return ThemeExamples(  # versions stored before 2026.11.10 hold no counter-examples
                examples_={k: list(v) for k, v in meta["examples"].items()},
                counter_examples_={k: list(v) for k, v in meta.get("counter_examples", {}).items()},
            )
        if meta["kind"] == "themes":
            return ThemeExamples()
        coef, intercept = data["coef"], data["intercept"]
    return SentimentHead(  # versions stored before anchoring had no prior weight
        C=meta["C"],
        prior_weight=meta.get("prior_weight", 0.0),
        dense_weight=meta.get("dense_weight", 1.0),
        classes_=meta["classes"],
        coef_=coef,
        intercept_=intercept,
    )


def save_version(
    session: Session,
    task: str,
    head: SentimentHead | ThemeExamples,
    *,
    backend: str,
    metrics: dict[str, Any],
    activate: bool = True,
) -> ModelVersion:
    """Store a new version (v1, v2, ...) and make it the active one for its task."""
    count = len(session.scalars(select(ModelVersion.id).where(ModelVersion.task == task)).all())
    mv = ModelVersion(
        task=task,
        version=f"v{count + 1}",
        backend=backend,
        n_examples=int(metrics.get("n") or 0),
        metrics=metrics,
        blob=_to_blob(head),
        active=False,
    )
    session.add(mv)
    session.flush()
    if activate:
        use_version(session, task, mv.version)
    return mv


def use_version(session: Session, task: str, version: str | None) -> None:
    """Activate ``version`` of ``task`` (None: back to the out-of-the-box model)."""
    if version is not None:
        found = session.scalar(
            select(ModelVersion).where(ModelVersion.task == task, ModelVersion.version == version)
        )
        if found is None:
            raise NotFoundError(
                f"no {task} model version '{version}'",
                hint="see 'cxloop text models list' for the versions of this workspace",
            )
    session.execute(update(ModelVersion).where(ModelVersion.task == task).values(active=False))
    if version is not None:
        session.execute(
            update(ModelVersion)
            .where(ModelVersion.task == task, ModelVersion.version == version)
            .values(active=True)
        )


def rollback(session: Session, task: str) -> str | None:
    """Activate the version before the active one; returns it (None = out-of-the-box)."""
    versions = session.scalars(
        select(ModelVersion).where(ModelVersion.task == task).order_by(ModelVersion.id)
    ).all()
    active = [i for i, v in enumerate(versions) if v.active]
    if not active:
        raise NotFoundError(
            f"no taught {task} model is active; the out-of-the-box model is already in use"
        )
    target = versions[active[0] - 1].version if active[0] > 0 else None
    use_version(session, task, target)
    return target


def active_theme_examples(session: Session) -> ThemeExamples | None:
    """The taught theme examples of the active theme version: None when no version is active
    or it adds none (a version from before 2026-11-24 held a head, whose examples were copied
    into the taxonomy)."""
    return _examples_of(_active(session, "themes"))


def _examples_of(version: ModelVersion | None) -> ThemeExamples | None:
    taught = _from_blob(version.blob) if version is not None else None
    if isinstance(taught, ThemeExamples) and (taught.examples_ or taught.counter_examples_):
        return taught
    return None


def list_versions(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(ModelVersion).order_by(ModelVersion.task, ModelVersion.id))
    return [
        {
            "task": v.task,
            "version": v.version,
            "active": v.active,
            "backend": v.backend,
            "n_examples": v.n_examples,
            "metrics": v.metrics,
            "created_at": v.created_at,
        }
        for v in rows
    ]


@dataclass
class TaughtBackend:
    """A backend with the workspace's taught heads and corrections applied on top.

    Implements the TextBackend protocol by delegation, so the enrichment pipeline and batch
    scoring use it like any other backend.
    """

    base: TextBackend
    sentiment_head: SentimentHead | None = None
    theme_examples: ThemeExamples | None = None
    sentiment_version: str | None = None
    theme_version: str | None = None
    corrections: dict[str, str] | None = None  # text_key -> sentiment label
    theme_corrections: dict[str, tuple[set[str], set[str]]] | None = None  # key -> (add, remove)

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def version(self) -> str:
        parts = [self.base.version]
        if self.sentiment_version:
            parts.append(f"s{self.sentiment_version}")
        if self.theme_version:
            parts.append(f"t{self.theme_version}")
        return "+".join(parts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.base.encode(texts)

    def sentiment_proba(self, texts: Sequence[str]) -> np.ndarray:
        proba = self.base.sentiment_proba(texts)
        if self.sentiment_head is not None and len(texts):
            proba = self.sentiment_head.predict_proba(head_features(self.base, texts), proba)
        if self.corrections:
            for i, t in enumerate(texts):
                label = self.corrections.get(text_key(t))
                if label is not None:
                    proba[i] = np.eye(len(SENTIMENT_LABELS))[SENTIMENT_LABELS.index(label)]
        return proba

    def analyse(
        self, texts: Sequence[str], taxonomy: Sequence[ThemeDefinition]
    ) -> tuple[list[Sentiment], list[list[ThemeMatch]]]:
        """Sentiment and themes with the base's features computed once, not three times.

        Without this the pipeline called ``sentiment`` and ``themes`` separately and the base
        featurised every text for its probabilities, for the head's features and again for its
        themes: re-scoring 10,000 texts after teaching took 3x the first enrichment.
        """
        with _features_once(self.base, texts):
            return self.sentiment(texts), self.themes(texts, taxonomy)

    def sentiment(self, texts: Sequence[str]) -> list[Sentiment]:
        proba = self.sentiment_proba(texts)
        out = []
        for p in proba:
            k = int(np.argmax(p))
            out.append(
                Sentiment(
                    label=SENTIMENT_LABELS[k],
                    score=float(np.clip(p[2] - p[0], -1.0, 1.0)),
                    confidence=float(p[k]),
                )
            )
        return out

    def themes(
        self, texts: Sequence[str], taxonomy: Sequence[ThemeDefinition]
    ) -> list[list[ThemeMatch]]:
        if self.theme_examples is not None:
            taxonomy = self.theme_examples.apply(taxonomy)
        return self._corrected_themes(texts, taxonomy, self.base.themes(texts, taxonomy))

    def _corrected_themes(
        self,
        texts: Sequence[str],
        taxonomy: Sequence[ThemeDefinition],
        results: list[list[ThemeMatch]],
    ) -> list[list[ThemeMatch]]:
        """A person's theme corrections win: added themes are present, removed ones absent."""
        if not self.theme_corrections:
            return results
        known = {t.name for t in taxonomy}
        out = []
        for text, matches in zip(texts, results, strict=True):
            fix = self.theme_corrections.get(text_key(text))
            if fix is None:
                out.append(matches)
                continue
            add, remove = fix
            kept = [m for m in matches if m.name not in remove and m.name not in add]
            sentiment = self.sentiment([text])[0]
            kept += [ThemeMatch(name, 1.0, sentiment) for name in sorted(add) if name in known]
            out.append(sorted(kept, key=lambda m: -m.confidence))
        return out


@contextmanager
def _features_once(base: TextBackend, texts: Sequence[str]) -> Iterator[None]:
    """Within the block, the base's ``featurize`` answers for ``texts`` from one computation.

    Only the very same list object is served from memory, so no other call is affected.
    """
    featurize = base.__dict__.get("featurize") if hasattr(base, "__dict__") else None
    if featurize is None:
        yield
        return
    memo: list[Any] = []

    def once(batch: Sequence[str]) -> Any:
        if batch is not texts:
            return featurize(batch)
        if not memo:
            memo.append(featurize(batch))
        return memo[0]

    base.featurize = once  # type: ignore[attr-defined]
    try:
        yield
    finally:
        base.featurize = featurize  # type: ignore[attr-defined]


def _active(session: Session, task: str) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(ModelVersion.task == task, ModelVersion.active.is_(True))
    )


def sentiment_corrections(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(TaughtExample.text_hash, TaughtExample.label)
        .where(TaughtExample.task == "sentiment", TaughtExample.origin == "correction")
        .order_by(TaughtExample.id)
    )
    return {h: label for h, label in rows}


def theme_corrections(session: Session) -> dict[str, tuple[set[str], set[str]]]:
    rows = session.execute(
        select(TaughtExample.text_hash, TaughtExample.label).where(
            TaughtExample.task == "themes", TaughtExample.origin == "correction"
        )
    )
    out: dict[str, tuple[set[str], set[str]]] = {}
    for key, label in rows:
        add, remove = out.setdefault(key, (set(), set()))
        if label.startswith(NOT_PREFIX):
            remove.add(label.removeprefix(NOT_PREFIX))
        else:
            add.add(label)
    return out


def backend_for_workspace(engine: Engine, name: str = "fast", **options: Any) -> TextBackend:
    """The backend ``name`` with this workspace's active taught heads and corrections.

    Heads fitted on another backend's features are not applied (their features differ).
    """
    return wrap_backend(engine, get_backend(name, **options))


def wrap_backend(engine: Engine, base: TextBackend) -> TextBackend:
    """``base`` with the active heads fitted on its features, and all corrections."""
    name = base.name
    with transaction(engine) as session:
        sent, theme = _active(session, "sentiment"), _active(session, "themes")
        corrections = sentiment_corrections(session)
        fixes = theme_corrections(session)
        s_head = _from_blob(sent.blob) if sent is not None and sent.backend == name else None
        if isinstance(s_head, SentimentHead):
            s_head = _if_it_fits(s_head, head_features(base, ["ok"]).shape[1], sent)
        taught = _examples_of(theme)
        if s_head is None and taught is None and not corrections and not fixes:
            return base
        return TaughtBackend(
            base=base,
            sentiment_head=s_head if isinstance(s_head, SentimentHead) else None,
            theme_examples=taught,
            sentiment_version=sent.version if s_head is not None and sent else None,
            theme_version=theme.version if taught is not None and theme else None,
            corrections=corrections or None,
            theme_corrections=fixes or None,
        )


def _if_it_fits(
    head: SentimentHead, width: int, stored: ModelVersion | None
) -> SentimentHead | None:
    """``head`` when its weights fit the base's features, else None and a warning.

    The same backend name can give features of another size: a backend pointed at the
    company's own transformer folder, or a release whose feature blocks changed. Applying
    such a head would fail on every text; the base model scores instead until the head is
    fitted again, and the stored examples make that one command. (Taught theme examples
    are text, so they apply to any backend.)
    """
    if head.coef_ is None:
        return head
    # a sentiment head also reads the base's log-probabilities, one column per label
    fitted_width = head.coef_.shape[1] - len(SENTIMENT_LABELS)
    if fitted_width == width:
        return head
    log.warning(
        "the taught sentiment model %s was fitted on features of another size (%d, the backend "
        "now gives %d) and is not applied; teach again ('cxloop text teach') to refit it on the "
        "stored examples",
        stored.version if stored is not None else "?",
        fitted_width,
        width,
    )
    return None


def with_workspace_models(db: Engine, engine: Any) -> Any:
    """Put the workspace's taught heads and corrections on a pipeline ``TextEngine``.

    The engine's model version then names the active versions, so a new version or a
    rollback makes ``enrich`` redo exactly the rows scored otherwise.
    """
    base = engine.backend.base if isinstance(engine.backend, TaughtBackend) else engine.backend
    taught = wrap_backend(db, base)
    engine.backend = taught
    return engine
