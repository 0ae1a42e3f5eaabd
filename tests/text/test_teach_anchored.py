"""The taught sentiment head starts from the base model: few examples cannot undo it.

Real data (the TweetEval *test* split, which no shipped model was trained on; skipped without
../shared/datasets): the shipped fast base is taught a handful of tweets and must not get
worse on 400 held-out ones. The earlier stacked head did: taught the same first 12 tweets it
fell from 0.545 to 0.500 (docs/learning.md also shows the dip on SemEval laptops).
"""

from __future__ import annotations

import numpy as np
import pytest

from cxloop.text.backends import get_backend
from cxloop.text.model_registry import _from_blob, _to_blob
from cxloop.text.teach import (
    LabelledExample,
    SentimentHead,
    choose_C,
    fit_sentiment_head,
    head_features,
)
from cxloop.text.types import SENTIMENT_LABELS

LABELS = np.array(SENTIMENT_LABELS)


@pytest.fixture(scope="module")
def fast():
    return get_backend("fast")


@pytest.fixture(scope="module")
def tweets(datasets):
    from cxloop.text.corpora import tweeteval

    data = tweeteval(datasets, "test")
    order = np.random.default_rng(0).permutation(len(data.texts))
    texts = [data.texts[i] for i in order]
    labels = [SENTIMENT_LABELS[data.labels[i]] for i in order]
    return texts[:300], labels[:300], texts[300:], labels[300:]


def test_no_correction_is_exactly_the_base_model(fast):
    texts = ["the battery died after a week", "it is a laptop", "love the screen"]
    feats, base = head_features(fast, texts), fast.sentiment_proba(texts)
    head = SentimentHead(C=0.0).fit(feats, base, list(SENTIMENT_LABELS))
    expected = base / base.sum(1, keepdims=True)
    np.testing.assert_allclose(head.predict_proba(feats, base), expected, rtol=1e-5)


def test_few_taught_examples_do_not_make_it_worse_than_out_of_the_box(fast, tweets):
    pool, pool_y, test, test_y = tweets
    test, test_y = test[:400], np.array(test_y[:400])
    feats_test, base_test = head_features(fast, test), fast.sentiment_proba(test)
    base_acc = float((LABELS[base_test.argmax(1)] == test_y).mean())
    for n in (12, 25, 50):
        examples = [LabelledExample(t, y) for t, y in zip(pool[:n], pool_y[:n], strict=True)]
        head, metrics = fit_sentiment_head(fast, examples)
        taught_acc = float(
            (LABELS[head.predict_proba(feats_test, base_test).argmax(1)] == test_y).mean()
        )
        # n = 400: a drop of 0.02 is within noise; the old head lost 0.045 at 12
        assert taught_acc >= base_acc - 0.02, (n, base_acc, taught_acc, metrics)


def test_penalty_is_chosen_on_the_taught_examples_and_stored_with_the_version(fast):
    rng = np.random.default_rng(3)
    pos = ["great {} thanks", "the {} works perfectly", "really happy with the {}"]
    neg = ["the {} broke", "awful {} again", "my {} is useless"]
    things = ["widget", "zorber", "gadget", "blender", "kettle"]
    examples = [
        LabelledExample(t.format(things[rng.integers(5)]) + f" #{i}", label)
        for i in range(20)
        for label, group in (("positive", pos), ("negative", neg))
        for t in [group[rng.integers(3)]]
    ]
    texts = [e.text for e in examples]
    (C, weight), scores = choose_C(
        head_features(fast, texts), fast.sentiment_proba(texts), [e.label for e in examples]
    )
    assert scores is not None and (C, weight) in scores
    assert scores[(C, weight)] == max(scores.values())
    head, metrics = fit_sentiment_head(fast, examples)
    assert metrics["C"] == C and metrics["dense_weight"] == weight
    again = _from_blob(_to_blob(head))
    assert isinstance(again, SentimentHead)
    assert (again.C, again.prior_weight, again.dense_weight) == (C, 1.0, weight)
    feats, base = head_features(fast, texts), fast.sentiment_proba(texts)
    np.testing.assert_allclose(again.predict_proba(feats, base), head.predict_proba(feats, base))


def test_versions_stored_before_anchoring_still_load_as_they_were():
    old = SentimentHead(C=1.0, prior_weight=0.0, classes_=["negative", "positive"])
    old.coef_, old.intercept_ = np.ones((1, 4)), np.zeros(1)
    again = _from_blob(_to_blob(old))
    assert isinstance(again, SentimentHead) and again.prior_weight == 0.0


def test_a_few_examples_cannot_loosen_the_penalty_far():
    """C is at most n / 20 (1 below 200 examples): actively chosen examples make
    cross-validation overrate a loose correction (docs/learning.md, laptops at 25)."""
    from scipy import sparse

    rng = np.random.default_rng(0)
    for n, allowed in ((25, {0.0, 0.1, 1.0}), (200, {0.0, 0.1, 1.0, 10.0})):
        labels = ["negative", "positive"] * (n // 2) + ["negative"] * (n % 2)
        signal = np.array([1.0 if y == "positive" else -1.0 for y in labels])
        features = sparse.csr_matrix(np.column_stack([signal, rng.normal(size=(n, 3))]))
        base = np.tile([0.4, 0.2, 0.4], (n, 1))  # a base model that knows nothing
        (chosen, _), scores = choose_C(features, base, labels)
        assert scores is not None and {c for c, _ in scores} == allowed
        assert chosen in allowed and chosen > 0  # the examples do teach something
