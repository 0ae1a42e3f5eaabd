"""Teaching by example. Sentiment: a small head fitted on a backend's features, on top of its
predictions. Themes: the taught examples join the theme definitions (:class:`ThemeExamples`),
which the theme classifier learns from.

Why a head and not fine-tuning: a workspace rarely has more than a few hundred labels, and a
regularised logistic regression on frozen sentence features, given the out-of-the-box model's
own log-probabilities as extra inputs, starts where the base model is and moves only as far as
the examples justify (in the spirit of SetFit's frozen-body variant). It fits in well under a
second, so every correction can refit. Corrections themselves are honoured verbatim by a text
hash look-up, whatever the head says.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from cxloop.errors import InputError
from cxloop.text.backends.base import TextBackend
from cxloop.text.logistic import anchored_logistic, balanced_weights
from cxloop.text.types import SENTIMENT_LABELS, ThemeDefinition

TASKS = ("sentiment", "themes")
#: Label prefix of a theme example that says the theme does NOT apply to the text (a
#: "remove theme" correction): a counter-example of the theme.
NOT_PREFIX = "not:"
_SPACE = re.compile(r"\s+")


def text_key(text: str) -> str:
    """Hash of the normalised text: how a correction is recognised again."""
    norm = _SPACE.sub(" ", text.strip().lower())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LabelledExample:
    text: str
    label: str


def validate_examples(
    examples: Sequence[LabelledExample],
    task: str,
    vocabulary: Sequence[str],
    *,
    enough_to_fit: bool = True,
) -> None:
    """Refuse examples that cannot teach anything sound; the message says what to fix.

    Sentiment labels are single: the same text with two labels is a contradiction. Theme
    labels are multi-label, so the same text may carry several themes. A sentiment head needs
    two examples in two classes to fit; theme examples join their theme's definition, so one
    example of one theme already teaches something.
    """
    if task not in TASKS:
        raise InputError(f"unknown task '{task}'", hint=f"use one of: {', '.join(TASKS)}")
    if enough_to_fit and task == "themes" and not examples:
        raise InputError("no theme example given", hint="label at least one text with a theme")
    enough_to_fit = enough_to_fit and task == "sentiment"
    if enough_to_fit and len(examples) < 2:
        raise InputError(
            f"{len(examples)} example(s) given; teaching needs at least two",
            hint="label a few more examples (at least two, in two different classes)",
        )
    vocab = set(vocabulary)
    if task == "themes":  # a correction may say a theme does not apply
        vocab |= {NOT_PREFIX + name for name in vocabulary}
    unknown = sorted({e.label for e in examples} - vocab)
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        raise InputError(
            f"label(s) {shown} are not in the {task} vocabulary",
            hint=f"use one of: {', '.join(sorted(vocabulary)[:20])}"
            + (" (add missing themes with 'cxloop taxonomy import')" if task == "themes" else ""),
        )
    if task == "sentiment":
        seen: dict[str, str] = {}
        for e in examples:
            key = text_key(e.text)
            if key in seen and seen[key] != e.label:
                raise InputError(
                    f"contradictory labels for the same text: {e.text[:60]!r} is labelled "
                    f"both '{seen[key]}' and '{e.label}'",
                    hint="keep one label per text and teach again",
                )
            seen[key] = e.label
    classes = {e.label for e in examples}
    if enough_to_fit and len(classes) < 2:
        raise InputError(
            f"all examples have the same label '{next(iter(classes))}'",
            hint="a model learns to tell classes apart: add examples of at least one other class",
        )


#: BLAS threads for the small fits below. L-BFGS on a few hundred rows gains nothing from
#: threads, and on a busy machine OpenBLAS threads spin-waiting for a core made one 200-example
#: sentiment fit take 189 s instead of 8 s (measured by benchmarks/bench_teach.py).
_FIT_THREADS = 1


def _base_logits(proba: np.ndarray) -> np.ndarray:
    return np.log(np.clip(proba, 1e-4, 1.0))


#: Word 1-2-grams hashed into a fixed space: a company's own words (product names, jargon)
#: are often missing from a backend's vocabulary, and a head must be able to learn them.
_LEXICAL = HashingVectorizer(
    n_features=2**15, ngram_range=(1, 2), alternate_sign=False, norm="l2", lowercase=True
)


def head_features(backend: TextBackend, texts: Sequence[str]) -> sparse.csr_matrix:
    """What heads learn from: the backend's dense features next to hashed word n-grams."""
    dense = sparse.csr_matrix(np.asarray(backend.encode(texts), dtype=np.float64))
    return sparse.hstack([dense, _LEXICAL.transform(list(texts))], format="csr")


