"""The verbatims read like customers: varied, tone matching the score, a little messy."""

from __future__ import annotations

import random
import re

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from cxloop.demo import lexicon, planted
from cxloop.demo.verbatims import PACKAGING, compose

EMAIL = re.compile(r"[\w.]+@example\.com")
PHONE = re.compile(r"(07700 900\d{3}|\+44 7700 900\d{3}|\(555\) 010-\d{4})")


def test_every_theme_has_praise_complaints_and_questions() -> None:
    for theme in planted.DEFAULT_THEMES:
        assert len(lexicon.NEGATIVE[theme]) >= 8, theme
        assert len(lexicon.POSITIVE[theme]) >= 4, theme
        assert lexicon.QUESTIONS[theme], theme
    # complaints that never say the obvious word
    assert any("delivery" not in c and "deliver" not in c for c in lexicon.NEGATIVE["Delivery"])


def test_text_tone_agrees_with_nps(demo) -> None:
    rows = demo.feedback[(demo.feedback["nps"] != "") & (demo.feedback["text"] != "")]
    rows = rows.sample(1500, random_state=0)
    sia = SentimentIntensityAnalyzer()
    tone = rows["text"].map(lambda t: sia.polarity_scores(t)["compound"])
    score = rows["nps"].astype(int)
    promoters, passives, detractors = (
        tone[score >= 9].mean(),
        tone[score.between(7, 8)].mean(),
        tone[score <= 6].mean(),
    )
    assert promoters > 0.3
    assert detractors < -0.05
    assert promoters > passives > detractors


def test_texts_are_varied_and_sometimes_messy(demo) -> None:
    texts = demo.feedback.loc[demo.feedback["text"] != "", "text"]
    assert texts.nunique() / len(texts) > 0.6
    assert (texts == texts.str.lower()).mean() > 0.05  # people who never use capitals
    assert texts.str.contains("[😊👍🙌😡👎😤🙄😞]").mean() > 0.01
    assert texts.str.contains(r"\b(?:but|however|although|shame that)\b").mean() > 0.05
    assert texts.str.contains(r"\?").mean() > 0.01  # neutral questions
    with_pii = texts.str.contains(EMAIL) | texts.str.contains(PHONE)
    assert 0.005 < with_pii.mean() < 0.08
    foreign = {text for _, _, text, _ in lexicon.FOREIGN}
    assert texts.isin(foreign).sum() > 50


def test_multi_aspect_comment_contrasts_praise_and_complaint() -> None:
    rnd = random.Random(3)
    v = compose(
        [("Product quality", "positive", None), ("Delivery", "negative", None)],
        "neutral",
        rnd,
        foreign_rate=0.0,
        pii_rate=0.0,
    )
    assert v.aspects == (("Product quality", "positive", None), ("Delivery", "negative", None))
    joined = [j.strip(" ,.-") for j in lexicon.CONTRAST_JOINERS]
    assert any(j in v.text.lower() for j in joined)


def test_planted_variants_use_their_own_words() -> None:
    rnd = random.Random(5)
    spike = compose([(planted.SPIKE_THEME, "negative", "spike")], "negative", rnd, foreign_rate=0)
    assert re.search(r"twice|double|two", spike.text, re.I)
    crash = compose([(planted.CHURN_THEME, "negative", "crash")], "negative", rnd, foreign_rate=0)
    assert re.search(r"crash|freez|unusable|force-closes", crash.text, re.I)
    pack = compose([(PACKAGING, "negative", None)], "negative", rnd, foreign_rate=0)
    assert pack.aspects == ((PACKAGING, "negative", None),)
