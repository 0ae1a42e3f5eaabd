"""``cxloop text adapt``: teaching the fast backend on a company's own comments with the real
embedding backend (bundled MiniLM), using the result, and every way the file can be wrong."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from cxloop.errors import ConfigError
from cxloop.text.adapt import (
    ADAPTED_ENV,
    SHIPPED_EMBEDDING_HEAD,
    SHIPPED_HEAD,
    file_digest,
    workspace_texts,
)
from cxloop.text.backends import get_backend
from cxloop.text.backends.fast import FastBackend
from cxloop.text.engine_cache import classifier_file_name
from cxloop.text.journey import default_journey
from cxloop.text.sentiment import SentimentModel
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
    monkeypatch.delenv(ADAPTED_ENV, raising=False)  # a user's own setting must not leak in
    return tmp_path


@pytest.mark.embedding
def test_adapt_then_score_with_the_adapted_model(
    cli, isolated: Path, monkeypatch: pytest.MonkeyPatch
):
    pytest.importorskip("torch", reason="torch is not installed (embedding extra)")
    rows = [*comments(), "", "   ", "😀😀", None, comments()[0]]  # blanks and a duplicate
    source = isolated / "comments.csv"
    pd.DataFrame({"id": range(len(rows)), "comment": rows}).to_csv(source, index=False)
    adapted = isolated / "adapted" / "cx.model"  # any name: numpy must not add ".npz"

    result = cli("text", "adapt", source, "-t", "comment", "-o", adapted, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["texts"] == 300  # distinct texts with words: blanks, emoji, duplicate out
    assert report["cosine_after"] > report["cosine_before"] + 0.05
    assert report["agreement_after"] >= report["agreement_before"]
    assert [p.name for p in adapted.parent.iterdir()] == ["cx.model"]  # no partial file left

    out = isolated / "scored.csv"
    result = cli(
        "text", "score", source, "-t", "comment", "-o", out, "--adapted", adapted,
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "+adapted-" in json.loads(result.stdout)["model_version"]
    assert len(pd.read_csv(out, keep_default_na=False)) == len(rows)

    assert ADAPTED_ENV not in os.environ  # --adapted is a backend option, not a variable
    shipped, taught = FastBackend(), FastBackend(adapted=adapted)
    assert shipped.version != taught.version
    texts = comments()
    teacher = get_backend("embedding").sentiment(texts)
    agree = {
        name: np.mean([a.label == b.label for a, b in zip(backend.sentiment(texts), teacher)])
        for name, backend in (("shipped", shipped), ("taught", taught))
    }
    assert agree["taught"] > agree["shipped"], agree  # it learned from the embedding backend
    taught_fast = taught.sentiment(texts)
    back = get_backend("embedding", adapted=adapted).sentiment(texts)
    agree_back = {
        name: np.mean([a.label == b.label for a, b in zip(labels, taught_fast)])
        for name, labels in (("shipped", teacher), ("taught", back))
    }
    assert agree_back["taught"] >= agree_back["shipped"], agree_back  # and back again
    # the sentiment head still reads the words table: only themes read the fitted table
    np.testing.assert_array_equal(shipped.featurize(texts).dense, taught.featurize(texts).dense)
    taxonomy = default_taxonomy()
    before = shipped.classifier(taxonomy).confidences(texts, shipped.featurize(texts))
    after = taught.classifier(taxonomy).confidences(texts, taught.featurize(texts))
    assert not np.allclose(before, after)


@pytest.mark.embedding
def test_the_embedding_backend_reads_its_part_of_the_file(isolated: Path):
    pytest.importorskip("torch", reason="torch is not installed (embedding extra)")
    from cxloop.text.backends.embedding import EmbeddingBackend

    path = _perturbed(isolated / "v.npz")
    plain, adapted = EmbeddingBackend(), EmbeddingBackend(adapted=path)
    assert adapted.version.startswith(plain.version + "+adapted-")
    texts = comments()[:10]
    assert not np.allclose(plain.sentiment_proba(texts), adapted.sentiment_proba(texts))
    fast_only = _perturbed(isolated / "fast_only.npz", embedding=False)
    with pytest.raises(ConfigError, match="no embedding sentiment part"):
        EmbeddingBackend(adapted=fast_only)
    with pytest.raises(ConfigError, match="not found"):
        EmbeddingBackend(adapted=isolated / "missing.npz")


def test_adapt_refuses_too_few_texts_and_a_missing_column(cli, isolated: Path):
    source = isolated / "few.csv"
    pd.DataFrame({"comment": comments()[:50]}).to_csv(source, index=False)
    result = cli("text", "adapt", source, "-t", "comment", "-o", isolated / "v.npz")
    assert result.exit_code == 2
    assert "only 50 distinct texts" in result.stderr and "at least 200" in result.stderr
    result = cli("text", "adapt", source, "-t", "text", "-o", isolated / "v.npz")
    assert result.exit_code == 2
    assert "column 'text' is not in few.csv" in result.stderr and "comment" in result.stderr
    assert not (isolated / "v.npz").exists()


def _perturbed(path: Path, head: str | None = None, embedding: bool = True) -> Path:
    """A file shaped like adapt's output (themes and both corrections nudged), no MiniLM."""
    shipped = StaticVectors.load()
    assert shipped.theme_vectors is not None
    rng = np.random.default_rng(0)
    noise = rng.normal(scale=0.05, size=shipped.theme_vectors.shape)
    themes = StaticVectors(
        shipped.vocab, shipped.vectors, shipped.weights, shipped.theme_vectors + noise
    )
    parts = {}
    for backend, head_file in (("fast", SHIPPED_HEAD), ("embedding", SHIPPED_EMBEDDING_HEAD)):
        if backend == "embedding" and not embedding:
            continue
        shape = SentimentModel.load(head_file).coef_.shape
        parts[f"{backend}_delta_coef"] = rng.normal(scale=0.01, size=shape).astype(np.float32)
        parts[f"{backend}_delta_intercept"] = np.array([0.3, 0.0, -0.3], dtype=np.float32)
        parts[f"{backend}_head"] = np.array(head or "shipped:" + file_digest(head_file))
    np.savez_compressed(path, **themes.arrays(), **parts)
    return path


