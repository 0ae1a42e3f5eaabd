"""``cxloop text adapt``: both backends taught on a company's own comments, without labels.

Why: the torch-free ``fast`` backend is what scores millions of comments, but it reads words
as the public corpora use them. Once, on a sample of a company's own comments (no labels),
the embedding backend (MiniLM) is run and ``fast`` learns from it in two ways:

* **themes**: the static theme table is fitted again so that each comment's weighted mean of
  word vectors lands near MiniLM's vector of that comment (``cxloop.text.theme_vectors``);
* **sentiment**: the fast sentiment head gets a correction, fitted so that it agrees with the
  embedding backend's sentiment on these comments — a logistic regression anchored on the
  shipped head (its log-probabilities are the offset, ``cxloop.text.logistic``), each comment
  weighted by the embedding head's confidence, with a strong L2 pull (C = 0.1) towards no
  change. In-domain text makes the student better than its teacher: on bank queries (both
  heads trained without them) 0.717 (fast) and 0.774 (embedding) -> 0.802.

Then the embedding backend learns back from the taught ``fast`` (co-training): its sentiment
head gets the same kind of correction, towards the taught fast backend's labels on these
comments (bank queries: 0.774 -> 0.831).

The result is one ``.npz`` file; either backend uses it with ``--adapted FILE`` or
``CXLOOP_TEXT_ADAPTED`` (the fast backend then still scores at its usual speed). Accuracy in
docs/accuracy.md.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cxloop.errors import ConfigError, InputError
from cxloop.text.features import clean_texts
from cxloop.text.sentiment import FeatureBlocks, SentimentModel
from cxloop.text.static_vectors import WEIGHTS_DIR, StaticVectors
from cxloop.text.theme_vectors import fit_theme_table, mean_cosine, project, weighted_counts

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Texts sampled from a file: MiniLM encodes about 300 short texts/s on 2 cores.
ADAPT_SAMPLE = 20_000
#: Fewer distinct texts than this cannot say much about a vocabulary of 23,000 words.
MIN_ADAPT_TEXTS = 200
#: L2 strength of the sentiment correction: 0.1 of {0.03, 0.1, 0.3, 1} (bank queries and
#: clothing reviews, heads trained without them; 0.03-0.3 were within 0.01 of each other).
SENTIMENT_C = 0.1
SHIPPED_HEAD = WEIGHTS_DIR / "sentiment_fast.npz"
SHIPPED_EMBEDDING_HEAD = WEIGHTS_DIR / "sentiment_embedding.npz"
#: The adapted model file for a backend built without an ``adapted`` option (the same name
#: as the ``text_adapted`` setting's variable). ``--adapted`` and the setting reach worker
#: processes as a backend option (``BackendChoice``), not through the environment.
ADAPTED_ENV = "CXLOOP_TEXT_ADAPTED"
#: Texts per teacher call (the progress bar's step).
TEACHER_CHUNK = 512


@dataclass(frozen=True)
class AdaptReport:
    """What ``adapt`` did, measured on comments held out of a first fit: how close the theme
    table's vectors came to MiniLM's (mean cosine), and how often the fast sentiment label
    agreed with the embedding backend's, before and after."""

    texts: int
    held_out: int
    cosine_before: float
    cosine_after: float
    agreement_before: float
    agreement_after: float
    output: str


@dataclass(frozen=True)
class Teacher:
    """The model ``fast`` learns from: features of texts (whose dense block is MiniLM's vector)
    and a sentiment head on them. By default the embedding backend's."""

    featurize: Callable[[Sequence[str]], FeatureBlocks]
    model: SentimentModel


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def adapted_file(option: str | Path | None) -> Path | None:
    """The adapted model file a backend uses: its ``adapted`` option, else
    ``CXLOOP_TEXT_ADAPTED``; None when neither is set. A file that is not there is an error,
    never a silent fall-back to the shipped models."""
    chosen = option or os.environ.get(ADAPTED_ENV)
    if not chosen:
        return None
    path = Path(chosen).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"adapted model file not found: {path}",
            hint="run 'cxloop text adapt' to make one, or unset CXLOOP_TEXT_ADAPTED",
        )
    return path


