"""The sentiment head: fitting, saving and loading, and honest output for no evidence."""

from __future__ import annotations

import numpy as np
import pytest

from cxloop.errors import ConfigError
from cxloop.text.backends.fast import FastFeaturizer
from cxloop.text.features import (
    N_HASH_FEATURES,
    clause_split,
    clean_texts,
    cx_cues,
    hashed_ngrams,
    negated_words,
    negation_marks,
)
from cxloop.text.sentiment import FeatureBlocks, SentimentModel, sentiments_from_proba
from cxloop.text.static_vectors import StaticVectors

TRAIN = [
    ("love it, works perfectly", 2),
    ("great staff and quick help", 2),
    ("thank you so much", 2),
    ("it never arrived", 0),
    ("charged twice and no refund", 0),
    ("still waiting after three weeks", 0),
    ("how do I change my address", 1),
    ("what are your opening hours", 1),
    ("is there a fee for transfers", 1),
] * 3


@pytest.fixture(scope="module")
def featurize():
    return FastFeaturizer(StaticVectors.load())


def test_fit_predict_save_load_roundtrip(featurize, tmp_path):
    texts, labels = zip(*TRAIN, strict=True)
    model = SentimentModel(C=10.0).fit(featurize(list(texts)), np.array(labels))
    probe = ["thanks, great help", "my order never arrived", "what are the fees?"]
    proba = model.predict_proba(featurize(probe))
    assert proba.argmax(axis=1).tolist() == [2, 0, 1]
    model.save(tmp_path / "head.npz")
    again = SentimentModel.load(tmp_path / "head.npz").predict_proba(featurize(probe))
    np.testing.assert_allclose(again, proba, atol=2e-3)  # float16 coefficients


def test_missing_weights_say_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="train_text_models"):
        SentimentModel.load(tmp_path / "absent.npz")


def test_training_needs_all_three_classes(featurize):
    with pytest.raises(ConfigError, match="three classes"):
        SentimentModel().fit(featurize(["a b", "c d"]), np.array([0, 2]))


def test_no_evidence_is_neutral_with_low_confidence(featurize):
    texts, labels = zip(*TRAIN, strict=True)
    model = SentimentModel().fit(featurize(list(texts)), np.array(labels))
    [result] = sentiments_from_proba(model.predict_proba(featurize(["   "])))
    assert result.label == "neutral" and result.confidence < 0.4 and result.score == 0


def test_scores_stay_in_range():
    proba = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.2, 0.5, 0.3]])
    results = sentiments_from_proba(proba)
    assert [r.score for r in results] == [-1.0, 1.0, 0.1]
    assert [r.label for r in results] == ["negative", "positive", "neutral"]


def test_clean_texts_handles_html_urls_handles_and_length():
    cleaned = clean_texts(
        ["<p>Hi &amp; bye</p>", "@united see https://x.co/a", None, "a" * 10_000, "ask @bob"]
    )
    assert cleaned[0] == "Hi & bye"
    assert cleaned[1] == "see http"  # a handle that opens the text only addresses it
    assert cleaned[4] == "ask @user"
    assert cleaned[2] == ""
    assert len(cleaned[3]) == 5_000


def test_cx_cues_fire_on_complaints_without_emotional_words():
    cues = cx_cues(["my bag never arrived", "can I change my seat?", "thanks a lot"])
    from cxloop.text.features import CX_CUES

    names = list(CX_CUES)
    assert cues[0, names.index("not_delivered")] > 0
    assert cues[1, names.index("question")] > 0
    assert cues[2, names.index("thanks")] > 0
    assert cues[1, names.index("not_delivered")] == 0


def test_clause_split_on_contrast():
    assert clause_split("The food was great but the wait was absurd.") == [
        "The food was great",
        "the wait was absurd.",
    ]
    assert clause_split("ok") == []


def test_typographic_apostrophes_read_like_ascii_ones(featurize):
    assert clean_texts(["It didn\u2019t arrive, I\u2018m told \u00b4twas lost"]) == [
        "It didn't arrive, I'm told 'twas lost"
    ]
    curly, plain = featurize(["my card hasn\u2019t arrived"]), featurize(["my card hasn't arrived"])
    assert (curly.hashed != plain.hashed).nnz == 0
    np.testing.assert_array_equal(curly.cues, plain.cues)


@pytest.mark.parametrize(
    ("text", "covered"),
    [
        ("it didn't complete", "complete"),
        ("Not working at all, really", "working at all"),
        ("no one answered. Please call", "one answered"),
        ("never arrived but the refund came", "arrived"),
        ("I can't log in; cant pay either", "log in pay either"),
        ("great service, would recommend", ""),
        ("", ""),
        ("nothing", ""),  # a negator with nothing after it
        ("notable knowledge", ""),  # "not" and "no" only as whole words
    ],
)
def test_negated_words_are_those_a_negator_covers(text, covered):
    assert negated_words(clean_texts([text])) == [covered]


def test_negation_marks_are_their_own_ngrams():
    marks = negation_marks(["work at", ""])
    plain = hashed_ngrams(["work at", ""])
    assert marks.shape == plain.shape == (2, N_HASH_FEATURES)
    assert marks[1].nnz == 0 and marks[0].nnz == 3  # not_work, not_at, "not_work not_at"
    assert set(marks[0].indices).isdisjoint(plain[0].indices)


def test_fast_sentiment_reads_negation_apart(featurize):
    blocks = featurize(["it didn't work at all", "it worked well", "fine"])
    assert blocks.negated is not None and blocks.negated.shape == (3, blocks.dense.shape[1])
    assert np.linalg.norm(blocks.negated[0]) > 0.99 and not blocks.negated[1:].any()
    # Themes read the words as written, without the marks.
    assert blocks.theme_hashed is not None
    assert (
        blocks.theme_hashed != hashed_ngrams(["it didn't work at all", "it worked well", "fine"])
    ).nnz == 0
    assert blocks.hashed[0].nnz > blocks.theme_hashed[0].nnz
    stacked = FeatureBlocks.stack([blocks, blocks.subset(np.array([0]))])
    assert stacked.negated is not None and stacked.negated.shape[0] == 4
    np.testing.assert_array_equal(stacked.negated[3], blocks.negated[0])


def test_weights_for_other_features_are_refused(featurize):
    texts, labels = zip(*TRAIN, strict=True)
    model = SentimentModel().fit(featurize(list(texts)), np.array(labels))
    blocks = featurize(["it never arrived"])
    blocks.negated = None  # features of another version: one block fewer
    with pytest.raises(ConfigError, match="expect"):
        model.predict_proba(blocks)
