"""Accuracy of the text backends on public datasets, with VADER and TextBlob baselines.

Writes the table into the ``<!-- section: text -->`` part of docs/accuracy.md (``--write``)
and prints it. Every figure comes with n and a 95 % bootstrap interval (1,000 resamples,
seed 0). Nothing here is tuned on the test data it reports:

* TweetEval sentiment: models trained on the validation split (plus the other sources listed
  in docs/text-models.md), tested on the 12,284-tweet test split.
* Clothing reviews and BANKING77 problem-vs-question polarity: the sentiment head is retrained
  *without* that dataset (leave-dataset-out), so the texts and their domain are unseen.
* SemEval-2014 restaurants: 5-fold CV (KFold, shuffle, seed 0) on the train file; in each fold
  the training sentences are the theme examples and join the sentiment head's training data.
  Category polarity is read for the gold categories; ``conflict`` counts as an error.
* SemEval zero-shot: the five categories with a one-line description and 3 keywords each,
  written once by hand, no examples.
* BANKING77 intents: taxonomy from category names only (zero-shot), and with 10 training
  examples per category (seed 0); test split; top-1 intent.
* BANKING77 as 11 CX themes (``banking_themes.py``, grouping written before measuring): the
  "themes from names, descriptions and 3 keywords on held-out complaints" proxy, multi-label
  selection exactly as ``cxloop text score`` makes it, macro-F1 over themes; also with 10
  training examples per theme (seed 0).
* Category detection counts exactly the themes the classifier selects (confidence >= 0.5);
  no sentence is forced to take its best category.

Usage::

    .venv/bin/python benchmarks/eval_text.py --backends fast embedding --write
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold

from cxloop.text.backends import get_backend
from cxloop.text.corpora import (
    LABEL_INDEX,
    LabelledTexts,
    banking_categories,
    banking_frame,
    banking_sentiment,
    clothing_reviews,
    datasets_dir,
    distillation_texts,
    semeval_polarity,
    semeval_sentences,
    sentiment_corpus,
    tweeteval,
)
from cxloop.text.embeddings import PRECISION_ENV
from cxloop.text.sentiment import FeatureBlocks, SentimentModel, sentiments_from_proba
from cxloop.text.types import ThemeDefinition

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # banking_themes, next to this file
sys.path.insert(0, str(ROOT / "scripts"))  # the shipped heads' settings
from train_text_models import EMBEDDING_PARAMS, FAST_PARAMS, train_fast_head  # noqa: E402

HEAD_PARAMS = {"fast": FAST_PARAMS, "embedding": EMBEDDING_PARAMS}
ACCURACY_MD = ROOT / "docs" / "accuracy.md"
CACHE = ROOT / ".bench" / "eval_cache"
SEED = 0
SEMEVAL_CATEGORIES = ["food", "service", "price", "ambience", "anecdotes/miscellaneous"]
SEMEVAL_ZERO_SHOT = [
    ThemeDefinition("food", "the food, dishes, menu, taste and drinks", ("food", "dish", "menu")),
    ThemeDefinition(
        "service", "staff, waiters, speed and attitude of service", ("service", "staff", "waiter")
    ),
    ThemeDefinition("price", "prices, cost and value for money", ("price", "expensive", "value")),
    ThemeDefinition(
        "ambience", "atmosphere, decor, noise, music and seating", ("atmosphere", "decor", "music")
    ),
    ThemeDefinition(
        "anecdotes/miscellaneous",
        "the visit, the place or the experience in general",
        ("place", "experience", "visit"),
    ),
]


# ------------------------------------------------------------------ statistics
def bootstrap_ci(
    metric: Callable[[np.ndarray], float], n: int, resamples: int = 1000
) -> tuple[float, float]:
    rng = np.random.default_rng(SEED)
    values = [metric(rng.integers(0, n, n)) for _ in range(resamples)]
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def accuracy_row(y: np.ndarray, p: np.ndarray) -> tuple[float, tuple[float, float]]:
    hits = (y == p).astype(float)
    return float(hits.mean()), bootstrap_ci(lambda i: float(hits[i].mean()), len(y))


def macro_f1_row(y: np.ndarray, p: np.ndarray) -> tuple[float, tuple[float, float]]:
    labels = np.unique(y)

    def score(i: np.ndarray) -> float:
        return float(f1_score(y[i], p[i], labels=labels, average="macro", zero_division=0))

    return score(np.arange(len(y))), bootstrap_ci(score, len(y), resamples=300)


def micro_f1_multilabel(gold: np.ndarray, pred: np.ndarray) -> tuple[float, tuple[float, float]]:
    """Micro-F1 over (sentence, category) pairs; bootstrap over sentences."""

    def score(i: np.ndarray) -> float:
        tp = float((gold[i] & pred[i]).sum())
        denom = float(gold[i].sum() + pred[i].sum())
        return 2 * tp / denom if denom else 0.0

    return score(np.arange(len(gold))), bootstrap_ci(score, len(gold))


# ------------------------------------------------------------------ features with cache
class Featurizer:
    """A backend's feature blocks; MiniLM vectors are cached per text (memory and disk)."""

    def __init__(self, backend_name: str) -> None:
        self.name = backend_name
        self.backend = get_backend(backend_name)
        self.featurize = self.backend.featurize  # type: ignore[attr-defined]
        self.memory: dict[str, np.ndarray] = {}
        precision = os.environ.get(PRECISION_ENV, "")  # vectors differ per precision
        self.path = CACHE / f"{backend_name}{'-' + precision if precision else ''}-vectors.npz"
        if backend_name != "fast":
            self._load()
            encoder = self.featurize.encoder
            self._encode = encoder.encode
            encoder.encode = self._cached_encode
            self.backend.featurize = self  # type: ignore[attr-defined]

    def _load(self) -> None:
        if self.path.is_file():
            with np.load(self.path, allow_pickle=False) as data:
                self.memory = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))

    def save(self) -> None:
        if self.name != "fast" and self.memory:
            CACHE.mkdir(parents=True, exist_ok=True)
            np.savez(
                self.path,
                texts=np.array(list(self.memory)),
                vectors=np.stack(list(self.memory.values())),
            )

    def _cached_encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.memory))
        if missing:
            for text, vector in zip(missing, self._encode(missing), strict=True):
                self.memory[text] = vector
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self.memory[t] for t in texts]).astype(np.float32)

    def __call__(self, texts: Sequence[str]) -> FeatureBlocks:
        return self.featurize(texts)