def adapt_to_comments(
    texts: Sequence[str | None],
    output: Path,
    *,
    sample: int = ADAPT_SAMPLE,
    teacher: Teacher | None = None,
    student: SentimentModel | None = None,
    base: StaticVectors | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> AdaptReport:
    """Teach both backends on ``texts`` and write the adapted model file to ``output``.

    ``student`` (default: the shipped fast head) is the head the fast correction is fitted
    for, ``teacher.model`` (default: the shipped embedding head) the one the embedding
    correction is fitted for; the file records which, and a backend refuses it for another.
    10 % of the texts are held out of a first fit to measure the report; the file is fitted
    on all of them.
    ``on_progress(done, total)`` follows the teacher's pass, which takes most of the time.
    The file is written under a temporary name and renamed, so an interrupted run never
    leaves a partial file behind.
    """
    base = base or StaticVectors.load()
    if base.theme_vectors is None or base.theme_basis is None or base.theme_mean is None:
        raise ConfigError(
            "the static vectors file has no theme table to adapt",
            hint="rebuild it with scripts/train_text_models.py --steps static themes",
        )
    head_id = "shipped:" + file_digest(SHIPPED_HEAD) if student is None else "custom"
    teacher_id = "shipped:" + file_digest(SHIPPED_EMBEDDING_HEAD) if teacher is None else "custom"
    student = student or SentimentModel.load(SHIPPED_HEAD)
    chosen = _sample(texts, base, sample)
    if teacher is None:
        from cxloop.text.backends import get_backend

        embedding = get_backend("embedding")
        teacher = Teacher(embedding.featurize, embedding.model)  # type: ignore[attr-defined]
    taught = _taught_features(teacher, chosen, on_progress)
    held = np.random.default_rng(0).random(len(chosen)) < 0.1
    held[0] = True  # never an empty check
    table, cosine = _fit_themes(base, chosen, taught, held)
    from cxloop.text.backends.fast import FastFeaturizer

    blocks = FastFeaturizer(base)(chosen)  # the student's features, computed once
    design = student._design(blocks)
    offset = np.log(np.clip(student.predict_proba(blocks), 1e-9, 1.0))
    teacher_proba = teacher.model.predict_proba(taught)
    coef, intercept, agreement = _fit_sentiment(design, offset, teacher_proba, held)
    back_coef, back_intercept = _fit_teacher(
        offset + np.asarray(design @ coef.T) + intercept, teacher, taught, teacher_proba
    )
    adapted = StaticVectors(
        base.vocab, base.vectors, base.weights, table, base.theme_basis, base.theme_mean
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with partial.open("wb") as handle:  # a file object: numpy adds no ".npz" to the name
        np.savez_compressed(
            handle,
            **adapted.arrays(),
            fast_delta_coef=coef.astype(np.float32),
            fast_delta_intercept=intercept.astype(np.float32),
            fast_head=np.array(head_id),
            embedding_delta_coef=back_coef.astype(np.float32),
            embedding_delta_intercept=back_intercept.astype(np.float32),
            embedding_head=np.array(teacher_id),
        )
    partial.replace(output)
    return AdaptReport(
        texts=len(chosen),
        held_out=int(held.sum()),
        cosine_before=cosine[0],
        cosine_after=cosine[1],
        agreement_before=agreement[0],
        agreement_after=agreement[1],
        output=str(output),
    )


def _taught_features(
    teacher: Teacher, texts: list[str], on_progress: Callable[[int, int], None] | None
) -> FeatureBlocks:
    parts = []
    for start in range(0, len(texts), TEACHER_CHUNK):
        parts.append(teacher.featurize(texts[start : start + TEACHER_CHUNK]))
        if on_progress is not None:
            on_progress(min(start + TEACHER_CHUNK, len(texts)), len(texts))
    return FeatureBlocks.stack(parts)


def _fit_themes(
    base: StaticVectors, texts: list[str], taught: FeatureBlocks, held: np.ndarray
) -> tuple[np.ndarray, tuple[float, float]]:
    """The theme table fitted towards MiniLM's vectors of ``texts``; mean cosine on the
    held-out texts before and after a fit without them."""
    assert base.theme_vectors is not None and base.theme_basis is not None
    assert base.theme_mean is not None
    target = project(taught.for_themes, base.theme_basis, base.theme_mean)
    counts = weighted_counts(base, texts)
    start = base.theme_vectors.astype(np.float64)
    before = mean_cosine(counts[held], start, target[held])
    check = fit_theme_table(counts[~held], target[~held], start)
    after = mean_cosine(counts[held], check, target[held])
    return fit_theme_table(counts, target, start), (before, after)


def _correction(
    design: Any, offset: np.ndarray, teacher_proba: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A correction to the student (its features ``design``, its log-probabilities
    ``offset``) towards the teacher's labels, each text weighted by the teacher's confidence
    and pulled towards no change (C = ``SENTIMENT_C``)."""
    from cxloop.text.logistic import anchored_logistic

    return anchored_logistic(
        design, teacher_proba.argmax(axis=1), offset, teacher_proba.max(axis=1), SENTIMENT_C
    )


def _fit_sentiment(
    design: Any, offset: np.ndarray, teacher_proba: np.ndarray, held: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """:func:`_correction`, and agreement with the teacher on the held-out texts before and
    after a fit without them."""
    labels = teacher_proba.argmax(axis=1)
    coef, intercept = _correction(design[~held], offset[~held], teacher_proba[~held])
    corrected = offset[held] + np.asarray(design[held] @ coef.T) + intercept
    agreement = (
        float(np.mean(offset[held].argmax(axis=1) == labels[held])),
        float(np.mean(corrected.argmax(axis=1) == labels[held])),
    )
    coef, intercept = _correction(design, offset, teacher_proba)
    return coef, intercept, agreement


def distilled_head(
    head: SentimentModel, blocks: FeatureBlocks, teacher_proba: np.ndarray
) -> SentimentModel:
    """``head`` corrected towards a teacher's reading (``teacher_proba``) of the texts that
    ``blocks`` are the features of: the correction ``adapt`` fits on a company's comments.

    The shipped `fast` head gets it too, fitted on the public training texts with the
    embedding head as teacher (``scripts/train_text_models.py``): trained on labels alone,
    `fast` reads an unseen domain's words as the few training texts that hold them use them
    ("my flight" read as a complaint); the teacher's soft reading of 19,000 texts carries
    MiniLM's sense of the words. Measured on data neither head saw (docs/text-models.md)."""
    offset = np.log(np.clip(head.predict_proba(blocks), 1e-9, 1.0))
    coef, intercept = _correction(head._design(blocks), offset, teacher_proba)
    return corrected_head(head, coef, intercept)


def _fit_teacher(
    student_logits: np.ndarray, teacher: Teacher, taught: FeatureBlocks, teacher_proba: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A correction to the teacher's head towards the *taught* student's labels (the two
    read different features, so each corrects the other's in-domain mistakes)."""
    from scipy.special import softmax

    return _correction(
        teacher.model._design(taught),
        np.log(np.clip(teacher_proba, 1e-9, 1.0)),
        softmax(student_logits, axis=1),
    )


def _sample(texts: Sequence[str | None], base: StaticVectors, size: int) -> list[str]:
    """Up to ``size`` distinct cleaned texts with at least one known word (seed 0)."""
    cleaned = list(dict.fromkeys(t for t in clean_texts(list(texts)) if t))
    if len(cleaned) > size:
        rng = np.random.default_rng(0)
        cleaned = [cleaned[i] for i in np.sort(rng.choice(len(cleaned), size, replace=False))]
    known = np.diff(base.word_counts(cleaned).indptr) > 0
    chosen = [t for t, k in zip(cleaned, known, strict=True) if k]
    if len(chosen) < MIN_ADAPT_TEXTS:
        raise InputError(
            f"only {len(chosen)} distinct texts with known words; adapting needs at least "
            f"{MIN_ADAPT_TEXTS}",
            hint="give a file with more comments (a few thousand work well)",
        )
    return chosen


def workspace_texts(db: Engine, limit: int = 10 * ADAPT_SAMPLE) -> list[str | None]:
    """Feedback text of the workspace for ``adapt --workspace``: every row, or every k-th row
    by id when there are more than ``limit`` (so millions of rows are never all loaded)."""
    from sqlalchemy import func, select

    from cxloop.storage.models import Feedback

    with db.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(Feedback)) or 0
        step = max(1, -(-total // limit))
        stmt = select(Feedback.text).order_by(Feedback.id).limit(limit)
        if step > 1:
            stmt = stmt.where(Feedback.id % step == 0)
        return list(conn.scalars(stmt))


def adapted_sentiment(
    path: Path, head: SentimentModel, head_file: Path, backend: str
) -> SentimentModel:
    """``head`` with the correction for ``backend`` ("fast" or "embedding") that ``path``
    holds; refused when it was fitted for another head."""
    with np.load(path, allow_pickle=False) as data:
        if f"{backend}_delta_coef" not in data.files:
            raise ConfigError(
                f"{path} has no {backend} sentiment part: it was not made by "
                "'cxloop text adapt' for this version of cxloop",
                hint="make it again with 'cxloop text adapt'",
            )
        if str(data[f"{backend}_head"]) != "shipped:" + file_digest(head_file):
            raise ConfigError(
                f"{path} was made for another version of the {backend} sentiment model",
                hint="make it again with 'cxloop text adapt'",
            )
        delta, delta_b = data[f"{backend}_delta_coef"], data[f"{backend}_delta_intercept"]
    if delta.shape != head.coef_.shape:
        raise ConfigError(
            f"{path} does not fit this {backend} sentiment model (another sentence model?)",
            hint="run 'cxloop text adapt' again",
        )
    return corrected_head(head, delta, delta_b)


def corrected_head(head: SentimentModel, delta: np.ndarray, delta_b: np.ndarray) -> SentimentModel:
    """A copy of ``head`` with a correction added to its coefficients and intercepts."""
    corrected = SentimentModel(C=head.C, cue_weight=head.cue_weight, dense_weight=head.dense_weight)
    corrected.coef_ = (head.coef_ + delta).astype(np.float32)
    corrected.intercept_ = (head.intercept_ + delta_b).astype(np.float32)
    return corrected
