"""The evaluation harness: its statistics, its label mappings and that it rewrites only the
text section of docs/accuracy.md."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from cxloop.text.corpora import (
    BANKING_INFO_INTENTS,
    BANKING_PROBLEM_INTENTS,
    banking_categories,
    clothing_reviews,
    semeval_polarity,
    sentiment_corpus,
)

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "eval_text.py"


@pytest.fixture(scope="module")
def harness():
    spec = importlib.util.spec_from_file_location("eval_text", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_accuracy_interval_contains_the_estimate(harness):
    y = np.array([0, 1, 2] * 100)
    p = y.copy()
    p[:60] = (p[:60] + 1) % 3
    acc, (low, high) = harness.accuracy_row(y, p)
    assert acc == pytest.approx(0.8)
    assert low < acc < high and high - low < 0.15


def test_micro_f1_multilabel(harness):
    gold = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    pred = np.array([[1, 0], [1, 0], [1, 1]], dtype=bool)
    f1, _ = harness.micro_f1_multilabel(gold, pred)
    assert f1 == pytest.approx(2 * 3 / (4 + 4))


def test_write_section_touches_only_the_text_section(harness, tmp_path, monkeypatch):
    doc = tmp_path / "accuracy.md"
    doc.write_text(
        "# A\n\n## Text engine\n<!-- section: text -->\n\n## Learning\n<!-- section: learning -->\n"
    )
    monkeypatch.setattr(harness, "ACCURACY_MD", doc)
    run = {
        "backends": ["fast"],
        "minutes": 1.0,
        "at": "now",
        "rows": [{"task": "t", "system": "fast", "n": 3, "metric 1": "a", "metric 2": "b"}],
    }
    harness.write_section(harness.markdown([run]))
    text = doc.read_text()
    assert "| t | fast | 3 | a | b |" in text
    assert text.endswith("## Learning\n<!-- section: learning -->\n")
    harness.write_section(harness.markdown([run]))
    assert doc.read_text() == text  # idempotent


def test_vader_baseline_labels(harness):
    labels = harness.vader_labels(["I love it", "I hate it", "the bus"])
    assert labels.tolist() == [2, 0, 1]


def test_label_mappings_on_real_data(datasets):
    assert not BANKING_PROBLEM_INTENTS & BANKING_INFO_INTENTS
    assert set(banking_categories(datasets)) >= (BANKING_PROBLEM_INTENTS | BANKING_INFO_INTENTS)
    clothing = clothing_reviews(datasets)
    assert set(clothing.labels) == {0, 2}
    restaurants = semeval_polarity(datasets, "Restaurants_Train.xml")
    assert set(restaurants.labels) == {0, 1, 2} and len(restaurants) > 2000
    names = [s.name for s in sentiment_corpus(datasets, exclude=("clothing",))]
    assert "clothing" not in names and "tweeteval_val" in names
    assert "tweeteval_test" not in names