_FEATURIZERS: dict[str, Featurizer] = {}


def featurizer(backend_name: str) -> Featurizer:
    """One cached :class:`Featurizer` per backend for the whole run (the fast rows need the
    embedding backend too: it is the teacher of the fast head)."""
    if backend_name not in _FEATURIZERS:
        _FEATURIZERS[backend_name] = Featurizer(backend_name)
    return _FEATURIZERS[backend_name]


def retrained_head(
    feats: Featurizer,
    root: Path,
    exclude: tuple[str, ...],
    extra: LabelledTexts | None = None,
) -> SentimentModel:
    """The sentiment head retrained without ``exclude`` (and with ``extra``), as
    scripts/train_text_models.py trains the shipped one: the fast head is distilled from an
    embedding head retrained the same way, on ``distillation_texts`` without ``exclude``
    (plus ``extra``'s texts), so nothing of an excluded dataset reaches either."""
    sources = sentiment_corpus(root, exclude=exclude)
    if extra is not None:
        sources.append(extra)
    if feats.name == "fast":
        teacher_feats = featurizer("embedding")
        teacher = retrained_head(teacher_feats, root, exclude, extra)
        unlabelled = distillation_texts(root, exclude=exclude)
        if extra is not None:
            unlabelled = list(dict.fromkeys(unlabelled + extra.texts))
        return train_fast_head(feats, sources, unlabelled, teacher, teacher_feats)
    blocks = FeatureBlocks.stack([feats(s.texts) for s in sources])
    labels = np.array([y for s in sources for y in s.labels])
    return SentimentModel(**HEAD_PARAMS[feats.name]).fit(blocks, labels)