def _with_logits(
    features: Any, base_proba: np.ndarray, dense_weight: float = 1.0
) -> sparse.csr_matrix:
    """[features, base log-probabilities], the backend's dense block scaled by
    ``dense_weight`` (a weight of 3 lets a strong sentence encoder's block count for more
    under the same penalty than 32,768 hashed n-gram columns)."""
    features = sparse.csr_matrix(features)
    if dense_weight != 1.0:
        scale = np.ones(features.shape[1])
        scale[: max(features.shape[1] - _LEXICAL.n_features, 0)] = dense_weight
        features = sparse.csr_matrix(features @ sparse.diags(scale))
    return sparse.hstack([features, _base_logits(base_proba)], format="csr")


@dataclass
class SentimentHead:
    """Logistic regression that starts from the base model and learns a correction.

    The log-odds are ``prior_weight * base log-probabilities + W [features, base
    log-probabilities] + b``. With ``prior_weight = 1`` (what ``fit`` does) the L2 penalty on
    ``W`` pulls the head towards the *base model*, not towards a constant: a few taught
    examples nudge it, many examples can overrule it. An ordinary stacked regression
    (``prior_weight = 0``, the heads stored before this) shrinks the base's weight instead, so
    25-100 examples could leave it worse than out of the box (measured on SemEval laptops).
    ``C`` (inverse penalty) is chosen by cross-validation on the taught examples only
    (``fit_sentiment_head``); ``C = 0`` means "keep the base", chosen when no correction helps.

    Fitted state is plain arrays (``coef_``, ``intercept_``) so a version can be stored in the
    database without pickling code.
    """

    C: float = 1.0
    prior_weight: float = 1.0
    dense_weight: float = 1.0
    class_weight: str | None = "balanced"
    random_state: int = 0
    classes_: list[str] = field(default_factory=list)
    coef_: np.ndarray | None = None
    intercept_: np.ndarray | None = None

    def fit(
        self,
        features: Any,
        base_proba: np.ndarray,
        labels: Sequence[str],
        *,
        warm_start: SentimentHead | None = None,
    ) -> SentimentHead:
        X = _with_logits(features, base_proba, self.dense_weight)
        self.classes_ = sorted({str(y) for y in labels}, key=SENTIMENT_LABELS.index)
        y = np.array([self.classes_.index(str(v)) for v in labels])
        weights = balanced_weights(y) if self.class_weight == "balanced" else np.ones(len(y))
        offset = self.prior_weight * self._prior(base_proba)
        init = None
        if (
            warm_start is not None
            and warm_start.coef_ is not None
            and warm_start.classes_ == self.classes_
            and warm_start.coef_.shape[1] == X.shape[1]
        ):
            init = (warm_start.coef_, warm_start.intercept_)
        with threadpool_limits(limits=_FIT_THREADS, user_api="blas"):
            self.coef_, self.intercept_ = anchored_logistic(
                X, y, offset, weights, self.C, init=init
            )
        return self

    def _prior(self, base_proba: np.ndarray) -> np.ndarray:
        cols = [SENTIMENT_LABELS.index(c) for c in self.classes_]
        return _base_logits(base_proba[:, cols])

    def _head_proba(self, X: Any, base_proba: np.ndarray) -> np.ndarray:
        assert self.coef_ is not None and self.intercept_ is not None
        z = np.asarray(X @ self.coef_.T) + self.intercept_
        if self.coef_.shape[0] == 1:  # scikit-learn binary: one weight vector, second class
            p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.column_stack([1.0 - p1, p1])
        if self.prior_weight:
            z = z + self.prior_weight * self._prior(base_proba)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict_proba(self, features: Any, base_proba: np.ndarray) -> np.ndarray:
        """(n, 3) probabilities in SENTIMENT_LABELS order; classes never taught keep the base's
        share so a head taught only negatives and positives can still say neutral."""
        X = _with_logits(features, base_proba, self.dense_weight)
        head = self._head_proba(X, base_proba)
        n = features.shape[0]
        out = np.zeros((n, len(SENTIMENT_LABELS)))
        untaught_mass = np.zeros(n)
        for k, label in enumerate(SENTIMENT_LABELS):
            if label not in self.classes_:
                out[:, k] = base_proba[:, k]
                untaught_mass += base_proba[:, k]
        for j, cls in enumerate(self.classes_):
            out[:, SENTIMENT_LABELS.index(cls)] = head[:, j] * (1.0 - untaught_mass)
        return out


#: Taught examples a theme keeps (the newest), the cap teaching had when it copied examples
#: into the stored taxonomy.
MAX_THEME_EXAMPLES = 50


