"""The fast backend: protocol, CX sentiment on clear cases, themes with aspect sentiment,
bad input, and that it never imports torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from cxloop.text.backends import TextBackend, get_backend
from cxloop.text.static_vectors import WEIGHTS_DIR
from cxloop.text.types import SENTIMENT_LABELS, ThemeDefinition

TAXONOMY = [
    ThemeDefinition(
        "Delivery", "orders arriving late, lost or damaged", ("delivery", "courier", "parcel")
    ),
    ThemeDefinition(
        "Customer service", "how support staff treated the customer", ("support", "agent", "staff")
    ),
    ThemeDefinition("Price", "cost and value for money", ("price", "expensive", "cheap")),
    ThemeDefinition("Food", "the meals, dishes and drinks", ("food", "meal", "dish")),
]

# Clear CX cases: complaints without emotional words are negative, plain questions neutral.
CX_CASES = [
    ("my bag never arrived", "negative"),
    ("flight delayed 3 hours again", "negative"),
    ("still waiting for my refund after 3 weeks", "negative"),
    ("my card hasn't arrived yet", "negative"),
    ("why was I charged twice", "negative"),
    ("cancelled flight and no one at the desk", "negative"),
    ("can I change my seat?", "neutral"),
    ("how do I add a bag to my booking?", "neutral"),
    ("what time does boarding start", "neutral"),
    ("do you fly to Boston?", "neutral"),
    ("thanks for the quick help!", "positive"),
    ("the crew was amazing, thank you", "positive"),
    ("great service today", "positive"),
    ("love the new app", "positive"),
]


@pytest.fixture(scope="module")
def fast():
    return get_backend("fast")


def test_fast_backend_follows_the_protocol(fast):
    assert isinstance(fast, TextBackend)
    assert fast.name == "fast" and fast.version.startswith("fast-")


def test_fast_backend_imports_no_torch():
    code = (
        "import sys\n"
        "from cxloop.text.backends import get_backend\n"
        "from cxloop.text.types import ThemeDefinition\n"
        "b = get_backend('fast')\n"
        "b.themes(['my parcel is late'], [ThemeDefinition('Delivery')])\n"
        "b.encode(['x'])\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False False"


def test_cx_sentiment_on_clear_cases(fast):
    got = [s.label for s in fast.sentiment([t for t, _ in CX_CASES])]
    want = [label for _, label in CX_CASES]
    accuracy = np.mean([g == w for g, w in zip(got, want, strict=True)])
    assert accuracy >= 0.85, list(zip(got, want, strict=True))


def test_sentiment_proba_rows_are_distributions(fast):
    proba = fast.sentiment_proba(["the staff were lovely", "terrible, never again", "ok"])
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    results = fast.sentiment(["the staff were lovely", "terrible, never again"])
    assert [r.label for r in results] == ["positive", "negative"]
    assert results[0].score > 0.3 > -0.3 > results[1].score
    assert all(r.label in SENTIMENT_LABELS and 0 <= r.confidence <= 1 for r in results)


BAD_INPUT = [
    "",
    "   \n\t ",
    "😀😀😀",
    "x" * 100_000,
    "word " * 20_000,
    "<div><p>&nbsp;</p><script>alert(1)</script></div>",
    "**bold** _markdown_ [link](http://example.com)",
    "这是一个中文句子",
    "Mixed שלום and English and кириллица",
    None,
]


def test_bad_input_never_crashes_and_keeps_every_row(fast):
    results = fast.sentiment(BAD_INPUT)  # type: ignore[arg-type]
    themes = fast.themes(BAD_INPUT, TAXONOMY)  # type: ignore[arg-type]
    assert len(results) == len(themes) == len(BAD_INPUT)
    for text, result in zip(BAD_INPUT[:2], results[:2], strict=True):
        assert result.label == "neutral" and result.confidence < 0.4, text
    assert themes[0] == [] and themes[1] == []
    assert fast.encode(BAD_INPUT).shape[0] == len(BAD_INPUT)  # type: ignore[arg-type]


def test_empty_batch(fast):
    assert fast.sentiment([]) == []
    assert fast.themes([], TAXONOMY) == []
    assert fast.sentiment_proba([]).shape == (0, 3)


def test_themes_from_names_descriptions_and_keywords(fast):
    texts = [
        "my parcel never came",
        "the courier left it in the rain",
        "the agent was rude and unhelpful",
        "way too expensive for what you get",
        "the pasta dish was cold",
    ]
    found = fast.themes(texts, TAXONOMY)
    best = [matches[0].name if matches else None for matches in found]
    assert best == ["Delivery", "Delivery", "Customer service", "Price", "Food"]
    for matches in found:
        confidences = [m.confidence for m in matches]
        assert confidences == sorted(confidences, reverse=True)
        assert all(0.5 <= c <= 1 for c in confidences)


def test_aspect_sentiment_differs_per_theme(fast):
    [matches] = fast.themes(["the food was delicious but the staff were rude"], TAXONOMY)
    by_name = {m.name: m.sentiment.label for m in matches}
    assert by_name.get("Food") == "positive"
    assert by_name.get("Customer service") == "negative"


def test_examples_teach_a_theme_keywords_cannot(fast):
    texts = ["the app logs me out every time", "the app keeps logging me out"]
    bare = [ThemeDefinition("Login"), ThemeDefinition("Price", keywords=("price",))]
    taught = [
        ThemeDefinition(
            "Login",
            examples=("I cannot sign in", "it logs me out all the time", "password reset fails"),
        ),
        ThemeDefinition("Price", keywords=("price",), examples=("too expensive", "cheap")),
    ]
    before = fast.classifier(bare).confidences(texts, fast.featurize(texts))[:, 0]
    after = fast.classifier(taught).confidences(texts, fast.featurize(texts))[:, 0]
    assert (after > before).all()
    assert all(m and m[0].name == "Login" for m in fast.themes(texts, taught))


def test_encode_is_deterministic_and_meaningful(fast):
    vectors = fast.encode(["my parcel is late", "my package is delayed", "the soup was salty"])
    again = fast.encode(["my parcel is late", "my package is delayed", "the soup was salty"])
    np.testing.assert_array_equal(vectors, again)
    unit = vectors[:, :128] / np.linalg.norm(vectors[:, :128], axis=1, keepdims=True)
    assert unit[0] @ unit[1] > unit[0] @ unit[2]


def test_shipped_weights_are_small():
    sizes = {p.name: p.stat().st_size for p in WEIGHTS_DIR.glob("*.npz")}
    assert {"static_vectors.npz", "sentiment_fast.npz", "sentiment_embedding.npz"} <= set(sizes)
    # two int8 tables of 23k words x 128 (words, themes) and two heads; MiniLM is 90 MB
    assert sum(sizes.values()) < 8 * 2**20


def test_unknown_backend_is_a_clear_error():
    from cxloop.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown text backend"):
        get_backend("nope")


def test_emoji_only_and_unknown_scripts_are_neutral_low_confidence(fast):
    for result in fast.sentiment(["😂🔥🎈", "这是一个中文句子", "!!!"]):
        assert result.label == "neutral" and result.confidence < 0.4


def test_default_taxonomy_keeps_two_clear_aspects(fast):
    """Themes with examples are held to 0.8 of the best theme as a second theme; a comment
    clearly about two things still gets both, each with its own sentiment."""
    from cxloop.text.taxonomy import default_taxonomy

    [matches] = fast.themes(
        ["the app is easy to use but the refund took a month"], default_taxonomy()
    )
    by_name = {m.name: m.sentiment.label for m in matches}
    assert by_name.get("Website and app") == "positive"
    assert by_name.get("Billing and refunds") == "negative"


def test_a_single_theme_after_but_takes_its_clause_sentiment(fast):
    """ "lovely dress, but the refund took ages": one theme, whose clause is negative, whatever
    the document as a whole reads as."""
    from cxloop.text.taxonomy import default_taxonomy

    [matches] = fast.themes(["lovely dress, but the refund took ages"], default_taxonomy())
    assert [m.name for m in matches] == ["Billing and refunds"]
    assert matches[0].sentiment.label == "negative"
