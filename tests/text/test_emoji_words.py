"""Emoji with a plain meaning in feedback are read as their word by the sentiment heads.

No training text holds an emoji, so before this "the delivery 😡😡" read exactly like "the
delivery" and "👎" as a whole answer carried no evidence."""

from __future__ import annotations

import pytest

from cxloop.text.emoji_words import emoji_as_words, has_emoji_words
from cxloop.text.pipeline import analyze_texts
from cxloop.text.resolved import sentiment_view


def test_listed_emoji_become_words_with_their_modifiers() -> None:
    assert emoji_as_words("late again 😡😡") == "late again angry angry"
    # skin tone, variation selector, a gendered person: the whole sequence is one word
    assert emoji_as_words("👍🏽 ❤️ 🤦‍♀️!") == "good love ridiculous !"
    assert emoji_as_words("great 👎🏿") == "great bad"


def test_text_without_listed_emoji_is_the_same_object() -> None:
    for text in ("plain ascii", "café 😂🔥", ""):
        assert emoji_as_words(text) is text
    assert not has_emoji_words("😂🙏⭐❌") and has_emoji_words("ok 👌")


def test_only_the_sentiment_view_changes() -> None:
    texts = ["I ordered a lamp 😍", "I ordered a lamp yesterday", "I ordered a lamp 😂"]
    read, changed = sentiment_view(texts)
    assert read[0] == "I ordered a lamp love" and changed == [0]
    assert read[2] is texts[2]


@pytest.mark.parametrize("backend", ["fast", "embedding"])
@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("the delivery 😡😡", "negative"),
        ("the delivery 👎", "negative"),
        ("Checkout 🤮", "negative"),
        ("the delivery 😍", "positive"),
        ("👍👍", "positive"),
        ("😡", "negative"),
    ],
)
def test_both_backends_read_emoji_as_meant(backend: str, text: str, label: str, request) -> None:
    if backend == "embedding":
        pytest.importorskip("torch")
        pytest.importorskip("sentence_transformers")
    [result] = analyze_texts([text], backend)
    assert result.sentiment.label == label
    assert abs(result.sentiment.score) > 0.2
    if not any(ch.isalpha() for ch in text):
        assert result.language == "und" and result.themes == []


def test_emoji_that_read_two_ways_are_left_alone() -> None:
    [laughing] = analyze_texts(["😂😂"], "fast")
    assert (laughing.sentiment.label, laughing.sentiment.confidence) == ("neutral", 0.0)
