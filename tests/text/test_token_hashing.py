"""The scikit-learn-free n-gram hashing and vocabulary counts give bit-identical matrices."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction import FeatureHasher
from sklearn.utils import murmurhash3_32

from cxloop.text.features import HASH_TOKEN_PATTERN, HASHER, N_HASH_FEATURES, hashed_ngrams
from cxloop.text.static_vectors import TOKEN_PATTERN, StaticVectors
from cxloop.text.token_hashing import hash_columns, hashed_ngram_matrix, vocabulary_counts

TEXTS = [
    "My parcel NEVER arrived!!! Where is it?",
    "the food was great but the wait was absurd",
    "",
    "   ",
    "a",
    "a a a a a",
    "Ünïcödé wörds and 😀 emoji 😀 twice ☀",
    "don't won't can't it's",
    "x" * 300 + " long word",
    "naïve café — 東京 タワー",
]


def _same(a: Any, b: Any) -> None:
    a, b = a.tocsr(), b.tocsr()
    a.sort_indices()
    b.sort_indices()
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)
    assert a.dtype == b.dtype == np.float32


def test_hashed_ngrams_equal_scikit_learn() -> None:
    _same(hashed_ngrams(TEXTS), HASHER.transform(TEXTS))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=8))
def test_hashed_ngrams_equal_scikit_learn_on_any_text(texts: list[str]) -> None:
    _same(hashed_ngram_matrix(texts, N_HASH_FEATURES, HASH_TOKEN_PATTERN), HASHER.transform(texts))


def test_hash_columns_follow_feature_hasher() -> None:
    tokens = ["a", "ab", "abc", "abcd", "abcde", "héllo", "😀", "two words", "x" * 70]
    hasher = FeatureHasher(N_HASH_FEATURES, input_type="string", alternate_sign=False)
    expected = [int(hasher.transform([[t]]).indices[0]) for t in tokens]
    assert hash_columns(tokens, N_HASH_FEATURES).tolist() == expected
    signed = [murmurhash3_32(t.encode("utf-8"), seed=0) for t in tokens]
    assert hash_columns(tokens, 8).tolist() == [abs(h) % 8 for h in signed]


def test_vocabulary_counts_equal_count_vectorizer() -> None:
    vectors = StaticVectors.load()
    _same(
        vocabulary_counts(TEXTS, vectors.index, TOKEN_PATTERN),
        vectors.counter.transform(TEXTS),
    )
    _same(vectors.word_counts(TEXTS), vectors.counter.transform(TEXTS))
