"""Word n-gram hashing and vocabulary counts without importing scikit-learn at run time.

Why: the fast backend's features were computed with scikit-learn's ``HashingVectorizer`` and
``CountVectorizer``, and importing scikit-learn costs about a second of CPU (it pulls in
``scipy.stats``), which is a third of the time budget of scoring a 15,000-row file. These
functions give **bit-identical** matrices (the tests compare them with scikit-learn's):

* :func:`hashed_ngram_matrix` = ``HashingVectorizer(ngram_range=(1, 2), binary=True,
  norm="l2", alternate_sign=False, dtype=float32)``: lower-case, ``token_pattern`` words,
  unigrams then space-joined bigrams, MurmurHash3 (x86, 32-bit, seed 0) of the UTF-8 bytes,
  ``abs(h) % n_features`` as column, duplicates merged, every value ``1/sqrt(k)``.
* :func:`vocabulary_counts` = ``CountVectorizer(vocabulary=..., binary=True)``.

MurmurHash3 comes from the ``mmh3`` C extension (one C call per n-gram, as fast as
scikit-learn's Cython loop, at no import cost).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, pairwise

import mmh3
import numpy as np
from scipy import sparse


def hash_columns(tokens: Iterable[str], n_features: int, count: int = -1) -> np.ndarray:
    """Column of each token in a hashed space of ``n_features`` (scikit-learn's rule:
    ``abs(h) % n_features`` of the signed MurmurHash3 of the UTF-8 bytes, seed 0)."""
    hashes = np.fromiter(map(mmh3.hash, tokens), dtype=np.int64, count=count)
    columns = np.abs(hashes) % n_features
    columns[hashes == -(2**31)] = (2**31 - 1 - (n_features - 1)) % n_features
    return columns.astype(np.int32)


def ngram_analyzer(token_pattern: str) -> _NgramAnalyzer:
    """Lower-cased ``token_pattern`` words then space-joined word bigrams of one text."""
    return _NgramAnalyzer(token_pattern)


class _NgramAnalyzer:
    def __init__(self, token_pattern: str) -> None:
        self.findall = re.compile(token_pattern).findall

    def __call__(self, text: str) -> list[str]:
        tokens: list[str] = self.findall(text.lower())
        if len(tokens) > 1:
            tokens += [f"{a} {b}" for a, b in pairwise(tokens)]
        return tokens


def hashed_ngram_matrix(
    texts: Sequence[str], n_features: int, token_pattern: str
) -> sparse.csr_matrix:
    """(n, n_features) L2-normalised binary word 1-2-gram indicators (see module doc)."""
    analyze = _NgramAnalyzer(token_pattern)
    per_text = [analyze(t) for t in texts]
    total = sum(map(len, per_text))
    columns = hash_columns(chain.from_iterable(per_text), n_features, total)
    return _binary_rows(per_text, columns, n_features, norm=True)


def vocabulary_counts(
    texts: Iterable[str], vocabulary: Mapping[str, int], token_pattern: str
) -> sparse.csr_matrix:
    """(n, len(vocabulary)) binary indicators of the vocabulary words in each text."""
    findall = re.compile(token_pattern).findall
    get = vocabulary.get
    per_text = [[c for c in map(get, findall(t.lower())) if c is not None] for t in texts]
    flat = np.fromiter(chain.from_iterable(per_text), dtype=np.int32)
    return _binary_rows(per_text, flat, len(vocabulary), norm=False)


def _binary_rows(
    per_text: Sequence[Sequence[object]], columns: np.ndarray, n_columns: int, *, norm: bool
) -> sparse.csr_matrix:
    counts = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
    indptr = np.zeros(len(per_text) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    matrix = sparse.csr_matrix(
        (np.ones(len(columns), dtype=np.float32), columns, indptr),
        shape=(len(per_text), n_columns),
    )
    matrix.sum_duplicates()  # sorts the columns of each row, like scikit-learn
    if norm:
        distinct = np.diff(matrix.indptr).astype(np.float64)
        scale = np.zeros_like(distinct)
        np.divide(1.0, np.sqrt(distinct), out=scale, where=distinct > 0)
        matrix.data = np.repeat(scale, np.diff(matrix.indptr)).astype(np.float32)
    else:
        matrix.data.fill(1)
    return matrix