# ------------------------------------------------------------------ baselines
def vader_labels(texts: Sequence[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    scores = np.array([analyzer.polarity_scores(t)["compound"] for t in texts])
    return np.where(scores >= 0.05, 2, np.where(scores <= -0.05, 0, 1))


def textblob_labels(texts: Sequence[str]) -> np.ndarray:
    from textblob import TextBlob

    scores = np.array([TextBlob(t).sentiment.polarity for t in texts])
    return np.where(scores > 0.0, 2, np.where(scores < 0.0, 0, 1))


BASELINES = {"VADER": vader_labels, "TextBlob": textblob_labels}


# ------------------------------------------------------------------ tasks
Row = dict[str, object]


def add_row(rows: list[Row], row: Row) -> None:
    """Append one result row and print it (long runs show their progress)."""
    rows.append(row)
    print(row, flush=True)


def fmt(value: float, ci: tuple[float, float]) -> str:
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def sentiment_rows(
    task: str, data: LabelledTexts, predictors: dict[str, Callable[[], np.ndarray]]
) -> list[Row]:
    y = np.array(data.labels)
    rows = []
    for system, predict in predictors.items():
        p = predict()
        acc, acc_ci = accuracy_row(y, p)
        f1, f1_ci = macro_f1_row(y, p)
        add_row(
            rows,
            {
                "task": task,
                "system": system,
                "n": len(y),
                "metric 1": f"accuracy {fmt(acc, acc_ci)}",
                "metric 2": f"macro-F1 {fmt(f1, f1_ci)}",
            },
        )
    return rows


def eval_sentiment(
    backends: list[str], feats: dict[str, Featurizer], root: Path, limit: int | None, retrain: bool
) -> list[Row]:
    rows: list[Row] = []
    test = tweeteval(root, "test")
    task = "TweetEval test (train: val split + other sources)"
    if limit:
        test = LabelledTexts(test.name, test.texts[:limit], test.labels[:limit])
        task = f"TweetEval test, first {limit} tweets (train: val split + other sources)"
    predictors: dict[str, Callable[[], np.ndarray]] = {
        b: (lambda b=b: feats[b].backend.model.predict_proba(feats[b](test.texts)).argmax(1))  # type: ignore[attr-defined]
        for b in backends
    }
    predictors |= {k: (lambda f=f: f(test.texts)) for k, f in BASELINES.items()}
    rows += sentiment_rows(task, test, predictors)
    if not retrain:
        return rows
    for name, data, exclude in (
        (
            "Clothing reviews, rating 1-2 vs 4-5 (dataset left out of training)",
            clothing_reviews(root),
            ("clothing",),
        ),
        (
            "BANKING77 test: problem report = negative, question = neutral "
            "(dataset left out of training)",
            banking_sentiment(root, "test"),
            ("banking77",),
        ),
    ):
        predictors = {}
        for b in backends:
            head = retrained_head(feats[b], root, exclude)
            predictors[b] = lambda head=head, b=b, data=data: head.predict_proba(
                feats[b](data.texts)
            ).argmax(1)
        predictors |= {k: (lambda f=f, data=data: f(data.texts)) for k, f in BASELINES.items()}
        rows += sentiment_rows(name, data, predictors)
    return rows


def eval_semeval(
    backends: list[str], feats: dict[str, Featurizer], root: Path, retrain: bool
) -> list[Row]:
    sentences = semeval_sentences(root, "Restaurants_Train.xml")
    texts = [s.text for s in sentences]
    cat_index = {c: i for i, c in enumerate(SEMEVAL_CATEGORIES)}
    gold = np.zeros((len(texts), len(SEMEVAL_CATEGORIES)), dtype=bool)
    for i, s in enumerate(sentences):
        for c in s.categories:
            gold[i, cat_index[c]] = True
    pairs = [
        (i, cat_index[c], pol) for i, s in enumerate(sentences) for c, pol in s.categories.items()
    ]
    polarity_of = {
        p: LABEL_INDEX.get(p, -1) for p in ("positive", "negative", "neutral", "conflict")
    }
    rows: list[Row] = []
    folds = list(KFold(5, shuffle=True, random_state=SEED).split(texts))
    labelled = semeval_polarity(root, "Restaurants_Train.xml")
    labelled_ids = {sid: k for k, sid in enumerate(labelled.groups)}
    for b in backends:
        feat = feats[b]
        blocks = feat(texts)
        pred = np.zeros_like(gold)
        pol_pred = np.full(len(pairs), -1)
        for train_idx, test_idx in folds:
            train_set = set(train_idx.tolist())
            taxonomy = [
                ThemeDefinition(c, examples=tuple(texts[i] for i in train_idx if gold[i, k]))
                for k, c in enumerate(SEMEVAL_CATEGORIES)
            ]
            classifier = feat.backend.classifier(taxonomy)  # type: ignore[attr-defined]
            test_texts = [classifier_text(texts[i]) for i in test_idx]
            test_blocks = blocks.subset(test_idx)
            conf = classifier.confidences(test_texts, test_blocks)
            pred[test_idx] = selected(classifier, conf, test_blocks)
            if not retrain:
                continue
            extra_idx = [
                labelled_ids[sentences[i].sid]
                for i in train_idx
                if sentences[i].sid in labelled_ids
            ]
            extra = LabelledTexts(
                "restaurants_fold",
                [labelled.texts[k] for k in extra_idx],
                [labelled.labels[k] for k in extra_idx],
            )
            head = retrained_head(feat, root, ("semeval_restaurants",), extra)
            doc = sentiments_from_proba(head.predict_proba(test_blocks))
            position = {int(i): k for k, i in enumerate(test_idx)}
            chosen: list[list[tuple[int, float]]] = [[] for _ in test_idx]
            pair_rows = [k for k, (i, _, _) in enumerate(pairs) if i in position]
            for k in pair_rows:
                i, c, _ = pairs[k]
                chosen[position[i]].append((c, 1.0))
            aspect = classifier.aspect_sentiments(test_texts, chosen, head.predict_proba)
            for k in pair_rows:
                i, c, _ = pairs[k]
                sent = aspect.get((position[i], c), doc[position[i]])
                pol_pred[k] = LABEL_INDEX[sent.label]
            assert not (train_set & set(test_idx.tolist()))
        f1, ci = micro_f1_multilabel(gold, pred)
        add_row(
            rows,
            {
                "task": "SemEval-2014 restaurants, 5-fold CV (seed 0): category detection",
                "system": b,
                "n": len(texts),
                "metric 1": f"micro-F1 {fmt(f1, ci)}",
                "metric 2": "",
            },
        )
        if retrain:
            add_row(rows, polarity_row(b, pairs, pol_pred, polarity_of))
        classifier = feat.backend.classifier(SEMEVAL_ZERO_SHOT)  # type: ignore[attr-defined]
        conf = classifier.confidences([classifier_text(t) for t in texts], blocks)
        zpred = selected(classifier, conf, blocks)
        f1, ci = micro_f1_multilabel(gold, zpred)
        macro = f1_score(gold, zpred, average="macro", zero_division=0)
        add_row(
            rows,
            {
                "task": "SemEval-2014 restaurants, zero-shot category detection "
                "(names + description + 3 keywords, no examples)",
                "system": b,
                "n": len(texts),
                "metric 1": f"micro-F1 {fmt(f1, ci)}",
                "metric 2": f"macro-F1 {macro:.3f}",
            },
        )
    polarity_baselines(rows, sentences, pairs, polarity_of)
    return rows


def polarity_row(system: str, pairs, pol_pred: np.ndarray, polarity_of) -> Row:  # type: ignore[no-untyped-def]
    y_pol = np.array([polarity_of[p] for _, _, p in pairs])
    acc, acc_ci = accuracy_row(y_pol, pol_pred)
    no_conflict = y_pol >= 0
    acc_nc, acc_nc_ci = accuracy_row(y_pol[no_conflict], pol_pred[no_conflict])
    return {
        "task": "SemEval-2014 restaurants, 5-fold CV (seed 0): category polarity "
        "(gold categories; conflict counts as wrong / conflict excluded)",
        "system": system,
        "n": len(pairs),
        "metric 1": f"accuracy {fmt(acc, acc_ci)}",
        "metric 2": f"excl. conflict {fmt(acc_nc, acc_nc_ci)} (n={int(no_conflict.sum())})",
    }


def polarity_baselines(rows: list[Row], sentences, pairs, polarity_of) -> None:  # type: ignore[no-untyped-def]
    texts = [s.text for s in sentences]
    y_pol = np.array([polarity_of[p] for _, _, p in pairs])
    for name, f in BASELINES.items():
        doc = f(texts)
        p = np.array([doc[i] for i, _, _ in pairs])
        acc, ci = accuracy_row(y_pol, p)
        add_row(
            rows,
            {
                "task": "SemEval-2014 restaurants: category polarity (sentence score)",
                "system": name,
                "n": len(pairs),
                "metric 1": f"accuracy {fmt(acc, ci)}",
                "metric 2": "",
            },
        )


def selected(classifier: Any, conf: np.ndarray, blocks: FeatureBlocks) -> np.ndarray:
    """(n, T) bool: the themes a user gets for each text (``select``: at or above the
    threshold, none forced; an earlier harness gave every sentence its best category, which
    no user path does)."""
    pred = np.zeros(conf.shape, dtype=bool)
    for row, picks in enumerate(classifier.select(conf, classifier.keyword_hits(blocks))):
        for t, _ in picks:
            pred[row, t] = True
    return pred


def classifier_text(text: str) -> str:
    from cxloop.text.features import clean_texts

    return clean_texts([text])[0]


def eval_banking(backends: list[str], feats: dict[str, Featurizer], root: Path) -> list[Row]:
    categories = banking_categories(root)
    train, test = banking_frame(root, "train"), banking_frame(root, "test")
    y = test["category"].map({c: i for i, c in enumerate(categories)}).to_numpy()
    rng = np.random.default_rng(SEED)
    shots = {
        c: tuple(
            rng.choice(train.loc[train["category"] == c, "text"].to_numpy(), 10, replace=False)
        )
        for c in categories
    }
    rows: list[Row] = []
    for b in backends:
        feat = feats[b]
        test_texts = test["text"].tolist()
        blocks = feat(test_texts)
        cleaned = [classifier_text(t) for t in test_texts]
        for label, taxonomy in (
            ("names only (zero-shot)", [ThemeDefinition(c) for c in categories]),
            (
                "names + 10 examples per intent",
                [ThemeDefinition(c, examples=shots[c]) for c in categories],
            ),
        ):
            started = time.perf_counter()
            classifier = feat.backend.classifier(taxonomy)  # type: ignore[attr-defined]
            p = classifier.confidences(cleaned, blocks).argmax(axis=1)
            acc, ci = accuracy_row(y, p)
            f1, f1_ci = macro_f1_row(y, p)
            add_row(
                rows,
                {
                    "task": f"BANKING77 test, 77 intents, top-1, {label}",
                    "system": b,
                    "n": len(y),
                    "metric 1": f"accuracy {fmt(acc, ci)}",
                    "metric 2": f"macro-F1 {fmt(f1, f1_ci)}",
                },
            )
            print(rows[-1], f"{time.perf_counter() - started:.1f}s", flush=True)
    rows += eval_banking_themes(backends, feats, train, test)
    return rows


def banking_theme_gold(frame: Any) -> np.ndarray:
    """(n, 11) bool: each BANKING77 query's one CX theme (``banking_themes.THEME_OF``)."""
    from banking_themes import TAXONOMY, THEME_OF

    gold = np.zeros((len(frame), len(TAXONOMY)), dtype=bool)
    gold[np.arange(len(frame)), frame["category"].map(THEME_OF).to_numpy()] = True
    return gold


def banking_theme_shots(train: Any) -> list[ThemeDefinition]:
    """The 11 CX themes, each with 10 training queries as examples (seed ``SEED``)."""
    from banking_themes import TAXONOMY, THEME_OF

    theme_of_train = train["category"].map(THEME_OF).to_numpy()
    rng = np.random.default_rng(SEED)
    shots = [
        tuple(rng.choice(train["text"].to_numpy()[theme_of_train == k], 10, replace=False))
        for k in range(len(TAXONOMY))
    ]
    return [replace(t, examples=shots[k]) for k, t in enumerate(TAXONOMY)]


def theme_predictions(
    feat: Featurizer, taxonomy: Sequence[ThemeDefinition], texts: Sequence[str]
) -> np.ndarray:
    """(n, T) bool: the themes a user gets for ``texts`` with ``taxonomy`` (:func:`selected`)."""
    blocks = feat(texts)
    classifier = feat.backend.classifier(taxonomy)  # type: ignore[attr-defined]
    cleaned = [classifier_text(t) for t in texts]
    return selected(classifier, classifier.confidences(cleaned, blocks), blocks)


def eval_banking_themes(
    backends: list[str], feats: dict[str, Featurizer], train: Any, test: Any
) -> list[Row]:
    """Eleven CX themes over BANKING77 (``banking_themes``): multi-label selection as users get
    it (themes at confidence >= 0.5), macro-F1 over themes on the test split; zero-shot from
    name + description + 3 keywords, and with 10 training examples per theme (seed 0)."""
    from banking_themes import TAXONOMY

    gold = banking_theme_gold(test)
    texts = test["text"].tolist()
    rows: list[Row] = []
    for b in backends:
        for label, taxonomy in (
            ("name + description + 3 keywords (zero-shot)", TAXONOMY),
            (
                "name + description + 3 keywords + 10 examples per theme",
                banking_theme_shots(train),
            ),
        ):
            pred = theme_predictions(feats[b], taxonomy, texts)
            f1, f1_ci = multilabel_macro_f1(gold, pred)
            micro, micro_ci = micro_f1_multilabel(gold, pred)
            rows.append(
                {
                    "task": f"BANKING77 test as 11 CX themes, multi-label, {label}",
                    "system": b,
                    "n": len(texts),
                    "metric 1": f"macro-F1 {fmt(f1, f1_ci)}",
                    "metric 2": f"micro-F1 {fmt(micro, micro_ci)}",
                },
            )
    return rows


def multilabel_macro_f1(gold: np.ndarray, pred: np.ndarray) -> tuple[float, tuple[float, float]]:
    """Mean over themes of per-theme F1; bootstrap over texts (300 resamples)."""

    def score(i: np.ndarray) -> float:
        return float(f1_score(gold[i], pred[i], average="macro", zero_division=0))

    return score(np.arange(len(gold))), bootstrap_ci(score, len(gold), resamples=300)


# ------------------------------------------------------------------ report
def markdown(runs: list[dict[str, Any]]) -> str:
    """One table from one or more runs (a slow backend may be measured in its own run)."""
    merged: dict[tuple[str, str], Row] = {}
    for run in runs:
        for r in run["rows"]:
            merged[(str(r["task"]), str(r["system"]))] = r
    order = {"fast": 0, "embedding": 1, "VADER": 2, "TextBlob": 3}
    tasks = list(dict.fromkeys(task for task, _ in merged))
    runs_text = "; ".join(
        f"{', '.join(r['backends'])} at {r['at']} ({r['minutes']:.0f} min"
        + (f", load average {r['load'][0]:.1f} -> {r['load'][1]:.1f})" if "load" in r else ")")
        for r in runs
    )
    lines = [
        "<!-- section: text -->",
        f"Measured by `benchmarks/eval_text.py` on {platform.machine()}, 2 cores shared with "
        f"other jobs (runs: {runs_text}). Baselines are "
        "measured in the same run. 95 % "
        "bootstrap intervals in brackets (1,000 resamples, seed 0; 300 for macro-F1). "
        "Training data, label mappings and protocol: [text-models.md](text-models.md).",
        "",
        "| task | system | n | result | |",
        "|---|---|---:|---|---|",
    ]
    for task in tasks:
        systems = sorted((s for t, s in merged if t == task), key=lambda s: order.get(s, 9))
        for system in systems:
            r = merged[(task, system)]
            lines.append(f"| {task} | {system} | {r['n']} | {r['metric 1']} | {r['metric 2']} |")
    lines += ["", *target_lines(merged)]
    return "\n".join(lines) + "\n"


#: (target, task prefix, metric field, threshold) from issues 3 and 4.
TARGETS = [
    (
        "SemEval category detection micro-F1 >= 0.89",
        "SemEval-2014 restaurants, 5-fold CV (seed 0): category detection",
        "metric 1",
        0.89,
    ),
    (
        "SemEval category polarity accuracy >= 0.85",
        "SemEval-2014 restaurants, 5-fold CV (seed 0): category polarity",
        "metric 1",
        0.85,
    ),
    (
        "themes from names + descriptions + 3 keywords, macro-F1 >= 0.65 "
        "(proxy: SemEval zero-shot)",
        "SemEval-2014 restaurants, zero-shot",
        "metric 2",
        0.65,
    ),
    (
        "themes from names + descriptions + 3 keywords, macro-F1 >= 0.65 "
        "(proxy: BANKING77 as 11 CX themes)",
        "BANKING77 test as 11 CX themes, multi-label, name + description + 3 keywords (zero",
        "metric 1",
        0.65,
    ),
    (
        "themes with 10 examples, macro-F1 >= 0.80 (proxy: BANKING77 as 11 CX themes)",
        "BANKING77 test as 11 CX themes, multi-label, name + description + 3 keywords + 10",
        "metric 1",
        0.80,
    ),
    (
        "themes with 10 examples, macro-F1 >= 0.80 (proxy: BANKING77 10-shot)",
        "BANKING77 test, 77 intents, top-1, names + 10",
        "metric 2",
        0.80,
    ),
    (
        "CX complaint sentiment accuracy >= 0.75 (proxy: BANKING77 left out)",
        "BANKING77 test: problem report",
        "metric 1",
        0.75,
    ),
    (
        "CX complaint sentiment macro-F1 >= 0.70 (proxy: BANKING77 left out)",
        "BANKING77 test: problem report",
        "metric 2",
        0.70,
    ),
]


def _first_number(text: str) -> float | None:
    found = re.search(r"(\d+\.\d+)", text)
    return float(found.group(1)) if found else None


def target_lines(merged: dict[tuple[str, str], Row]) -> list[str]:
    """Targets against what each backend reached, read from the rows above."""
    lines = ["**Targets** (reached = point estimate at or above the target):", ""]
    lines += ["| target | backend | value | reached |", "|---|---|---|---|"]
    for label, prefix, field, threshold in TARGETS:
        for (task, system), row in merged.items():
            if task.startswith(prefix) and system in ("fast", "embedding"):
                value = _first_number(str(row[field]))
                if value is None:
                    continue
                verdict = "yes" if value >= threshold else "**no**"
                lines.append(f"| {label} | {system} | {value:.3f} | {verdict} |")
    lines += [
        "",
        "The held-out CX acceptance set is not available to us; the BANKING77 rows (problem "
        "reports vs questions, dataset left out of training) and SemEval zero-shot are proxies "
        "and say nothing certain about it.",
        "",
        "**Still short**: SemEval category detection (0.83 embedding vs 0.89) and category "
        "polarity (0.72 vs 0.85); zero-shot themes on SemEval (0.52-0.60 vs 0.65) and on the "
        "bank queries with `fast` (0.60); 10-shot CX themes (0.79 embedding, 0.71 `fast`, vs "
        "0.80). Frozen MiniLM vectors with linear heads plateau here: richer frozen features, "
        "tuned thresholds and aspect-conditioned heads all stayed within about one point, and "
        "fine-tuning all of MiniLM on a SemEval fold gained 0.02 in detection and 0.03 in "
        "polarity (benchmarks/finetune_semeval.py), still far from the targets. What was tried "
        "is in [text-models.md](text-models.md); what each shipped change did to these rows "
        "is in [accuracy-history.md](accuracy-history.md).",
    ]
    return lines


def write_section(text: str) -> None:
    doc = ACCURACY_MD.read_text()
    pattern = re.compile(r"<!-- section: text -->.*?(?=\n## |\Z)", re.S)
    ACCURACY_MD.write_text(pattern.sub(lambda _m: text.rstrip("\n") + "\n", doc, count=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", default=["fast", "embedding"])
    parser.add_argument("--tasks", nargs="+", default=["sentiment", "semeval", "banking"])
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--write", action="store_true", help="update docs/accuracy.md")
    parser.add_argument("--limit", type=int, default=None, help="first N TweetEval test tweets")
    parser.add_argument(
        "--no-retrain",
        action="store_true",
        help="skip rows that retrain the sentiment head (leave-dataset-out, SemEval polarity)",
    )
    args = parser.parse_args()
    root = datasets_dir(args.datasets)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    feats = {b: featurizer(b) for b in args.backends}
    rows: list[Row] = []
    if "sentiment" in args.tasks:
        rows += eval_sentiment(args.backends, feats, root, args.limit, not args.no_retrain)
    if "semeval" in args.tasks:
        rows += eval_semeval(args.backends, feats, root, not args.no_retrain)
    if "banking" in args.tasks:
        rows += eval_banking(args.backends, feats, root)
    for feat in _FEATURIZERS.values():
        feat.save()
    run = {
        "backends": args.backends,
        "minutes": (time.perf_counter() - started) / 60,
        "load": [load_before, os.getloadavg()[0]],  # 1-minute load average, start and end
        "at": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "rows": rows,
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / f"rows-{'-'.join(args.backends)}-{'-'.join(args.tasks)}.json").write_text(
        json.dumps(run, indent=1)
    )
    text = markdown([run])
    print(text)
    if args.write:
        files = sorted(CACHE.glob("rows-*.json"), key=lambda p: p.stat().st_mtime)
        runs = [json.loads(p.read_text()) for p in files]  # later runs override earlier rows
        write_section(markdown(runs))


if __name__ == "__main__":
    main()
