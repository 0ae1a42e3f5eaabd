"""Static word vectors distilled from all-MiniLM-L6-v2, for the torch-free ``fast`` backend.

Why: keyword matching cannot see that "my parcel never came" is about *delivery*. Passing each
vocabulary word through MiniLM once (at training time, ``scripts/train_text_models.py``),
reducing to 128 dimensions with PCA and quantising to int8 gives a ~3 MB table whose weighted
average over a text's words is a usable sentence vector (the idea behind Model2Vec). At run
time this is one sparse count matrix times a dense table: no torch, no per-word Python loop.

Word weights follow the smooth-inverse-frequency idea (frequent words count less), estimated
on the training corpora; stop words are damped further.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from cxloop.text.token_hashing import vocabulary_counts

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
STATIC_VECTORS_FILE = WEIGHTS_DIR / "static_vectors.npz"
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W_]*\b|\b\d+\b"  # noqa: S105 - a regex, not a secret


class StaticVectors:
    """Weighted mean of distilled word vectors; rows are L2-normalised (zeros when no word)."""

    def __init__(self, vocab: Sequence[str], vectors: np.ndarray, weights: np.ndarray) -> None:
        self.vocab = list(vocab)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.dim = self.vectors.shape[1]

    @classmethod
    def load(cls, path: Path = STATIC_VECTORS_FILE) -> StaticVectors:
        with np.load(path, allow_pickle=False) as data:
            vectors = data["vectors_q"].astype(np.float32) * data["scales"][:, None]
            return cls(data["vocab"].tolist(), vectors, data["weights"])

    def save(self, path: Path = STATIC_VECTORS_FILE) -> None:
        scales = np.abs(self.vectors).max(axis=1) / 127.0
        scales[scales == 0] = 1.0
        quantised = np.round(self.vectors / scales[:, None]).astype(np.int8)
        np.savez_compressed(
            path,
            vocab=np.array(self.vocab),
            vectors_q=quantised,
            scales=scales.astype(np.float32),
            weights=self.weights.astype(np.float16),
        )

    @cached_property
    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.vocab)}

    @cached_property
    def counter(self) -> Any:
        """The scikit-learn ``CountVectorizer`` that :meth:`word_counts` equals (for checks)."""
        from sklearn.feature_extraction.text import CountVectorizer

        vectorizer = CountVectorizer(
            vocabulary={w: i for i, w in enumerate(self.vocab)},
            token_pattern=TOKEN_PATTERN,
            binary=True,
            dtype=np.float32,
        )
        vectorizer.fixed_vocabulary_ = True
        return vectorizer

    @cached_property
    def _weighted_table(self) -> np.ndarray:
        return self.vectors * self.weights[:, None]

    def word_counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return vocabulary_counts(texts, self.index, TOKEN_PATTERN)

    def from_counts(self, counts: sparse.csr_matrix) -> np.ndarray:
        dense = np.asarray(counts @ self._weighted_table, dtype=np.float32)
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return dense / norms

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.from_counts(self.word_counts(texts))
