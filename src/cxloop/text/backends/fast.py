"""The ``fast`` backend: no PyTorch, vectorised features, shipped linear weights.

Features per text: hashed word 1-2-grams, CX cue counts and a 128-d vector averaged from
static word vectors distilled from all-MiniLM-L6-v2 (see ``cxloop.text.static_vectors``);
for sentiment also the words a negator covers, as a vector of their own and as n-grams
marked ``not_`` (``cxloop.text.features.negated_words``).
Sentiment is a logistic regression over them; themes come from ``ThemeClassifier``. Fitted
theme classifiers are cached per taxonomy, so a pipeline calling ``themes`` batch after batch
fits once.

Option ``adapted`` (or ``CXLOOP_TEXT_ADAPTED``): a file written by ``cxloop text adapt`` (a
theme table and a sentiment correction fitted on a company's own comments). The backend's
version then names the file's content, so enrichments and cached classifiers made without it
are redone.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cxloop.text.adapt import adapted_file, adapted_sentiment, file_digest
from cxloop.text.backends.base import register_backend
from cxloop.text.backends.linear import LinearHeadsBackend
from cxloop.text.features import (
    clean_texts,
    cx_cues,
    hashed_ngrams,
    negated_words,
    negation_marks,
    non_answers,
)
from cxloop.text.resolved import replace_rows, sentiment_view
from cxloop.text.sentiment import FeatureBlocks, SentimentModel
from cxloop.text.static_vectors import WEIGHTS_DIR, StaticVectors
from cxloop.text.theme_classifier import ThemeClassifier, ZeroShotCalibration

#: Bump when the shipped weights or the features change: enrichments by an older version are
#: redone by ``cxloop enrich``.
WEIGHTS_VERSION = "2026.11.11"
#: ``example_discount`` chosen on BANKING77 *training* queries (11 CX themes, 10 examples each,
#: seed 1): 0.2 cut themes per query from 5.95 to 2.57 (macro-F1 0.27 -> 0.47), top-1 -1.8 pts.
#: ``slope`` and ``keyword_bonus`` chosen again for the theme table (2026.11.3) on 2,000
#: BANKING77 training queries as 11 CX themes, zero-shot, with SemEval restaurants zero-shot as
#: the multi-label check: slope 12 -> 8 and bonus 3 -> 5 moved them 0.528 -> 0.541 and
#: 0.561 -> 0.587 micro-F1; with 10 examples per theme 0.709 -> 0.705 (flat).
FAST_CALIBRATION = ZeroShotCalibration(
    centre=0.39, slope=8.0, keyword_bonus=5.0, example_discount=0.2
)


class FastFeaturizer:
    """Feature blocks for the fast backend (usable without any sentiment weights)."""

    def __init__(self, static: StaticVectors) -> None:
        self.static = static

    def __call__(self, texts: Sequence[str]) -> FeatureBlocks:
        cleaned = clean_texts(texts)
        counts = self.static.word_counts(cleaned)
        hashed = hashed_ngrams(cleaned)
        # Evidence = at least one word of the (English) vocabulary: emoji-only text, scripts
        # the model never saw and answers that say nothing ("N/A") are neutral with low
        # confidence, not a guess.
        known = (np.diff(counts.indptr) > 0) & ~non_answers(cleaned)
        themes = (
            None if self.static.theme_vectors is None else self.static.themes_from_counts(counts)
        )
        read, changed = sentiment_view(cleaned)  # "my issue was resolved": "very satisfied"
        sentiment_hashed, theme_hashed = hashed, None
        if changed:
            if themes is None:  # themes keep the words as written; ``counts`` changes below
                themes = self.static.from_counts(counts)
            rewritten = [read[i] for i in changed]
            known[changed] = True  # a rewritten answer ("10/10") says something, in words
            counts = replace_rows(counts, changed, self.static.word_counts(rewritten))
            sentiment_hashed = replace_rows(hashed, changed, hashed_ngrams(rewritten))
            theme_hashed = hashed
        # Words a negator covers ("didn't *help*"): their own vector, and their n-grams
        # marked "not_" next to the text's own, which themes do not read.
        negated = negated_words(read)
        if any(negated):
            sentiment_hashed = (sentiment_hashed + negation_marks(negated)).tocsr()
            theme_hashed = hashed
        return FeatureBlocks(
            sentiment_hashed,
            cx_cues(read),
            self.static.from_counts(counts),
            known,
            themes,
            theme_hashed,
            self.static.from_counts(self.static.word_counts(negated)),
        )


class FastBackend(LinearHeadsBackend):
    """Torch-free sentiment and themes; ``encode`` gives 128-d static vectors plus CX cues."""

    name = "fast"

    def __init__(
        self,
        weights_dir: str | Path | None = None,
        adapted: str | Path | None = None,
        **classifier_options: Any,
    ) -> None:
        folder = Path(weights_dir) if weights_dir else WEIGHTS_DIR
        static = StaticVectors.load(folder / "static_vectors.npz")
        self.model = SentimentModel.load(folder / "sentiment_fast.npz")
        self.version = f"fast-{WEIGHTS_VERSION}"
        path = adapted_file(adapted)
        if path is not None:
            static = static.with_themes_from(path)
            self.model = adapted_sentiment(path, self.model, folder / "sentiment_fast.npz", "fast")
            self.version += f"+adapted-{file_digest(path)[:12]}"
        self.featurize = FastFeaturizer(static)
        self.classifier_options = classifier_options
        self.calibration = FAST_CALIBRATION
        self._classifiers: OrderedDict[str, ThemeClassifier] = OrderedDict()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        blocks = self.featurize(texts)
        return np.hstack([blocks.dense, blocks.cues]).astype(np.float32)


register_backend("fast", FastBackend)
