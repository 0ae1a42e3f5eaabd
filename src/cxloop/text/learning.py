"""Teaching a workspace: taught files, corrections, refits and the active-learning queue."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from cxloop.errors import InputError, NotFoundError
from cxloop.storage.db import transaction
from cxloop.storage.models import Enrichment, Feedback, FeedbackTheme, TaughtExample, Theme
from cxloop.text.backends.base import TextBackend, get_backend
from cxloop.text.model_registry import save_version
from cxloop.text.score import require_columns
from cxloop.text.taxonomy import load_taxonomy
from cxloop.text.teach import (
    NOT_PREFIX,
    LabelledExample,
    SentimentHead,
    ThemeExamples,
    fit_sentiment_head,
    fit_theme_examples,
    text_key,
    validate_examples,
)
from cxloop.text.theme_rollup import PARENT_ORIGIN, roll_up_to_parents
from cxloop.text.types import SENTIMENT_LABELS

_READERS = {
    ".csv": pd.read_csv,
    ".tsv": lambda p: pd.read_csv(p, sep="\t"),
    ".jsonl": lambda p: pd.read_json(p, lines=True),
    ".parquet": pd.read_parquet,
    ".xlsx": pd.read_excel,
}


def read_labelled_file(path: Path, text_column: str, label_column: str) -> list[LabelledExample]:
    """Read (text, label) pairs; theme labels may hold several names separated by ';'."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(f"cannot read '{path.name}'", hint=f"use one of: {', '.join(_READERS)}")
    if not path.exists():
        raise InputError(f"file not found: {path}")
    frame = reader(path)
    require_columns(list(frame.columns), (text_column, label_column), path.name)
    out = []
    for i, (text, label) in enumerate(zip(frame[text_column], frame[label_column], strict=True)):
        if pd.isna(text) or not str(text).strip():
            raise InputError(f"row {i + 2}: empty text", hint="remove the row or fill in the text")
        if pd.isna(label) or not str(label).strip():
            raise InputError(f"row {i + 2}: empty label in column '{label_column}'")
        for part in str(label).split(";"):
            if part.strip():
                out.append(LabelledExample(str(text), part.strip()))
    return out


def _vocabulary(engine: Engine, task: str) -> list[str]:
    if task == "sentiment":
        return list(SENTIMENT_LABELS)
    return [t.name for t in load_taxonomy(engine, seed=False)]


def _stored_examples(session: Session, task: str) -> list[LabelledExample]:
    """Every stored example of ``task``; for themes also the "remove theme" corrections
    (labels ``not:THEME``), which teach the theme its counter-examples."""
    rows = session.execute(
        select(TaughtExample.text, TaughtExample.label)
        .where(TaughtExample.task == task)
        .order_by(TaughtExample.id)
    )
    return [
        LabelledExample(t, label)
        for t, label in rows
        if task == "themes" or not label.startswith(NOT_PREFIX)
    ]


def teach(
    engine: Engine,
    examples: Sequence[LabelledExample],
    task: str,
    *,
    backend_name: str = "fast",
    origin: str = "file",
    author: str | None = None,
    backend: TextBackend | None = None,
) -> dict[str, Any]:
    """Validate the new examples, store them, make a new version from all examples, activate it.

    Nothing changes when validation fails (the transaction is rolled back). Sentiment: a head
    fitted on the backend's features. Themes: the examples themselves, which the theme
    classifier adds to the definitions it learns from (so a rollback takes them back).
    """
    backend = backend or get_backend(backend_name)
    vocab = _vocabulary(engine, task)
    with transaction(engine) as session:
        validate_examples(examples, task, vocab, enough_to_fit=False)
        # For sentiment a text has one label: a new label replaces the one taught before.
        replace = {text_key(e.text) for e in examples} if task == "sentiment" else set()
        if replace:
            session.execute(
                delete(TaughtExample).where(
                    TaughtExample.task == task, TaughtExample.text_hash.in_(list(replace))
                )
            )
        seen: set[tuple[str, str]] = set()
        for e in examples:
            key = (text_key(e.text), e.label)
            if key in seen:
                continue
            seen.add(key)
            exists = session.scalar(
                select(TaughtExample.id).where(
                    TaughtExample.task == task,
                    TaughtExample.text_hash == key[0],
                    TaughtExample.label == e.label,
                )
            )
            if exists is None:
                session.add(
                    TaughtExample(
                        task=task,
                        text=e.text,
                        text_hash=key[0],
                        label=e.label,
                        origin=origin,
                        author=author,
                    )
                )
        session.flush()
        everything = _stored_examples(session, task)
        validate_examples(everything, task, vocab)  # raises -> rolled back, no model change
        head: SentimentHead | ThemeExamples
        if task == "sentiment":
            head, metrics = fit_sentiment_head(backend, everything)
        else:
            head, metrics = fit_theme_examples(everything, vocab)
        version = save_version(session, task, head, backend=backend.name, metrics=metrics)
        result: dict[str, Any] = {
            "task": task,
            "version": version.version,
            "backend": backend.name,
            "base_version": backend.version,
            **metrics,
        }
        if task == "sentiment" and metrics.get("C") == 0.0:
            result["note"] = (
                "in cross-validation the examples did not beat the current model by more than "
                "chance, so the new version predicts as before (corrections of single "
                "feedback still apply); teach more examples to change it"
            )
        return result


