"""The in-memory engine: every row comes back, bad input gets a sensible result.

The model is ``KeywordBackend`` from test_pipeline_support, which stands in for the real
``fast``/``embedding`` backends (tested with the real ``fast`` backend in
test_pipeline_fast.py).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_pipeline_support import KeywordBackend

from cxloop.text.journey import JourneyContext
from cxloop.text.pipeline import (
    FOREIGN_CONFIDENCE_CAP,
    MAX_MODEL_CHARS,
    TextEngine,
    TextItem,
    analyze_texts,
)
from cxloop.text.sentences import MAX_SENTENCES, clean_text, split_sentences
from cxloop.text.taxonomy import default_taxonomy
from cxloop.text.types import ThemeDefinition

BAD_INPUT = [
    "",
    "   \n\t  ",
    "😂🔥🎈🤔",  # emoji none of which reads as a word (cxloop.text.emoji_words)
    None,
    "The parcel was late. " * 5000,  # ~100 KB
    "Das Paket kam nie an, der Kundenservice war unfreundlich",
    "The app 很好 but délivery был late",
    "<div><p>The <b>app</b> crashes</p><script>alert(1)</script>&amp; support was rude</div>",
    "# Title\n**Great** [link](http://x.y) `code`\n> quote\n- item",
    "https://shop.example.com/orders/12345",  # a pasted link alone
    "jane.doe@example.com",
]
#: Letters only inside links and addresses: no evidence, like an empty text.
ADDRESS_ONLY = BAD_INPUT[-2:]


def test_every_row_comes_back_with_a_sensible_result() -> None:
    results = analyze_texts(BAD_INPUT, KeywordBackend())
    assert len(results) == len(BAD_INPUT)
    for text, result in zip(BAD_INPUT, results, strict=True):
        assert result.language
        assert result.sentiment.label in ("negative", "neutral", "positive")
        assert -1.0 <= result.sentiment.score <= 1.0
        assert result.model_version.startswith("stub-1|")
        if not text or not any(ch.isalpha() for ch in text) or text in ADDRESS_ONLY:
            assert result.language == "und"
            assert result.sentiment.label == "neutral"
            assert result.sentiment.confidence == 0.0
            assert result.themes == []
            assert result.sentences == ([] if not (text or "").strip() else [result.redacted_text])
    assert results[4].language == "en"
    assert results[4].sentiment.label == "negative"
    assert len(results[4].redacted_text or "") == len(BAD_INPUT[4].strip())  # stored whole
    assert len(results[4].sentences) == MAX_SENTENCES
    assert results[5].language == "de"
    assert results[5].sentiment.confidence <= FOREIGN_CONFIDENCE_CAP
    assert "<" not in (results[7].redacted_text or "")
    assert "alert" not in (results[7].redacted_text or "")
    assert results[7].sentiment.label == "negative"
    assert {m.name for m in results[7].themes} >= {"Website and app", "Customer service"}
    assert "**" not in (results[8].redacted_text or "")


def test_results_carry_themes_journey_signals_and_redaction() -> None:
    [result] = analyze_texts(
        ["My parcel never arrived. Email me at a.b@example.com, I'm cancelling!"],
        KeywordBackend(),
    )
    assert result.sentiment.label == "negative"
    assert result.themes[0].name == "Delivery"
    assert result.themes[0].sentiment.label == "negative"
    assert (result.journey_stage, result.touchpoint, result.stage_source) == (
        "Receive",
        "Delivery",
        "text",
    )
    assert result.signals == ["churn_risk"]
    assert result.redacted_text == "My parcel never arrived. Email me at [EMAIL], I'm cancelling!"
    assert result.sentences == ["My parcel never arrived.", "Email me at [EMAIL], I'm cancelling!"]


def test_themes_sorted_by_confidence_and_titles_used() -> None:
    engine = TextEngine(KeywordBackend())
    [result] = engine.analyze(
        [TextItem(text="the courier lost the parcel, delivery failed", title="Refund please")]
    )
    names = [m.name for m in result.themes]
    assert names[0] == "Delivery"
    assert "Billing and refunds" in names
    confidences = [m.confidence for m in result.themes]
    assert confidences == sorted(confidences, reverse=True)
    assert result.redacted_title == "Refund please"


def test_metadata_context_and_stated_language() -> None:
    engine = TextEngine(KeywordBackend())
    [result] = engine.analyze(
        [
            TextItem(
                text="the app is great",
                context=JourneyContext(channels=("Post-delivery survey",)),
                language="en",
            )
        ]
    )
    assert (result.journey_stage, result.stage_source) == ("Receive", "metadata")


def test_model_version_changes_with_taxonomy_and_backend() -> None:
    base = TextEngine(KeywordBackend()).model_version
    other_tax = TextEngine(
        KeywordBackend(), taxonomy=[ThemeDefinition("X", keywords=("x",))]
    ).model_version
    other_backend = TextEngine(KeywordBackend("stub-2")).model_version
    assert len({base, other_tax, other_backend}) == 3
    assert base == TextEngine(KeywordBackend(), taxonomy=default_taxonomy()).model_version


def test_model_sees_capped_text() -> None:
    seen: list[int] = []

    class Recording(KeywordBackend):
        def sentiment(self, texts):
            seen.extend(len(t) for t in texts)
            return super().sentiment(texts)

    analyze_texts(["word " * 50_000], Recording())
    assert seen and set(seen) == {MAX_MODEL_CHARS}


def test_clean_and_split_helpers() -> None:
    assert clean_text("<p>a &amp; b</p>") == "a & b"
    assert split_sentences("Mr. Smith came. It broke! Why? ok") == [
        "Mr. Smith came.",
        "It broke!",
        "Why? ok",
    ]
    assert split_sentences("  ") == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=400)), min_size=1, max_size=8))
def test_any_text_gives_one_valid_result_per_row(texts: list[str | None]) -> None:
    results = analyze_texts(texts, KeywordBackend())
    assert len(results) == len(texts)
    for result in results:
        assert result.language and result.sentiment.label in ("negative", "neutral", "positive")
        assert all(s.strip() for s in result.sentences)


def test_automatic_workers_follow_the_backend_and_the_volume(monkeypatch):
    import os

    from cxloop.text.pipeline import auto_workers

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert auto_workers("fast", 15_000) == 4  # every core on a real file
    assert auto_workers("fast", 3_000) == 1  # a small file: starting workers costs more
    assert auto_workers("fast", None) == 4
    assert auto_workers("embedding", 1_000_000) == 1  # torch threads already use every core
