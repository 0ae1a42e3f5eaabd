"""The shipped `fast` head is distilled from the embedding head (weights 2026.11.10).

`corpora.distillation_texts` must never hand an excluded dataset to the teacher (the
leave-dataset-out rows of docs/accuracy.md rest on it), and `adapt.distilled_head` must move
a head towards its teacher without changing its shape (the file format and the scoring cost
stay those of the labels-only head).
"""

from __future__ import annotations

import numpy as np
import pytest

from cxloop.text.adapt import distilled_head
from cxloop.text.backends import get_backend
from cxloop.text.corpora import (
    banking_frame,
    clothing_reviews,
    distillation_texts,
    semeval_sentences,
    sentiment_corpus,
    tweeteval,
)
from cxloop.text.sentiment import SentimentModel


def test_distillation_texts_hold_the_training_texts_and_their_unlabelled_siblings(datasets):
    texts = distillation_texts(datasets)
    assert len(texts) == len(set(texts))
    every = set(texts)
    for source in sentiment_corpus(datasets):
        assert every >= set(source.texts), source.name
    mixed = [s.text for s in semeval_sentences(datasets) if len(set(s.categories.values())) > 1]
    assert mixed and every >= set(mixed)  # no label, still read by the teacher
    assert every >= set(banking_frame(datasets, "train")["text"])
    assert not every & set(tweeteval(datasets, "test").texts)
    assert not every & set(banking_frame(datasets, "test")["text"]) - set(
        banking_frame(datasets, "train")["text"]
    )


@pytest.mark.parametrize("excluded", ["banking77", "clothing", "semeval_restaurants"])
def test_an_excluded_dataset_never_reaches_the_teacher(datasets, excluded):
    texts = set(distillation_texts(datasets, exclude=(excluded,)))
    held_out = {
        "banking77": set(banking_frame(datasets, "train")["text"]),
        "clothing": set(clothing_reviews(datasets).texts),
        "semeval_restaurants": {s.text for s in semeval_sentences(datasets)},
    }[excluded]
    assert texts and not texts & held_out


def test_a_distilled_head_moves_towards_its_teacher_and_keeps_its_shape():
    fast = get_backend("fast")
    texts = [
        "my card never arrived",
        "love the new app",
        "how do I change my PIN?",
        "the flight was delayed again",
        "great service, thanks",
        "can I bring my dog on the flight?",
        "the refund is still pending",
        "what are your opening hours?",
    ] * 8
    blocks = fast.featurize(texts)  # type: ignore[attr-defined]
    head: SentimentModel = fast.model  # type: ignore[attr-defined]
    # a teacher that reads every question as neutral and everything else as the head does
    teacher = head.predict_proba(blocks).copy()
    questions = np.array([t.endswith("?") for t in texts])
    teacher[questions] = [0.05, 0.9, 0.05]
    taught = distilled_head(head, blocks, teacher)
    assert taught.coef_.shape == head.coef_.shape
    assert taught.intercept_.shape == head.intercept_.shape
    before = head.predict_proba(blocks)[questions, 1].mean()
    after = taught.predict_proba(blocks)[questions, 1].mean()
    assert after > before
    agree_before = (head.predict_proba(blocks).argmax(1) == teacher.argmax(1)).mean()
    agree_after = (taught.predict_proba(blocks).argmax(1) == teacher.argmax(1)).mean()
    assert agree_after >= agree_before
    # the head itself is left as it was
    np.testing.assert_array_equal(head.predict_proba(blocks), fast.model.predict_proba(blocks))  # type: ignore[attr-defined]
