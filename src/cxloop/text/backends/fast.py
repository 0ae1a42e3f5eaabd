"""The ``fast`` backend: no PyTorch, vectorised features, shipped linear weights.

Features per text: hashed word 1-2-grams, CX cue counts and a 128-d vector averaged from
static word vectors distilled from all-MiniLM-L6-v2 (see ``cxloop.text.static_vectors``).
Sentiment is a logistic regression over them; themes come from ``ThemeClassifier``. Fitted
theme classifiers are cached per taxonomy, so a pipeline calling ``themes`` batch after batch
fits once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cxloop.text.backends.base import register_backend
from cxloop.text.features import clean_texts, cx_cues, hashed_ngrams
from cxloop.text.sentiment import FeatureBlocks, SentimentModel, sentiments_from_proba
from cxloop.text.static_vectors import WEIGHTS_DIR, StaticVectors
from cxloop.text.theme_classifier import ThemeClassifier, ZeroShotCalibration, taxonomy_key
from cxloop.text.types import Sentiment, ThemeDefinition, ThemeMatch

#: Bump when the shipped weights or the features change: enrichments by an older version are
#: redone by ``cxloop enrich``.
WEIGHTS_VERSION = "2026.11.1"
FAST_CALIBRATION = ZeroShotCalibration(centre=0.39, slope=12.0, keyword_bonus=3.0)
_CACHE_SIZE = 8


class FastFeaturizer:
    """Feature blocks for the fast backend (usable without any sentiment weights)."""

    def __init__(self, static: StaticVectors) -> None:
        self.static = static

    def __call__(self, texts: Sequence[str]) -> FeatureBlocks:
        cleaned = clean_texts(texts)
        counts = self.static.word_counts(cleaned)
        hashed = hashed_ngrams(cleaned)
        # Evidence = at least one word of the (English) vocabulary: emoji-only text and
        # scripts the model never saw are neutral with low confidence, not a guess.
        known = np.diff(counts.indptr) > 0
        return FeatureBlocks(hashed, cx_cues(cleaned), self.static.from_counts(counts), known)


class FastBackend:
    """Torch-free sentiment and themes; ``encode`` gives 128-d static vectors plus CX cues."""

    name = "fast"

    def __init__(self, weights_dir: str | Path | None = None, **classifier_options: Any) -> None:
        folder = Path(weights_dir) if weights_dir else WEIGHTS_DIR
        self.featurize = FastFeaturizer(StaticVectors.load(folder / "static_vectors.npz"))
        self.model = SentimentModel.load(folder / "sentiment_fast.npz")
        self.version = f"fast-{WEIGHTS_VERSION}"
        self.classifier_options = classifier_options
        self._classifiers: OrderedDict[str, ThemeClassifier] = OrderedDict()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        blocks = self.featurize(texts)
        return np.hstack([blocks.dense, blocks.cues]).astype(np.float32)

    def sentiment_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.predict_proba(self.featurize(texts))

    def sentiment(self, texts: Sequence[str]) -> list[Sentiment]:
        return sentiments_from_proba(self.sentiment_proba(texts))

    def classifier(self, taxonomy: Sequence[ThemeDefinition]) -> ThemeClassifier:
        """The fitted classifier for ``taxonomy`` (cached by its content)."""
        key = taxonomy_key(taxonomy)
        if key not in self._classifiers:
            options = {"threshold": 0.5, **self.classifier_options}
            self._classifiers[key] = ThemeClassifier(
                self.featurize, FAST_CALIBRATION, **options
            ).fit(taxonomy)
            while len(self._classifiers) > _CACHE_SIZE:
                self._classifiers.popitem(last=False)
        self._classifiers.move_to_end(key)
        return self._classifiers[key]

    def analyse(
        self, texts: Sequence[str], taxonomy: Sequence[ThemeDefinition]
    ) -> tuple[list[Sentiment], list[list[ThemeMatch]]]:
        """Document sentiment and themes in one pass over the features (what enrich needs)."""
        blocks = self.featurize(texts)  # the caller's list itself: teaching wrappers memoise it
        doc = sentiments_from_proba(self.model.predict_proba(blocks))
        if not taxonomy:
            return doc, [[] for _ in texts]
        themes = self.classifier(taxonomy).predict(texts, blocks, doc, self.model.predict_proba)
        return doc, themes

    def themes(
        self, texts: Sequence[str], taxonomy: Sequence[ThemeDefinition]
    ) -> list[list[ThemeMatch]]:
        return self.analyse(texts, taxonomy)[1]


register_backend("fast", FastBackend)