def test_adapted_vectors_get_their_own_version_and_classifier_cache(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
):
    path = _perturbed(isolated / "v.npz")
    shipped = FastBackend()
    adapted = FastBackend(adapted=path)
    assert adapted.version.startswith(shipped.version + "+adapted-")
    texts = comments()[:20]
    assert not np.allclose(shipped.sentiment_proba(texts), adapted.sentiment_proba(texts))
    taxonomy, journey = default_taxonomy(), default_journey()
    assert classifier_file_name("fast", taxonomy, journey, adapted) != classifier_file_name(
        "fast", taxonomy, journey, shipped
    )  # so the shipped default classifier is never used with other vectors
    monkeypatch.setenv(ADAPTED_ENV, str(path))
    assert FastBackend().version == adapted.version  # the variable reaches every process


def test_an_adapted_model_reaches_spawned_workers(isolated: Path, monkeypatch: pytest.MonkeyPatch):
    """``--adapted`` and the ``text_adapted`` setting reach worker processes as a backend
    option (``BackendChoice``), not through the environment: workers started fresh (as when
    PyTorch is loaded) score exactly like the parent, with the adapted model."""
    from cxloop.text import pipeline
    from cxloop.text.pipeline import BackendChoice
    from cxloop.text.score import score_file

    path = _perturbed(isolated / "v.npz")
    source = isolated / "c.csv"
    pd.DataFrame({"comment": comments()[:120]}).to_csv(source, index=False)
    choice = BackendChoice.of("fast", adapted=str(path), weights_dir=None)
    assert choice.options == (("adapted", str(path)),)  # None: the backend's default
    monkeypatch.setattr(pipeline, "_pool_context", lambda: multiprocessing.get_context("spawn"))
    scored = {}
    for workers in (1, 2):
        result = score_file(
            source,
            "comment",
            isolated / f"w{workers}.csv",
            backend=choice,
            workers=workers,
            chunk_rows=40,
            cache_dir=isolated / "engines",
        )
        assert "+adapted-" in result.model_version
        scored[workers] = pd.read_csv(result.output, keep_default_na=False)
    assert ADAPTED_ENV not in os.environ
    pd.testing.assert_frame_equal(scored[1], scored[2])
    shipped = score_file(source, "comment", isolated / "shipped.csv", backend="fast")
    plain = pd.read_csv(shipped.output, keep_default_na=False)
    assert not np.allclose(plain["sentiment_score"], scored[2]["sentiment_score"])


def test_a_wrong_vectors_file_is_a_clear_error(isolated: Path):
    with pytest.raises(ConfigError, match="not found"):
        FastBackend(adapted=isolated / "missing.npz")
    (isolated / "junk.npz").write_bytes(b"not a numpy file")
    with pytest.raises(ConfigError, match="cannot read"):
        FastBackend(adapted=isolated / "junk.npz")
    rng = np.random.default_rng(0)
    StaticVectors(["a", "b"], rng.normal(size=(2, 4)), np.ones(2), rng.normal(size=(2, 4))).save(
        isolated / "other.npz"
    )
    with pytest.raises(ConfigError, match="not made by 'cxloop text adapt'"):
        FastBackend(adapted=isolated / "other.npz")
    shipped = StaticVectors.load()
    StaticVectors(shipped.vocab, shipped.vectors, shipped.weights).save(isolated / "plain.npz")
    with pytest.raises(ConfigError, match="not made by 'cxloop text adapt'"):
        FastBackend(adapted=isolated / "plain.npz")
    themes_only = isolated / "themes_only.npz"
    StaticVectors(*_tables_of(shipped)).save(themes_only)
    with pytest.raises(ConfigError, match="no fast sentiment part"):
        FastBackend(adapted=themes_only)
    other_head = _perturbed(isolated / "other_head.npz", head="shipped:0123")
    with pytest.raises(ConfigError, match="another version of the fast sentiment model"):
        FastBackend(adapted=other_head)


