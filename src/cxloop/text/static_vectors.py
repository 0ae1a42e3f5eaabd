"""Static word vectors distilled from all-MiniLM-L6-v2, for the torch-free ``fast`` backend.

Why: keyword matching cannot see that "my parcel never came" is about *delivery*. Passing each
vocabulary word through MiniLM once (at training time, ``scripts/train_text_models.py``),
reducing to 128 dimensions with PCA and quantising to int8 gives a ~3 MB table whose weighted
average over a text's words is a usable sentence vector (the idea behind Model2Vec). At run
time this is one sparse count matrix times a dense table: no torch, no per-word Python loop.

Word weights follow the smooth-inverse-frequency idea (frequent words count less), estimated
on the training corpora; stop words are damped further.

A second table of the same words, ``theme_vectors``, serves theme classification. It starts
from the same distilled words and is then fitted so that a text's weighted mean lands near
MiniLM's vector for the *whole text* (the Tokenlearn idea; ``scripts/train_text_models.py``,
step ``themes``). That moved top-1 zero-shot theme accuracy on bank queries the vectors never
saw from 0.51 to 0.61, but cost sentiment about 1.5 points, so sentiment keeps the first table.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from cxloop.errors import ConfigError
from cxloop.text.token_hashing import vocabulary_counts

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
STATIC_VECTORS_FILE = WEIGHTS_DIR / "static_vectors.npz"
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W_]*\b|\b\d+\b"  # noqa: S105 - a regex, not a secret


class StaticVectors:
    """Weighted mean of distilled word vectors; rows are L2-normalised (zeros when no word)."""

    def __init__(
        self,
        vocab: Sequence[str],
        vectors: np.ndarray,
        weights: np.ndarray,
        theme_vectors: np.ndarray | None = None,
        theme_basis: np.ndarray | None = None,
        theme_mean: np.ndarray | None = None,
    ) -> None:
        self.vocab = list(vocab)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.dim = self.vectors.shape[1]
        #: The table themes read (None: they read ``vectors``, as files before 2026.11.3 did).
        self.theme_vectors = (
            None if theme_vectors is None else np.asarray(theme_vectors, dtype=np.float32)
        )
        if self.theme_vectors is not None and self.theme_vectors.shape != self.vectors.shape:
            raise ConfigError(
                f"the static vectors file has theme vectors of shape "
                f"{self.theme_vectors.shape} but word vectors of shape {self.vectors.shape}",
                hint="rebuild it with scripts/train_text_models.py --steps static themes",
            )
        #: The PCA (components, mean) that maps MiniLM vectors into the theme table's space;
        #: ``cxloop text adapt`` needs it to fit the table to a company's own comments.
        self.theme_basis = None if theme_basis is None else np.asarray(theme_basis, np.float32)
        self.theme_mean = None if theme_mean is None else np.asarray(theme_mean, np.float32)

    @classmethod
    def load(cls, path: Path = STATIC_VECTORS_FILE) -> StaticVectors:
        with np.load(path, allow_pickle=False) as data:
            vectors = _dequantised(data["vectors_q"], data["scales"])
            themes = (
                _dequantised(data["theme_vectors_q"], data["theme_scales"])
                if "theme_vectors_q" in data.files
                else None
            )
            basis, mean = (
                (data["theme_basis"], data["theme_mean"])
                if "theme_basis" in data.files
                else (None, None)
            )
            return cls(data["vocab"].tolist(), vectors, data["weights"], themes, basis, mean)

    def arrays(self) -> dict[str, Any]:
        """What :meth:`save` writes (``cxloop text adapt`` adds its own arrays to these)."""
        quantised, scales = _quantised(self.vectors)
        arrays: dict[str, Any] = {
            "vocab": np.array(self.vocab),
            "weights": self.weights.astype(np.float16),
            "vectors_q": quantised,
            "scales": scales,
        }
        if self.theme_vectors is not None:
            arrays["theme_vectors_q"], arrays["theme_scales"] = _quantised(self.theme_vectors)
        if self.theme_basis is not None and self.theme_mean is not None:
            arrays["theme_basis"] = self.theme_basis.astype(np.float32)
            arrays["theme_mean"] = self.theme_mean.astype(np.float32)
        return arrays

    def save(self, path: Path = STATIC_VECTORS_FILE) -> None:
        np.savez_compressed(path, **self.arrays())

    def with_themes_from(self, path: Path) -> StaticVectors:
        """These words and weights with the theme table of ``path`` (written by ``cxloop text
        adapt``). Only the theme table is taken, so the sentiment head always reads the words
        table it was trained with; a file made for another vocabulary is refused."""
        try:
            other = StaticVectors.load(path)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(
                f"cannot read adapted model file {path}: {exc}",
                hint="make it again with 'cxloop text adapt'",
            ) from exc
        if other.theme_vectors is None or other.vocab != self.vocab:
            raise ConfigError(
                f"{path} was not made by 'cxloop text adapt' for this version of cxloop",
                hint="make it again with 'cxloop text adapt'",
            )
        return StaticVectors(
            self.vocab,
            self.vectors,
            self.weights,
            other.theme_vectors,
            other.theme_basis,
            other.theme_mean,
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

    @cached_property
    def _weighted_theme_table(self) -> np.ndarray:
        if self.theme_vectors is None:
            return self._weighted_table
        return self.theme_vectors * self.weights[:, None]

    def word_counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return vocabulary_counts(texts, self.index, TOKEN_PATTERN)

    def from_counts(self, counts: sparse.csr_matrix) -> np.ndarray:
        """Text vectors from the word table (what the sentiment head reads)."""
        return _unit_rows(counts @ self._weighted_table)

    def themes_from_counts(self, counts: sparse.csr_matrix) -> np.ndarray:
        """Text vectors from the theme table (the word table when the file has none)."""
        return _unit_rows(counts @ self._weighted_theme_table)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.from_counts(self.word_counts(texts))


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    dense = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return dense / norms


def _quantised(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows with one float32 scale per row (a quarter of the float32 size)."""
    scales = np.abs(table).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    return np.round(table / scales[:, None]).astype(np.int8), scales.astype(np.float32)


def _dequantised(quantised: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return np.asarray(quantised, dtype=np.float32) * np.asarray(scales, dtype=np.float32)[:, None]