@dataclass
class ThemeExamples:
    """Taught theme examples, applied by adding them to the theme definitions.

    The theme classifier already learns from a theme's examples (its example models and
    nearest-example anchors, blended with the name, description and keywords by the number of
    examples). Until 2026-11-24 teaching also fitted a separate one-vs-rest head whose
    probability replaced the classifier's for every taught theme. That head made themes
    *worse* with a few examples per theme: taught 100 BANKING77 queries spread over 77
    intents, macro-F1 fell from 0.613 (names alone) to 0.536 (`embedding`), because a
    balanced head fitted on one to three positives is confident about unrelated queries.
    Without it the curve rises at every step (0.613 -> 0.667 at 100, 0.869 with 10 per
    theme; docs/learning.md). Examples also apply whatever backend scores, since nothing here is
    fitted on a backend's features.
    """

    examples_: dict[str, list[str]] = field(default_factory=dict)
    #: Texts a person said are not about a theme ("remove theme" corrections, labels
    #: ``not:THEME``); they become the theme's counter-examples.
    counter_examples_: dict[str, list[str]] = field(default_factory=dict)

    @property
    def themes_(self) -> list[str]:
        return sorted(set(self.examples_) | set(self.counter_examples_))

    def fit(self, texts: Sequence[str], label_sets: Sequence[set[str]]) -> ThemeExamples:
        """Keep each theme's texts in the order taught, the newest ``MAX_THEME_EXAMPLES``
        (labels ``not:THEME`` as counter-examples of THEME)."""
        by_theme: dict[str, list[str]] = {}
        against: dict[str, list[str]] = {}
        for text, labels in zip(texts, label_sets, strict=True):
            for label in sorted(labels):
                if label.startswith(NOT_PREFIX):
                    against.setdefault(label.removeprefix(NOT_PREFIX), []).append(text)
                else:
                    by_theme.setdefault(label, []).append(text)
        self.examples_ = _newest(by_theme)
        self.counter_examples_ = _newest(against)
        return self

    def apply(self, taxonomy: Sequence[ThemeDefinition]) -> list[ThemeDefinition]:
        """``taxonomy`` with the taught examples after each theme's own and the counter-
        examples added (the newest ``MAX_THEME_EXAMPLES`` of each kept); themes nobody taught
        are returned as they are."""
        out = []
        for theme in taxonomy:
            if taught := self.examples_.get(theme.name):
                theme = replace(theme, examples=_merged(theme.examples, taught))
            if against := self.counter_examples_.get(theme.name):
                theme = replace(theme, counter_examples=_merged(theme.counter_examples, against))
            out.append(theme)
        return out


def _merged(own: Sequence[str], taught: Sequence[str]) -> tuple[str, ...]:
    """``own`` then ``taught``, each text once, the newest ``MAX_THEME_EXAMPLES`` kept."""
    return tuple(list(dict.fromkeys([*own, *taught]))[-MAX_THEME_EXAMPLES:])


def _newest(by_theme: dict[str, list[str]]) -> dict[str, list[str]]:
    return {theme: list(_merged((), found)) for theme, found in sorted(by_theme.items())}


#: Penalties tried by the inner cross-validation (0 = keep the base model as it is).
C_GRID = (0.0, 0.1, 1.0, 10.0)
#: Examples per unit of ``C`` allowed (``choose_C``): the penalty loosens as examples grow.
C_PER_EXAMPLES = 20
#: Weights of the backend's dense block tried with them (see ``_with_logits``).
DENSE_WEIGHTS = (1.0, 3.0)


def _folds(labels: Sequence[str]) -> int:
    counts = Counter(labels)
    return min(5, min(counts.values())) if len(labels) >= 10 else 0


def cross_validated_accuracy(
    features: Any, base_proba: np.ndarray, labels: Sequence[str], *, C: float = 1.0
) -> float | None:
    """Honest estimate of a sentiment head's accuracy on unseen texts (None when too few)."""
    scores = _cv_scores(features, base_proba, labels, (C,), (1.0,))
    return None if scores is None else scores[(C, 1.0)]


def _cv_scores(
    features: Any,
    base_proba: np.ndarray,
    labels: Sequence[str],
    grid: Sequence[float],
    dense_weights: Sequence[float],
) -> dict[tuple[float, float], float] | None:
    """Mean held-out accuracy per (C, dense weight), same folds for all; C = 0 is the base
    model and is scored once (its dense weight does not matter)."""
    folds = _folds(labels)
    if folds < 2:
        return None
    y = np.array(labels)
    X = sparse.csr_matrix(features)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    combos = [(c, w) for w in dense_weights for c in sorted(grid) if c > 0 or w == dense_weights[0]]
    hits = dict.fromkeys(combos, 0)
    for train, test in cv.split(np.zeros(len(y)), y):
        if len(set(y[train])) < 2:
            continue
        previous: SentimentHead | None = None
        for c, w in combos:
            if previous is not None and previous.dense_weight != w:
                previous = None
            head = SentimentHead(C=c, dense_weight=w).fit(
                X[train], base_proba[train], y[train], warm_start=previous
            )
            previous = head if c > 0 else None
            pred = head.predict_proba(X[test], base_proba[test]).argmax(1)
            hits[(c, w)] += int(
                sum(SENTIMENT_LABELS[p] == t for p, t in zip(pred, y[test], strict=True))
            )
    return {combo: hits[combo] / len(y) for combo in combos}