def _tables_of(shipped: StaticVectors) -> tuple:
    return shipped.vocab, shipped.vectors, shipped.weights, shipped.theme_vectors


def _ingest(cli, folder: Path, texts: list[str]) -> None:
    source = folder / "feedback.csv"
    pd.DataFrame({"id": range(len(texts)), "comment": texts}).to_csv(source, index=False)
    result = cli("ingest", source, "--kind", "feedback", "--map", "comment=text")
    assert result.exit_code == 0, result.stderr


def test_enrich_uses_the_workspace_setting(cli, settings, isolated: Path):
    """text_adapted in cxloop.toml reaches enrich, which then re-does older enrichments."""
    _ingest(cli, isolated, comments()[:20])
    first = json.loads(cli("enrich", "--format", "json").stdout)
    assert first["enriched"] == 20 and "+adapted-" not in first["model_version"]
    path = _perturbed(isolated / "adapted.npz")
    (settings.home / "cxloop.toml").write_text(f'text_adapted = "{path}"\n')
    second = json.loads(cli("enrich", "--format", "json").stdout)
    assert "+adapted-" in second["model_version"]
    assert second["enriched"] == 20  # every row again, under the new version
    assert json.loads(cli("enrich", "--format", "json").stdout)["enriched"] == 0


@pytest.mark.embedding
def test_adapt_on_the_workspace_feedback(cli, settings, isolated: Path):
    pytest.importorskip("torch", reason="torch is not installed (embedding extra)")
    _ingest(cli, isolated, comments())
    result = cli("text", "adapt", "--workspace", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["texts"] == 300
    assert Path(report["output"]) == settings.home / "models" / "adapted.npz"
    assert FastBackend(adapted=report["output"]).version.startswith(FastBackend().version)


def test_adapt_needs_one_source_of_comments(cli, isolated: Path):
    source = isolated / "c.csv"
    pd.DataFrame({"comment": comments()}).to_csv(source, index=False)
    for args in ((), (source, "-t", "comment", "-o", isolated / "a.npz", "--workspace")):
        result = cli("text", "adapt", *args)
        assert result.exit_code == 2
        assert "either INPUT with --text-column, or --workspace" in result.stderr
    result = cli("text", "adapt", source, "-o", isolated / "a.npz")
    assert result.exit_code == 2 and "needs --text-column and --output" in result.stderr


def test_workspace_texts_samples_every_kth_row_of_a_large_workspace(cli, engine, isolated: Path):
    texts = comments()[:20]
    _ingest(cli, isolated, texts)
    assert sorted(t for t in workspace_texts(engine) if t) == sorted(texts)
    sampled = workspace_texts(engine, limit=7)  # 20 rows -> every 3rd id
    assert 1 <= len(sampled) <= 7
    assert set(sampled) <= set(texts)


def test_teaching_uses_the_workspace_backend_and_its_adapted_file(cli, settings, isolated: Path):
    """Heads are fitted on the base 'cxloop enrich' applies them to: the workspace's
    text_backend with its text_adapted file, unless --backend says otherwise."""
    _ingest(cli, isolated, comments()[:20])
    labels = isolated / "labels.csv"
    pd.DataFrame(
        {
            "comment": [*comments()[:6], "my parcel never came", "refund still missing"],
            "label": ["positive", "negative"] * 3 + ["negative", "negative"],
        }
    ).to_csv(labels, index=False)
    teach = ("text", "teach", labels, "--text-column", "comment", "--label-column", "label")
    shipped = json.loads(cli(*teach, "--task", "sentiment", "--format", "json").stdout)
    assert shipped["backend"] == "fast" and "+adapted-" not in shipped["base_version"]
    path = _perturbed(isolated / "adapted.npz")
    (settings.home / "cxloop.toml").write_text(f'text_adapted = "{path}"\n')
    result = cli(*teach, "--task", "sentiment", "--format", "json")
    assert result.exit_code == 0, result.stderr
    adapted = json.loads(result.stdout)
    assert adapted["base_version"] == FastBackend(adapted=path).version
    assert ADAPTED_ENV not in os.environ
    corrected = json.loads(
        cli("text", "correct", "1", "--sentiment", "negative", "--format", "json").stdout
    )
    assert all("+adapted-" in r["base_version"] for r in corrected["refitted"])
    result = cli("text", "uncertain", "--task", "sentiment", "--n", "3", "--format", "json")
    assert result.exit_code == 0, result.stderr
