"""The ``embedding`` backend: all-MiniLM-L6-v2 sentence embeddings plus the fast features.

Same feature blocks as ``fast`` except that the dense block is the MiniLM sentence embedding
(384-d) instead of averaged static word vectors, which is what lets paraphrases with no shared
word match a theme. Importing this module imports torch; the registry does so lazily.

Options: ``model_path`` (a local sentence-transformers folder; its own sentiment weights are
then the ones in ``weights_dir`` — a different model needs retraining with
``scripts/train_text_models.py --model-path``), ``device`` (``cpu``/``cuda``; CUDA is used when
present), ``batch_size`` (32 on CPU, 256 on CUDA by default), ``max_length`` (word pieces kept
per text, 128 by default), ``precision`` (see ``cxloop.text.embeddings``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cxloop.errors import ConfigError
from cxloop.text.adapt import adapted_file, adapted_sentiment, file_digest
from cxloop.text.backends.base import register_backend
from cxloop.text.backends.fast import WEIGHTS_VERSION
from cxloop.text.backends.linear import LinearHeadsBackend
from cxloop.text.embeddings import DEFAULT_MAX_LENGTH, SentenceEncoder
from cxloop.text.features import (
    clean_texts,
    cx_cues,
    has_latin_word,
    hashed_ngrams,
    non_answers,
)
from cxloop.text.resolved import replace_rows, sentiment_view
from cxloop.text.sentiment import FeatureBlocks, SentimentModel
from cxloop.text.static_vectors import WEIGHTS_DIR
from cxloop.text.theme_classifier import ThemeClassifier, ZeroShotCalibration

#: ``example_discount`` chosen on BANKING77 *training* queries (11 CX themes, 10 examples each,
#: seed 1): 0.1 cut themes per query from 1.93 to 1.44 (macro-F1 0.62 -> 0.70), top-1 -0.3 pts.
EMBEDDING_CALIBRATION = ZeroShotCalibration(
    centre=0.40, slope=12.0, keyword_bonus=2.0, example_discount=0.1
)


class EmbeddingFeaturizer:
    """Feature blocks with MiniLM sentence embeddings as the dense block."""

    def __init__(self, encoder: SentenceEncoder) -> None:
        self.encoder = encoder

    def __call__(self, texts: Sequence[str]) -> FeatureBlocks:
        cleaned = clean_texts(texts)
        hashed = hashed_ngrams(cleaned)
        # Evidence = at least one Latin-script word: MiniLM was trained on English, so emoji-only
        # text, other scripts and answers that say nothing ("N/A") are neutral with low
        # confidence, not a guess.
        known = (np.diff(hashed.indptr) > 0) & has_latin_word(cleaned) & ~non_answers(cleaned)
        dense = self.encoder.encode(cleaned)
        dense[~known] = 0.0
        read, changed = sentiment_view(cleaned)  # "my issue was resolved": "very satisfied"
        if not changed:
            return FeatureBlocks(hashed, cx_cues(cleaned), dense, known)
        rewritten = [read[i] for i in changed]
        themes = dense.copy()
        dense[changed] = self.encoder.encode(rewritten)
        known[changed] = True  # a rewritten answer ("10/10") says something, in words
        dense[~known] = 0.0
        return FeatureBlocks(
            replace_rows(hashed, changed, hashed_ngrams(rewritten)),
            cx_cues(read),
            dense,
            known,
            themes,
            hashed,
        )


class EmbeddingBackend(LinearHeadsBackend):
    """MiniLM-based sentiment and themes; ``encode`` gives the 384-d sentence embeddings."""

    name = "embedding"

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        weights_dir: str | Path | None = None,
        device: str | None = None,
        batch_size: int | None = None,
        max_length: int = DEFAULT_MAX_LENGTH,
        precision: str | None = None,
        adapted: str | Path | None = None,
        **classifier_options: Any,
    ) -> None:
        self.encoder = SentenceEncoder(
            model_path,
            device=device,
            batch_size=batch_size,
            max_length=max_length,
            precision=precision,
        )
        self.featurize = EmbeddingFeaturizer(self.encoder)
        folder = Path(weights_dir) if weights_dir else WEIGHTS_DIR
        self.model = SentimentModel.load(folder / "sentiment_embedding.npz")
        expected = self.model.coef_.shape[1] - hashed_ngrams([""]).shape[1] - cx_cues([""]).shape[1]
        if expected != self.encoder.dim:
            raise ConfigError(
                f"the sentiment weights expect {expected}-d embeddings but the model at "
                f"'{self.encoder.model_path}' gives {self.encoder.dim}-d",
                hint="retrain: scripts/train_text_models.py --model-path FOLDER",
            )
        self.version = f"embedding-{self.encoder.name}-{WEIGHTS_VERSION}"
        if self.encoder.precision == "int8":  # its vectors differ measurably (cosine 0.97)
            self.version += "-int8"
        path = adapted_file(adapted)
        if path is not None:  # the sentiment correction of 'cxloop text adapt'; themes: MiniLM
            head_file = folder / "sentiment_embedding.npz"
            self.model = adapted_sentiment(path, self.model, head_file, "embedding")
            self.version += f"+adapted-{file_digest(path)[:12]}"
        self.classifier_options = classifier_options
        self.calibration = EMBEDDING_CALIBRATION
        self._classifiers: OrderedDict[str, ThemeClassifier] = OrderedDict()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode(clean_texts(texts))


register_backend("embedding", EmbeddingBackend)
