"""The warmed-engine cache: reused across runs, keyed by everything that changes results,
and never fatal when damaged. ``KeywordBackend`` stands in for a model."""

from __future__ import annotations

from pathlib import Path

from test_pipeline_support import KeywordBackend

from cxloop.text.backends.base import register_backend
from cxloop.text.engine_cache import engine_key, load_engine
from cxloop.text.journey import default_journey
from cxloop.text.pipeline import TextItem
from cxloop.text.taxonomy import default_taxonomy
from cxloop.text.types import ThemeDefinition

BUILT: list[int] = []


def counting_backend() -> KeywordBackend:
    BUILT.append(1)
    return KeywordBackend()


def test_engine_is_built_once_then_loaded(tmp_path: Path) -> None:
    register_backend("counting-stub", counting_backend)
    BUILT.clear()
    first = load_engine("counting-stub", cache_dir=tmp_path)
    second = load_engine("counting-stub", cache_dir=tmp_path)
    assert len(BUILT) == 1
    assert len(list(tmp_path.glob("engine-counting-stub-*.pkl"))) == 1
    item = [TextItem(text="my parcel never arrived")]
    assert first.analyze(item) == second.analyze(item)
    other = load_engine(
        "counting-stub", taxonomy=[ThemeDefinition("X", keywords=("x",))], cache_dir=tmp_path
    )
    assert len(BUILT) == 2 and [t.name for t in other.taxonomy] == ["X"]


def test_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    register_backend("counting-stub", counting_backend)
    BUILT.clear()
    load_engine("counting-stub", cache_dir=tmp_path)
    [path] = tmp_path.glob("engine-counting-stub-*.pkl")
    path.write_bytes(b"not a pickle")
    engine = load_engine("counting-stub", cache_dir=tmp_path)
    assert len(BUILT) == 2
    assert engine.analyze([TextItem(text="great")])[0].sentiment.label == "positive"


def test_key_changes_with_taxonomy_journey_and_backend() -> None:
    tax, journey = default_taxonomy(), default_journey()
    base = engine_key("fast", tax, journey)
    assert base == engine_key("fast", tax, journey)
    assert base != engine_key("embedding", tax, journey)
    assert base != engine_key("fast", tax[:-1], journey)
    assert base != engine_key("fast", tax, journey, {"threshold": 0.3})


def test_objects_and_no_cache_dir_bypass_the_cache(tmp_path: Path) -> None:
    register_backend("counting-stub", counting_backend)
    load_engine(KeywordBackend(), cache_dir=tmp_path)
    load_engine("counting-stub", cache_dir=None)
    assert list(tmp_path.iterdir()) == []
