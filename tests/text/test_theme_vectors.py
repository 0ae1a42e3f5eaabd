"""``cxloop text adapt``: fitting the fast backend's theme table to a company's own comments
(with the real bundled MiniLM), using the result, and every way a vectors file can be wrong."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from cxloop.errors import ConfigError
from cxloop.text.backends.fast import VECTORS_ENV, FastBackend
from cxloop.text.engine_cache import classifier_file_name
from cxloop.text.journey import default_journey
from cxloop.text.static_vectors import StaticVectors
from cxloop.text.taxonomy import default_taxonomy
from cxloop.text.theme_vectors import fit_theme_table, mean_cosine

SUBJECTS = [
    "my parcel", "the courier", "the refund", "your app", "the checkout page", "the agent",
    "the invoice", "my order", "the delivery", "the login screen", "customer support",
    "the price", "the return label", "the sizing", "the fabric", "the hotline", "the website",
    "the tracking link", "my subscription", "the replacement",
]  # fmt: skip
PREDICATES = [
    "never arrived", "took three weeks", "was charged twice", "keeps crashing", "was rude",
    "is far too expensive", "was lost again", "was really helpful", "is confusing",
    "did not work", "was quick and easy", "still has not come", "was damaged", "is great value",
    "made me wait an hour",
]  # fmt: skip


def comments() -> list[str]:
    return [f"{s} {p}" for s, p in itertools.product(SUBJECTS, PREDICATES)]  # 300


def test_the_fit_moves_text_vectors_towards_their_targets():
    rng = np.random.default_rng(0)
    n_words, dim = 60, 8
    start = rng.normal(size=(n_words, dim))
    truth = rng.normal(size=(n_words, dim))
    counts = sparse.random(500, n_words - 5, density=0.08, random_state=1, format="csr")
    counts = sparse.hstack([counts, sparse.csr_matrix((500, 5))], format="csr")  # 5 unused words
    target = counts @ truth
    target /= np.maximum(np.linalg.norm(target, axis=1, keepdims=True), 1e-12)
    fitted = fit_theme_table(counts, target, start)
    assert mean_cosine(counts, fitted, target) > mean_cosine(counts, start, target) + 0.3
    np.testing.assert_allclose(fitted[-5:], start[-5:])  # unused words keep their vectors


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv(VECTORS_ENV, "")  # restored after the test: --vectors sets it
    return tmp_path


@pytest.mark.embedding
def test_adapt_then_score_with_the_adapted_vectors(
    cli, isolated: Path, monkeypatch: pytest.MonkeyPatch
):
    pytest.importorskip("torch", reason="torch is not installed (embedding extra)")
    rows = [*comments(), "", "   ", "😀😀", None, comments()[0]]  # blanks and a duplicate
    source = isolated / "comments.csv"
    pd.DataFrame({"id": range(len(rows)), "comment": rows}).to_csv(source, index=False)
    vectors = isolated / "adapted" / "vectors.npz"

    result = cli("text", "adapt", source, "-t", "comment", "-o", vectors, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["texts"] == 300  # distinct texts with words: blanks, emoji, duplicate out
    assert report["cosine_after"] > report["cosine_before"] + 0.05
    assert vectors.is_file()

    out = isolated / "scored.csv"
    result = cli(
        "text", "score", source, "-t", "comment", "-o", out, "--vectors", vectors,
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "+themes-" in json.loads(result.stdout)["model_version"]
    assert len(pd.read_csv(out, keep_default_na=False)) == len(rows)

    monkeypatch.setenv(VECTORS_ENV, "")  # --vectors set it for this process and its workers
    shipped, adapted = FastBackend(), FastBackend(vectors=vectors)
    assert shipped.version != adapted.version
    texts = comments()[:40]
    # sentiment reads the words table, which adapting never touches
    np.testing.assert_array_equal(shipped.sentiment_proba(texts), adapted.sentiment_proba(texts))
    taxonomy = default_taxonomy()
    before = shipped.classifier(taxonomy).confidences(texts, shipped.featurize(texts))
    after = adapted.classifier(taxonomy).confidences(texts, adapted.featurize(texts))
    assert not np.allclose(before, after)


def test_adapt_refuses_too_few_texts_and_a_missing_column(cli, isolated: Path):
    source = isolated / "few.csv"
    pd.DataFrame({"comment": comments()[:50]}).to_csv(source, index=False)
    result = cli("text", "adapt", source, "-t", "comment", "-o", isolated / "v.npz")
    assert result.exit_code == 2
    assert "only 50 distinct texts" in result.stderr and "at least 200" in result.stderr
    result = cli("text", "adapt", source, "-t", "text", "-o", isolated / "v.npz")
    assert result.exit_code == 2
    assert "no column 'text'" in result.stderr and "comment" in result.stderr
    assert not (isolated / "v.npz").exists()


def _perturbed(path: Path) -> Path:
    shipped = StaticVectors.load()
    assert shipped.theme_vectors is not None
    noise = np.random.default_rng(0).normal(scale=0.05, size=shipped.theme_vectors.shape)
    StaticVectors(
        shipped.vocab, shipped.vectors, shipped.weights, shipped.theme_vectors + noise
    ).save(path)
    return path


def test_adapted_vectors_get_their_own_version_and_classifier_cache(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
):
    path = _perturbed(isolated / "v.npz")
    shipped = FastBackend()
    adapted = FastBackend(vectors=path)
    assert adapted.version.startswith(shipped.version + "+themes-")
    taxonomy, journey = default_taxonomy(), default_journey()
    assert classifier_file_name("fast", taxonomy, journey, adapted) != classifier_file_name(
        "fast", taxonomy, journey, shipped
    )  # so the shipped default classifier is never used with other vectors
    monkeypatch.setenv(VECTORS_ENV, str(path))
    assert FastBackend().version == adapted.version  # the variable reaches every process


def test_a_wrong_vectors_file_is_a_clear_error(isolated: Path):
    with pytest.raises(ConfigError, match="not found"):
        FastBackend(vectors=isolated / "missing.npz")
    (isolated / "junk.npz").write_bytes(b"not a numpy file")
    with pytest.raises(ConfigError, match="cannot read"):
        FastBackend(vectors=isolated / "junk.npz")
    rng = np.random.default_rng(0)
    StaticVectors(["a", "b"], rng.normal(size=(2, 4)), np.ones(2), rng.normal(size=(2, 4))).save(
        isolated / "other.npz"
    )
    with pytest.raises(ConfigError, match="not made by 'cxloop text adapt'"):
        FastBackend(vectors=isolated / "other.npz")
    shipped = StaticVectors.load()
    StaticVectors(shipped.vocab, shipped.vectors, shipped.weights).save(isolated / "plain.npz")
    with pytest.raises(ConfigError, match="not made by 'cxloop text adapt'"):
        FastBackend(vectors=isolated / "plain.npz")
