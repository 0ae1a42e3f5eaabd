"""What the fast and embedding backends share: linear sentiment weights and a theme
classifier over the same feature blocks, so one featurisation serves both.

A subclass sets ``featurize`` (texts -> FeatureBlocks), ``model`` (SentimentModel),
``calibration`` (its zero-shot calibration) and ``classifier_options``; it keeps its own
``encode``. Classifiers are cached per taxonomy content, so a pipeline fits once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cxloop.text.sentiment import FeatureBlocks, SentimentModel, sentiments_from_proba
from cxloop.text.theme_classifier import ThemeClassifier, ZeroShotCalibration, taxonomy_key
from cxloop.text.types import Sentiment, ThemeDefinition, ThemeMatch

_CACHE_SIZE = 8


class LinearHeadsBackend:
    featurize: Callable[[Sequence[str]], FeatureBlocks]
    model: SentimentModel
    calibration: ZeroShotCalibration
    classifier_options: dict[str, Any]
    _classifiers: OrderedDict[str, ThemeClassifier]

    def sentiment_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.predict_proba(self.featurize(texts))

    def sentiment(self, texts: Sequence[str]) -> list[Sentiment]:
        return sentiments_from_proba(self.sentiment_proba(texts))

    def classifier(self, taxonomy: Sequence[ThemeDefinition]) -> ThemeClassifier:
        """The fitted classifier for ``taxonomy`` (cached by its content)."""
        if not hasattr(self, "_classifiers"):
            self._classifiers = OrderedDict()
        key = taxonomy_key(taxonomy)
        if key not in self._classifiers:
            self.install_classifier(taxonomy, self.new_classifier().fit(taxonomy))
        self._classifiers.move_to_end(key)
        return self._classifiers[key]

    def new_classifier(self) -> ThemeClassifier:
        """An unfitted classifier on this backend's features, calibration and options."""
        options = {"threshold": 0.5, **self.classifier_options}
        return ThemeClassifier(self.featurize, self.calibration, **options)

    def install_classifier(
        self, taxonomy: Sequence[ThemeDefinition], classifier: ThemeClassifier
    ) -> None:
        """Use ``classifier`` (fitted on ``taxonomy``, e.g. restored by the engine cache)."""
        if not hasattr(self, "_classifiers"):
            self._classifiers = OrderedDict()
        self._classifiers[taxonomy_key(taxonomy)] = classifier
        while len(self._classifiers) > _CACHE_SIZE:
            self._classifiers.popitem(last=False)

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
