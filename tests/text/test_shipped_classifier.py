"""The fast backend's classifier for the default taxonomy ships with the package, so a first
run on a new machine restores it instead of fitting (which imports scikit-learn)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cxloop.text.backends.base import get_backend
from cxloop.text.engine_cache import SHIPPED_DIR, classifier_file_name, load_engine
from cxloop.text.journey import default_journey
from cxloop.text.pipeline import TextEngine, TextItem
from cxloop.text.taxonomy import default_taxonomy
from cxloop.text.theme_classifier import ThemeClassifier

TEXTS = [
    "my parcel never arrived and nobody answers the phone",
    "I was charged twice, please refund me",
    "love the new app, checkout is so fast",
    "the courier left it in the rain and the box was soaked",
]


def test_the_shipped_classifier_is_current() -> None:
    name = classifier_file_name(
        "fast", tuple(default_taxonomy()), default_journey(), get_backend("fast")
    )
    shipped = sorted(p.name for p in SHIPPED_DIR.glob("classifier-fast-*.npz"))
    assert shipped == [name], (
        "the shipped default classifier is out of date with src/cxloop/text: run "
        ".venv/bin/python scripts/build_default_classifiers.py and commit the new file"
    )
    assert (SHIPPED_DIR / name).stat().st_size < 1_000_000  # a small file, not a model dump


def test_a_first_run_restores_it_with_the_results_of_a_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted = TextEngine("fast")  # fitted in memory, no cache involved
    expected = fitted.analyze([TextItem(text=t) for t in TEXTS])

    def no_fit(self: ThemeClassifier, taxonomy: object) -> ThemeClassifier:
        raise AssertionError("the shipped classifier should have been restored, not fitted")

    monkeypatch.setattr(ThemeClassifier, "fit", no_fit)
    restored = load_engine("fast", cache_dir=tmp_path / "empty-cache")
    assert restored.analyze([TextItem(text=t) for t in TEXTS]) == expected
    assert "Delivery" in [m.name for m in expected[0].themes]


def test_scoring_a_file_on_a_new_machine_does_not_import_scikit_learn(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,comment\n1,my parcel never arrived\n2,great app\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from cxloop.text.score import score_file\n"
        f"score_file({str(src)!r}, 'comment', {str(tmp_path / 'out.csv')!r}, "
        f"cache_dir=Path({str(tmp_path / 'fresh-cache')!r}))\n"
        "print('sklearn' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert run.stdout.strip() == "False", run.stderr
    assert "Delivery" in (tmp_path / "out.csv").read_text(encoding="utf-8")


def test_the_code_stamp_ignores_where_tests_point_the_shipped_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stamp first computed while a test has moved SHIPPED_DIR must not count the shipped
    files as code (it is cached for the process, so that once broke a later test)."""
    from cxloop.text import engine_cache

    engine_cache._code_stamp.cache_clear()
    real = engine_cache._code_stamp()
    engine_cache._code_stamp.cache_clear()
    monkeypatch.setattr(engine_cache, "SHIPPED_DIR", tmp_path / "elsewhere")
    try:
        assert engine_cache._code_stamp() == real
    finally:
        engine_cache._code_stamp.cache_clear()