def _refuse_implied_parents(
    session: Session, feedback_id: int, removed: Sequence[str], themes: dict[str, int]
) -> None:
    """Removing a parent theme while one of its sub-themes stays cannot hold: the sub-theme
    brings the parent back. Say which sub-theme to remove instead (nothing is applied)."""
    if not removed:
        return
    names = {theme_id: name for name, theme_id in themes.items()}
    for theme_id, extra in session.execute(
        select(FeedbackTheme.theme_id, FeedbackTheme.extra).where(
            FeedbackTheme.feedback_id == feedback_id,
            FeedbackTheme.origin == PARENT_ORIGIN,
            FeedbackTheme.theme_id.in_([themes[name] for name in removed]),
        )
    ):
        children = ", ".join(repr(names.get(c, str(c))) for c in (extra or {}).get("children", []))
        raise InputError(
            f"feedback {feedback_id} is about {names[theme_id]!r} through its sub-theme {children}",
            hint=f"remove {children} too (or instead)",
        )


def _remember_correction(
    session: Session, task: str, text: str, label: str, feedback_id: int, author: str | None
) -> None:
    session.add(
        TaughtExample(
            task=task,
            text=text,
            text_hash=text_key(text),
            label=label,
            feedback_id=feedback_id,
            origin="correction",
            author=author,
        )
    )


def correct_feedback(
    engine: Engine,
    feedback_id: int,
    *,
    sentiment: str | None = None,
    add_themes: Sequence[str] = (),
    remove_themes: Sequence[str] = (),
    author: str | None = None,
    backend_name: str = "fast",
    backend: TextBackend | None = None,
) -> dict[str, Any]:
    """A person's correction: applied to this feedback at once, remembered, and taught.

    The corrected enrichment row is marked with origin ``correction`` so later enrichment
    keeps it; the model is refitted when there are enough examples to do so.
    """
    if sentiment is None and not add_themes and not remove_themes:
        raise InputError(
            "nothing to correct", hint="give --sentiment, --add-theme or --remove-theme"
        )
    if sentiment is not None and sentiment not in SENTIMENT_LABELS:
        raise InputError(
            f"'{sentiment}' is not a sentiment label", hint="use negative, neutral or positive"
        )
    with transaction(engine) as session:
        fb = session.get(Feedback, feedback_id)
        if fb is None:
            raise NotFoundError(f"no feedback with id {feedback_id}")
        text = fb.text or ""
        if not text.strip():
            raise InputError(f"feedback {feedback_id} has no text to learn from")
        themes = {t.name: t.id for t in session.scalars(select(Theme))}
        unknown = [t for t in (*add_themes, *remove_themes) if t not in themes]
        if unknown:
            raise InputError(
                f"unknown theme(s): {', '.join(unknown)}", hint="see 'cxloop taxonomy list'"
            )
        enrichment = session.get(Enrichment, feedback_id)
        if sentiment is not None:
            session.execute(
                delete(TaughtExample).where(
                    TaughtExample.task == "sentiment", TaughtExample.text_hash == text_key(text)
                )
            )
            _remember_correction(session, "sentiment", text, sentiment, feedback_id, author)
            if enrichment is not None:
                enrichment.sentiment_label = sentiment
                enrichment.sentiment_score = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}[
                    sentiment
                ]
                enrichment.sentiment_confidence = 1.0
        for name in add_themes:
            if session.get(FeedbackTheme, (feedback_id, themes[name])) is None:
                label = enrichment.sentiment_label if enrichment else "neutral"
                session.add(
                    FeedbackTheme(
                        feedback_id=feedback_id,
                        theme_id=themes[name],
                        confidence=1.0,
                        sentiment_label=label,
                        sentiment_score=0.0,
                        origin="correction",
                    )
                )
            else:
                session.get(FeedbackTheme, (feedback_id, themes[name])).origin = "correction"  # type: ignore[union-attr]
            if (
                session.scalar(
                    select(TaughtExample.id).where(
                        TaughtExample.task == "themes",
                        TaughtExample.text_hash == text_key(text),
                        TaughtExample.label == name,
                    )
                )
                is None
            ):
                _remember_correction(session, "themes", text, name, feedback_id, author)
        for name in remove_themes:
            session.execute(
                delete(FeedbackTheme).where(
                    FeedbackTheme.feedback_id == feedback_id, FeedbackTheme.theme_id == themes[name]
                )
            )
            session.execute(
                delete(TaughtExample).where(
                    TaughtExample.task == "themes",
                    TaughtExample.text_hash == text_key(text),
                    TaughtExample.label.in_([name, NOT_PREFIX + name]),
                )
            )
            _remember_correction(session, "themes", text, NOT_PREFIX + name, feedback_id, author)
        if add_themes or remove_themes:
            roll_up_to_parents(session, [feedback_id])
            _refuse_implied_parents(session, feedback_id, remove_themes, themes)
    result: dict[str, Any] = {"feedback_id": feedback_id, "applied": True, "refitted": []}
    for task, wanted in (
        ("sentiment", sentiment is not None),
        ("themes", bool(add_themes) or bool(remove_themes)),
    ):
        if not wanted:
            continue
        try:
            result["refitted"].append(
                teach(
                    engine,
                    [],
                    task,
                    backend_name=backend_name,
                    backend=backend,
                    origin="correction",
                )
            )
        except InputError as exc:  # too few examples to fit yet: the correction still holds
            result.setdefault("notes", []).append(f"{task}: {exc.message}")
    return result


