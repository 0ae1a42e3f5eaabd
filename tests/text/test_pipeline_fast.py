"""The pipeline with the real ``fast`` backend (skipped until that backend is installed).

These check the integration — every row back, themes and journey from a real model — not
the model's accuracy, which docs/accuracy.md measures on public datasets.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxloop.text.pipeline import TextEngine, TextItem
from cxloop.text.score import score_file


@pytest.fixture(scope="module")
def fast_engine() -> TextEngine:
    engine = TextEngine("fast")  # ships with the package: a failure here is a real failure
    engine.analyze([TextItem(text="warm up")])  # fits the theme classifier once
    return engine


def test_fast_backend_end_to_end(fast_engine: TextEngine) -> None:
    texts = [
        "My package never came and the courier won't answer",
        "I was charged twice for the same order and still no refund",
        "The app keeps crashing since the last update, I'm switching to another shop",
        "",
        "😡😡😡",
        "<p>Le colis est arrivé <b>cassé</b></p>",
        "Great quality, fits perfectly. " * 3000,
    ]
    results = fast_engine.analyze([TextItem(text=t) for t in texts])
    assert len(results) == len(texts)
    assert results[0].sentiment.label == "negative"
    assert results[0].themes and results[0].themes[0].name == "Delivery"
    assert results[0].journey_stage == "Receive"
    assert "Billing and refunds" in [m.name for m in results[1].themes]
    assert "churn_risk" in results[2].signals
    assert "Website and app" in [m.name for m in results[2].themes]
    empty = results[3]
    assert (empty.language, empty.sentiment.label, empty.sentiment.confidence) == (
        "und",
        "neutral",
        0.0,
    )
    # three angry faces say "angry": negative, with no language and no theme
    assert (results[4].language, results[4].sentiment.label) == ("und", "negative")
    assert results[4].themes == []
    assert results[5].language == "fr" and "<" not in (results[5].redacted_text or "")
    assert results[6].sentiment.label == "positive"
    assert results[0].model_version.startswith(fast_engine.backend.version)


def test_fast_backend_scores_a_real_file(fast_engine: TextEngine, datasets, tmp_path) -> None:
    source = datasets / "womens_clothing_reviews_sample.csv"
    sample = tmp_path / "sample.csv"
    pd.read_csv(source, dtype=str, keep_default_na=False).head(200).to_csv(sample, index=False)
    frame = pd.read_csv(sample, dtype=str, keep_default_na=False)
    text_column = next(c for c in frame.columns if "text" in c.lower())
    out: Path = tmp_path / "out.csv"
    result = score_file(sample, text_column, out, backend=fast_engine.backend)
    scored = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert result.rows == len(frame) == len(scored)
    assert list(scored.columns[: len(frame.columns)]) == list(frame.columns)
    assert set(scored["sentiment_label"]) <= {"negative", "neutral", "positive"}
    assert (scored["themes"] != "").any()
    assert (scored["journey_stage"] != "").any()


def test_fast_backend_enriches_a_workspace(fast_engine: TextEngine, engine, settings) -> None:
    import hashlib

    from sqlalchemy import select

    from cxloop.storage.db import transaction
    from cxloop.storage.models import Enrichment, Feedback, FeedbackTheme, Source, Theme
    from cxloop.text.enrich import enrich_workspace

    texts = ["My package never came and the courier won't answer", "", "Lovely staff"]
    with transaction(engine) as session:
        source = Source(name="web")
        session.add(source)
        session.flush()
        session.add_all(
            Feedback(
                source_id=source.id,
                dedup_key=str(i),
                text=t,
                content_hash=hashlib.sha256(t.encode()).hexdigest(),
            )
            for i, t in enumerate(texts)
        )
    result = enrich_workspace(engine, settings, fast_engine.backend, progress=False)
    assert result.enriched == 3 and result.model_version.startswith("fast-")
    with engine.connect() as conn:
        labels = (
            conn.execute(select(Enrichment.sentiment_label).order_by(Enrichment.feedback_id))
            .scalars()
            .all()
        )
        themes = (
            conn.execute(select(Theme.name).join(FeedbackTheme, FeedbackTheme.theme_id == Theme.id))
            .scalars()
            .all()
        )
    assert labels[0] == "negative" and labels[1] == "neutral"
    assert "Delivery" in themes


def test_words_of_leaving_read_negative_but_a_question_about_it_does_not(
    fast_engine: TextEngine,
) -> None:
    leaving = [
        "I'm switching to another bank.",
        "I've decided to leave.",
        "Please close my account.",
        "thinking about switching to another airline",
    ]
    asking = ["Can I cancel my subscription online?", "I switched to you from my old bank"]
    results = fast_engine.analyze([TextItem(text=t) for t in leaving + asking])
    for text, result in zip(leaving, results, strict=False):
        assert "churn_risk" in result.signals, text
        assert result.sentiment.label == "negative" and result.sentiment.score <= -0.5, text
    question, joined = results[len(leaving) :]
    assert "churn_risk" in question.signals and question.sentiment.label != "negative"
    assert joined.signals == [] and joined.sentiment.label != "negative"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a list of remarks about several themes: each remark gives its theme's sentiment
        (
            "Great staff, awful website",
            {"Customer service": "positive", "Website and app": "negative"},
        ),
        (
            "Fast delivery - terrible quality",
            {"Delivery": "positive", "Product quality": "negative"},
        ),
    ],
)
def test_each_remark_of_a_list_gives_its_themes_sentiment(
    fast_engine: TextEngine, text: str, expected: dict[str, str]
) -> None:
    [result] = fast_engine.analyze([TextItem(text=text)])
    aspects = {m.name: m.sentiment.label for m in result.themes}
    assert {name: aspects.get(name) for name in expected} == expected


def test_a_bare_list_item_leaves_its_theme_the_whole_texts_sentiment() -> None:
    """Items that say nothing by themselves ("the delivery") keep the document's reading:
    taking their neutral reading lowered aspect accuracy on laptop reviews."""
    from cxloop.text.backends.base import get_backend
    from cxloop.text.types import ThemeDefinition

    fast = get_backend("fast")
    taxonomy = [
        ThemeDefinition("Delivery", "parcels", ("delivery", "courier")),
        ThemeDefinition("Price", "cost", ("price", "prices")),
    ]
    classifier = fast.classifier(taxonomy)
    texts = ["the delivery, the prices, everything about this shop is wonderful"]
    found = classifier.aspect_sentiments(texts, [[(0, 0.9), (1, 0.9)]], fast.model.predict_proba)
    assert (0, 0) not in found and (0, 1) not in found  # the document sentiment applies
    listed = ["brilliant delivery, shocking prices"]
    found = classifier.aspect_sentiments(listed, [[(0, 0.9), (1, 0.9)]], fast.model.predict_proba)
    assert found[(0, 0)].label == "positive" and found[(0, 1)].label == "negative"
