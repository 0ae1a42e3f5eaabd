"""Theme classifier details: taxonomy validation, caching key, keyword variants, and learning
from examples on a small slice of real BANKING77 queries."""

from __future__ import annotations

import numpy as np
import pytest

from cxloop.errors import InputError
from cxloop.text.backends import get_backend
from cxloop.text.features import clean_texts
from cxloop.text.theme_classifier import _keyword_variants, taxonomy_key
from cxloop.text.types import ThemeDefinition


@pytest.fixture(scope="module")
def fast():
    return get_backend("fast")


def test_empty_or_duplicate_taxonomy_is_refused(fast):
    with pytest.raises(InputError, match="empty"):
        fast.classifier([])
    with pytest.raises(InputError, match="unique"):
        fast.classifier([ThemeDefinition("A"), ThemeDefinition("A")])


def test_taxonomy_key_changes_with_content():
    base = [ThemeDefinition("Delivery", "late parcels", ("parcel",))]
    assert taxonomy_key(base) == taxonomy_key(list(base))
    assert taxonomy_key(base) != taxonomy_key([ThemeDefinition("Delivery", "late parcels")])
    assert taxonomy_key(base) != taxonomy_key(
        [ThemeDefinition("Delivery", "late parcels", ("parcel",), ("it never came",))]
    )


def test_keyword_variants_cover_plurals():
    assert {"parcel", "parcels"} <= _keyword_variants("parcel")
    assert "delivery" in _keyword_variants("deliveries")
    assert "deliveries" in _keyword_variants("delivery")


def test_keyword_hit_raises_confidence(fast):
    taxonomy = [ThemeDefinition("Wifi", keywords=("wifi",)), ThemeDefinition("Parking")]
    texts = clean_texts(["the wifi in the room", "the internet connection in the room"])
    conf = fast.classifier(taxonomy).confidences(texts, fast.featurize(texts))
    assert conf[0, 0] > conf[1, 0]
    assert conf[0, 0] >= 0.5


def test_fitted_classifier_is_cached(fast):
    taxonomy = [ThemeDefinition("Delivery"), ThemeDefinition("Price")]
    assert fast.classifier(taxonomy) is fast.classifier(list(taxonomy))


def test_examples_improve_banking_intents(fast, datasets):
    """10 intents, 10 training examples each, 200 test queries: examples must help."""
    import pandas as pd

    train = pd.read_csv(datasets / "banking77" / "train.csv")
    test = pd.read_csv(datasets / "banking77" / "test.csv")
    intents = sorted(train["category"].unique())[:10]
    shots = {c: tuple(train[train.category == c].text.head(10)) for c in intents}
    sample = test[test.category.isin(intents)].sample(200, random_state=0)
    texts = clean_texts(sample.text.tolist())
    y = sample.category.map({c: i for i, c in enumerate(intents)}).to_numpy()
    blocks = fast.featurize(texts)
    zero = fast.classifier([ThemeDefinition(c) for c in intents])
    taught = fast.classifier([ThemeDefinition(c, examples=shots[c]) for c in intents])
    zero_acc = np.mean(zero.confidences(texts, blocks).argmax(1) == y)
    taught_acc = np.mean(taught.confidences(texts, blocks).argmax(1) == y)
    assert zero_acc > 0.25  # chance is 0.10
    assert taught_acc > zero_acc + 0.1


def test_a_description_listing_things_gives_one_anchor_each(fast):
    from cxloop.text.theme_classifier import description_parts

    assert description_parts("orders arriving late, lost or damaged") == [
        "orders arriving late",
        "lost",
        "damaged",
    ]
    assert description_parts("price (and value)") == ["price", "value"]
    assert description_parts("taking cash out at an ATM") == []  # one thing: no parts
    assert description_parts("a, b or 12") == []  # no real words
    theme = ThemeDefinition("Delivery", "orders arriving late, lost or damaged", ("courier",))
    classifier = fast.classifier([theme])
    assert len(classifier.anchor_vectors_) == 1 + 1 + 2 + 3  # name, keyword, description x2, parts
    # a text about one listed item is nearest to that item's own anchor
    cosine = (
        fast.featurize(["the box came completely damaged"]).dense @ classifier.anchor_vectors_.T
    )
    assert int(cosine.argmax()) == len(classifier.anchor_vectors_) - 1  # "damaged"


def test_a_theme_taught_alone_learns_from_its_examples(fast):
    """With no other theme holding examples there was nothing to contrast with, so no example
    model was fitted: the examples only counted as nearest anchors. Now the other themes'
    names and keywords are the contrast (a single taught theme is what one correction makes)."""
    names = [
        ThemeDefinition("Delivery", keywords=("delivery", "parcel", "courier")),
        ThemeDefinition("Billing and refunds", keywords=("refund", "charged", "invoice")),
        ThemeDefinition("Store", keywords=("store", "shop", "staff")),
    ]
    examples = (
        "the van driver threw my box over the fence",
        "the driver left it at the wrong house",
        "the box was crushed when it came",
        "it turned up three days after the date I was given",
        "the driver never knocked, just left a card",
        "my order was left in the rain",
        "the tracking said delivered but nothing was there",
        "it came in two boxes on different days",
        "the van never showed up",
        "they dropped it with a neighbour I don't know",
    )
    taught = [
        ThemeDefinition("Delivery", keywords=names[0].keywords, examples=examples),
        *names[1:],
    ]
    classifier = fast.classifier(taught)
    assert list(classifier.example_models_) == [0]
    top = [
        m[0].name if m else None
        for m in fast.themes(
            [
                "left at the wrong address again",
                "I was charged twice",
                "the shop assistant was rude",
                "great coffee",
            ],
            taught,
        )
    ]
    assert top == ["Delivery", "Billing and refunds", "Store", None]