def uncertain_examples(
    engine: Engine, task: str, n: int = 50, *, backend: TextBackend, pool: int = 5000
) -> list[dict[str, Any]]:
    """The feedback whose labels would teach the most: least confident, spread out.

    Uncertainty is the margin between the two most likely sentiment labels (themes: the
    distance of the best theme confidence from 0.5). To avoid fifty near-copies, the most
    uncertain 4n candidates are clustered into n groups and the most uncertain of each group
    is returned.
    """
    if task not in ("sentiment", "themes"):
        raise InputError(f"unknown task '{task}'", hint="use sentiment or themes")
    if n < 1:
        raise InputError("--n must be at least 1")
    taxonomy = load_taxonomy(engine, seed=False) if task == "themes" else []
    with transaction(engine) as session:
        taught = set(
            session.scalars(select(TaughtExample.text_hash).where(TaughtExample.task == task))
        )
        rows = session.execute(
            select(Feedback.id, func.coalesce(Enrichment.redacted_text, Feedback.text))
            .outerjoin(Enrichment, Enrichment.feedback_id == Feedback.id)
            .where(Feedback.text.is_not(None))
            .order_by(Feedback.id.desc())
            .limit(pool)
        ).all()
    candidates = [(i, t) for i, t in rows if t and t.strip() and text_key(t) not in taught]
    if not candidates:
        return []
    texts = [t for _, t in candidates]
    if task == "sentiment":
        proba = backend.sentiment_proba(texts)
        top2 = np.sort(proba, axis=1)[:, -2:]
        uncertainty = 1.0 - (top2[:, 1] - top2[:, 0])
        guess = [SENTIMENT_LABELS[k] for k in proba.argmax(1)]
    else:
        matches = backend.themes(texts, taxonomy)
        best = np.array([m[0].confidence if m else 0.0 for m in matches])
        uncertainty = 1.0 - np.abs(best - 0.5) * 2
        guess = [";".join(x.name for x in m[:3]) for m in matches]
    order = np.argsort(-uncertainty)[: max(4 * n, n)]
    chosen = order[:n]
    if len(order) > n:
        from sklearn.cluster import KMeans

        feats = backend.encode([texts[i] for i in order])
        groups = KMeans(n_clusters=n, n_init=1, random_state=0).fit_predict(feats)
        picked: dict[int, int] = {}
        for pos, g in enumerate(groups):  # order is most uncertain first
            picked.setdefault(int(g), int(order[pos]))
        chosen = np.array(sorted(picked.values(), key=lambda i: -uncertainty[i]))
    return [
        {
            "feedback_id": rows[i][0],
            "text": texts[i],
            "model_says": guess[i],
            "uncertainty": round(float(uncertainty[i]), 3),
        }
        for i in chosen
    ]
