"""Fit the fast backend's theme table to MiniLM's vectors of whole texts.

Why: the words-alone table (each word passed through MiniLM on its own) cannot know that
"card" in a bank's comments is about payments and in a florist's about greetings. Fitting the
table so that a text's weighted mean of word vectors lands near MiniLM's vector of the whole
text teaches it how words combine in real sentences (the Tokenlearn idea). The shipped table
was fitted on public sentences (``scripts/train_text_models.py``, step ``themes``);
``cxloop text adapt`` (``cxloop.text.adapt``) fits it again on a company's own comments.
Measured in docs/text-models.md.

The fit is linear least squares: holding each text's vector length fixed for a round, every
output dimension is a ridge regression from the SIF-weighted word counts to MiniLM's text
vector (projected into the table's PCA space), solved as a change to a starting table, with
the ridge pulling towards that start. Words a corpus never uses keep their starting vectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from cxloop.text.static_vectors import StaticVectors

#: Ridge penalty towards the starting table, and fitting rounds. 0.3 of {0.1, 0.3, 1, 3, 10}:
#: best zero-shot themes on BANKING77 *training* queries, with SemEval restaurants as the
#: multi-label check (docs/text-models.md).
THEME_RIDGE = 0.3
THEME_ROUNDS = 2


def project(vectors: np.ndarray, basis: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """MiniLM vectors in the table's PCA space, rows L2-normalised."""
    projected = (np.asarray(vectors, dtype=np.float64) - mean) @ basis.T
    norms = np.linalg.norm(projected, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return projected / norms


def weighted_counts(static: StaticVectors, texts: Sequence[str]) -> sparse.csr_matrix:
    """SIF-weighted word counts, the left-hand side of the fit (and of scoring)."""
    counts = static.word_counts(list(texts)).astype(np.float64)
    return (counts @ sparse.diags(static.weights.astype(np.float64))).tocsr()


def mean_cosine(counts: sparse.csr_matrix, table: np.ndarray, target: np.ndarray) -> float:
    """Mean cosine between the table's text vectors and ``target`` (rows with words only)."""
    vectors = np.asarray(counts @ table)
    norms = np.linalg.norm(vectors, axis=1)
    keep = norms > 0
    if not keep.any():
        return 0.0
    return float(np.mean(np.sum(vectors[keep] / norms[keep, None] * target[keep], axis=1)))


def fit_theme_table(
    counts: sparse.csr_matrix,
    target: np.ndarray,
    start: np.ndarray,
    *,
    ridge: float = THEME_RIDGE,
    rounds: int = THEME_ROUNDS,
) -> np.ndarray:
    """The table whose text vectors (``counts`` @ table, normalised) best match ``target``."""
    from scipy.sparse.linalg import lsqr

    has_words = np.diff(counts.indptr) > 0
    counts, target = counts[has_words], target[has_words]
    start = np.asarray(start, dtype=np.float64)
    table = start.copy()
    if counts.shape[0] == 0:
        return table
    for _ in range(rounds):
        lengths = np.linalg.norm(counts @ table, axis=1)
        lengths[lengths == 0] = 1.0
        design = (sparse.diags(1.0 / lengths) @ counts).tocsr()
        residual = target - design @ start
        change = np.column_stack(
            [
                lsqr(design, residual[:, j], damp=float(np.sqrt(ridge)), atol=1e-6, btol=1e-6)[0]
                for j in range(start.shape[1])
            ]
        )
        table = start + change
    return table
