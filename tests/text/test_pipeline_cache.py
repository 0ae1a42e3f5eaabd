"""The fitted-classifier cache: written once per taxonomy as plain arrays, restored by later
runs with identical results, keyed by everything that changes results, never fatal when
damaged, and bypassed for backends it cannot describe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_pipeline_support import KeywordBackend

from cxloop.text.backends.base import register_backend
from cxloop.text.engine_cache import engine_key, fitted_arrays, load_engine
from cxloop.text.journey import default_journey
from cxloop.text.pipeline import TextItem
from cxloop.text.taxonomy import default_taxonomy
from cxloop.text.theme_classifier import ThemeClassifier
from cxloop.text.types import ThemeDefinition

TEXTS = [
    "my parcel never arrived and nobody answers the phone",
    "the food was great but the wait was absurd",
    "I was charged twice, please refund me",
    "love the new app, checkout is so fast",
    "",
]


@pytest.fixture(autouse=True)
def no_shipped_classifiers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """These tests are about the user's cache: hide the classifiers the package ships."""
    from cxloop.text import engine_cache

    monkeypatch.setattr(engine_cache, "SHIPPED_DIR", tmp_path / "no-shipped-classifiers")


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts theme-classifier fits (a restored classifier is not fitted)."""
    calls: list[int] = []
    original = ThemeClassifier.fit

    def counting_fit(self: ThemeClassifier, taxonomy: object) -> ThemeClassifier:
        calls.append(1)
        return original(self, taxonomy)  # type: ignore[arg-type]

    monkeypatch.setattr(ThemeClassifier, "fit", counting_fit)
    return calls


def test_classifier_is_fitted_once_then_restored_with_identical_results(
    tmp_path: Path, fits: list[int]
) -> None:
    first = load_engine("fast", cache_dir=tmp_path)
    assert len(fits) == 1
    [path] = tmp_path.glob("classifier-fast-*.npz")
    with np.load(path, allow_pickle=False) as data:  # plain arrays only, no pickles
        assert "array.anchor_vectors_" in data.files
    second = load_engine("fast", cache_dir=tmp_path)
    assert len(fits) == 1  # restored, not fitted again
    items = [TextItem(text=t) for t in TEXTS]
    assert first.analyze(items) == second.analyze(items)
    restored = second.backend.classifier(second.taxonomy)  # type: ignore[attr-defined]
    fitted = first.backend.classifier(first.taxonomy)  # type: ignore[attr-defined]
    assert restored.example_models_.keys() == fitted.example_models_.keys()
    assert restored.example_models_  # the default taxonomy has examples: heads are cached too
    other = load_engine(
        "fast", taxonomy=[ThemeDefinition("X", keywords=("xylophone",))], cache_dir=tmp_path
    )
    assert len(fits) == 2 and [t.name for t in other.taxonomy] == ["X"]
    assert len(list(tmp_path.glob("classifier-fast-*.npz"))) == 2


def test_damaged_cache_is_rebuilt(tmp_path: Path, fits: list[int]) -> None:
    load_engine("fast", cache_dir=tmp_path)
    [path] = tmp_path.glob("classifier-fast-*.npz")
    path.write_bytes(b"not an npz file")
    engine = load_engine("fast", cache_dir=tmp_path)
    assert len(fits) == 2
    result = engine.analyze([TextItem(text="my parcel never arrived")])[0]
    assert result.sentiment.label == "negative"
    assert "Delivery" in [m.name for m in result.themes]
    load_engine("fast", cache_dir=tmp_path)
    assert len(fits) == 2  # the rebuilt file is good again


def test_key_changes_with_taxonomy_journey_and_backend() -> None:
    tax, journey = default_taxonomy(), default_journey()
    base = engine_key("fast", tax, journey)
    assert base == engine_key("fast", tax, journey)
    assert base != engine_key("embedding", tax, journey)
    assert base != engine_key("fast", tax[:-1], journey)
    assert base != engine_key("fast", tax, journey, {"threshold": 0.3})


def test_objects_stubs_and_no_cache_dir_bypass_the_cache(tmp_path: Path) -> None:
    register_backend("keyword-cache-stub", KeywordBackend)
    load_engine(KeywordBackend(), cache_dir=tmp_path)
    load_engine("keyword-cache-stub", cache_dir=tmp_path)  # no classifier to cache
    load_engine("fast", cache_dir=None)
    assert list(tmp_path.iterdir()) == []


def test_unknown_fitted_state_is_not_cached() -> None:
    tax = default_taxonomy()
    engine = load_engine("fast", cache_dir=None)
    classifier = engine.backend.classifier(tax)  # type: ignore[attr-defined]
    assert fitted_arrays(classifier, tax) is not None
    classifier.extra_state_ = {"not": "arrays"}
    assert fitted_arrays(classifier, tax) is None
    del classifier.extra_state_
    assert fitted_arrays(classifier, tax[:-1]) is None  # fitted on another taxonomy