def choose_C(
    features: Any,
    base_proba: np.ndarray,
    labels: Sequence[str],
    grid: Sequence[float] = C_GRID,
    dense_weights: Sequence[float] = DENSE_WEIGHTS,
) -> tuple[tuple[float, float], dict[tuple[float, float], float] | None]:
    """(C, dense weight) with the best cross-validated accuracy on the taught examples.

    The base model (``C = 0``) is kept unless the best correction beats it by more than
    the best of k tried corrections would by chance: one standard error of a
    cross-validated accuracy on that many examples times sqrt(2 ln k) (the expected
    maximum of k noisy estimates; k = 4 below 200 examples, so 0.165 with 25 examples). A
    handful of labels cannot talk the model out of what it knew by chance: on TweetEval
    the best-by-CV choice at 25 examples lost 0.04 on held-out data; with one standard
    error alone (until weights 2026.11.10) the correction chosen from 25 or 50 random
    tweets lost up to 0.028 against the distilled `fast` head.
    Ties go to the smaller ``C``. Too few examples to cross-validate: the base model.

    ``C`` may be at most n / 20 for n examples (so 1 below 200 examples, 10 from 200 on):
    examples chosen by active learning are the ones the base gets wrong, so cross-validation
    on them overrates a loose correction. With 25 such laptop sentences the inner CV chose
    C = 10 once and the head fell from 0.70 to 0.49 on the domain (docs/learning.md)."""
    grid = [c for c in grid if c <= max(1.0, len(labels) / C_PER_EXAMPLES)]
    scores = _cv_scores(features, base_proba, labels, grid, dense_weights)
    if scores is None:
        return (0.0, 1.0), None
    base = scores.get((0.0, dense_weights[0]), 0.0)
    best_key = min(
        (k for k, v in scores.items() if v >= max(scores.values()) - 1e-9),
        key=lambda k: (k[0], k[1]),
    )
    se = float(np.sqrt(max(base * (1.0 - base), 0.05) / len(labels)))
    # The best of k corrections beats the base by about se * sqrt(2 ln k) by chance alone.
    tried = max(2, len(scores) - 1)
    if scores[best_key] - base <= se * float(np.sqrt(2.0 * np.log(tried))):
        return (0.0, dense_weights[0]), scores
    return best_key, scores


def fit_sentiment_head(
    backend: TextBackend, examples: Sequence[LabelledExample], *, C: float | None = None
) -> tuple[SentimentHead, dict[str, float | int | None]]:
    """Validate, encode and fit; returns the head and its metrics (n, cv accuracy, C).

    ``C`` None: chosen by cross-validation on the examples (``choose_C``)."""
    validate_examples(examples, "sentiment", SENTIMENT_LABELS)
    texts = [e.text for e in examples]
    labels = [e.label for e in examples]
    feats = head_features(backend, texts)
    base = backend.sentiment_proba(texts)
    scores: dict[tuple[float, float], float] | None = None
    dense_weight = 1.0
    if C is None:
        (C, dense_weight), scores = choose_C(feats, base, labels)
    head = SentimentHead(C=C, dense_weight=dense_weight).fit(feats, base, labels)
    base_acc = float(
        np.mean([SENTIMENT_LABELS[i] == y for i, y in zip(base.argmax(1), labels, strict=True)])
    )
    cv = scores[(C, dense_weight)] if scores else cross_validated_accuracy(feats, base, labels, C=C)
    metrics: dict[str, float | int | None] = {
        "n": len(examples),
        "base_accuracy_on_taught": base_acc,
        "cv_accuracy": cv,
        "cv_accuracy_base": scores.get((0.0, DENSE_WEIGHTS[0])) if scores else None,
        "C": C,
        "dense_weight": dense_weight,
    }
    return head, metrics


def fit_theme_examples(
    examples: Sequence[LabelledExample], vocabulary: Sequence[str]
) -> tuple[ThemeExamples, dict[str, float | int | None]]:
    validate_examples(examples, "themes", vocabulary)
    by_text: dict[str, tuple[str, set[str]]] = {}
    for e in examples:
        by_text.setdefault(text_key(e.text), (e.text, set()))[1].add(e.label)
    texts = [t for t, _ in by_text.values()]
    label_sets = [s for _, s in by_text.values()]
    taught = ThemeExamples().fit(texts, label_sets)
    counter = sum(e.label.startswith(NOT_PREFIX) for e in examples)
    return taught, {
        "n": len(examples),
        "texts": len(texts),
        "themes": len(taught.themes_),
        "counter_examples": counter,
    }
