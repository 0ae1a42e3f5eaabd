"""``cxloop text score``: a file in, the same rows out with the engine's columns appended.

``KeywordBackend`` (test_pipeline_support) stands in for the model; test_pipeline_fast.py
runs the real ``fast`` backend."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_pipeline_support import KeywordBackend

from cxloop.errors import InputError
from cxloop.text.backends.base import register_backend
from cxloop.text.score import OUTPUT_COLUMNS, require_columns, score_file

ROWS = [
    {"id": "1", "comment": "My parcel never arrived, call +44 20 7946 0958", "survey": "web"},
    {"id": "2", "comment": "", "survey": "web"},
    {"id": "3", "comment": "😀😀", "survey": "web"},
    {"id": "4", "comment": "<b>App</b> crashes!!! I'm cancelling", "survey": "app store"},
    {"id": "5", "comment": "Le colis est arrivé en retard, très déçu", "survey": "web"},
    {"id": "6", "comment": "Great, fast delivery and helpful support", "survey": "post-delivery"},
]


@pytest.fixture(autouse=True)
def stub_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_backend("keyword-stub", KeywordBackend)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # keep ~/.cache clean


def write_csv(path: Path) -> Path:
    pd.DataFrame(ROWS).to_csv(path, index=False)
    return path


def test_csv_keeps_every_row_and_column(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv")
    out = tmp_path / "out.csv"
    result = cli(
        "text",
        "score",
        src,
        "--text-column",
        "comment",
        "--output",
        out,
        "--backend",
        "keyword-stub",
        "--channel-column",
        "survey",
    )
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["id", "comment", "survey", *OUTPUT_COLUMNS]
    assert frame["id"].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert frame["comment"].tolist() == [r["comment"] for r in ROWS]  # input unchanged
    first = frame.iloc[0]
    assert first.sentiment_label == "negative"
    assert first.themes.split(";")[0] == "Delivery"
    assert first.theme_sentiments.startswith("Delivery:negative")
    assert (first.journey_stage, first.touchpoint) == ("Receive", "Delivery")
    assert frame.iloc[1][["sentiment_label", "sentiment_score", "themes", "language"]].tolist() == [
        "neutral",
        "0.0",
        "",
        "und",
    ]
    assert frame.iloc[2].language == "und"
    assert frame.iloc[3].signals == "urgency;churn_risk"
    assert frame.iloc[3].journey_stage == "Use"  # app store channel
    assert frame.iloc[4].language == "fr"
    assert frame.iloc[5].sentiment_label == "positive"
    assert frame.iloc[5].touchpoint == "Delivery"  # post-delivery channel


def test_jsonl_and_parquet_round_trip(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({**r, "n": i}) for i, r in enumerate(ROWS)) + "\n")
    out = tmp_path / "out.parquet"
    result = score_file(src, "comment", out, backend=KeywordBackend(), chunk_rows=4)
    assert result.rows == len(ROWS)
    frame = pd.read_parquet(out)
    assert frame["n"].tolist() == list(range(len(ROWS)))
    assert set(OUTPUT_COLUMNS) <= set(frame.columns)
    out2 = tmp_path / "again.jsonl"
    score_file(out, "comment", out2, backend=KeywordBackend())
    lines = out2.read_text().splitlines()
    assert len(lines) == len(ROWS)
    assert "cx_themes" in json.loads(lines[0])  # existing output names are not overwritten


def test_custom_taxonomy_and_redaction(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv")
    tax = tmp_path / "tax.yaml"
    tax.write_text("themes:\n  - name: Parcels\n    keywords: [parcel, colis]\n")
    out = tmp_path / "out.csv"
    result = cli(
        "text",
        "score",
        src,
        "-t",
        "comment",
        "-o",
        out,
        "--taxonomy",
        tax,
        "--backend",
        "keyword-stub",
        "--redact",
    )
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert frame.loc[0, "themes"] == "Parcels"
    assert set(frame["themes"]) <= {"Parcels", ""}
    assert frame.loc[0, "comment"] == "My parcel never arrived, call [PHONE]"


def test_a_missing_column_is_named_with_the_columns_there_are(tmp_path: Path) -> None:
    """One check for every command that reads a column from a user's file (score, adapt,
    teach): the same words, the file's name, and at most 20 of its columns."""
    require_columns(["text", "id"], ("text", None), "in.csv")  # None: an option not given
    with pytest.raises(InputError, match=r"column 'title' is not in in\.csv") as caught:
        require_columns(["text", "id"], ("text", "title"), "in.csv")
    assert caught.value.hint == "columns are: text, id"
    many = [f"c{i}" for i in range(25)]
    with pytest.raises(InputError) as caught:
        require_columns(many, ("text",), "wide.csv")
    assert caught.value.hint is not None and caught.value.hint.endswith("c19 (and 5 more)")
    for asked, meant in (("text", "Text "), ("coments", "comments")):  # case, space, typo
        with pytest.raises(InputError) as caught:
            require_columns(["id", meant], (asked,), "in.csv")
        assert caught.value.hint == f"did you mean '{meant}'? (columns are: id, {meant})"
    from cxloop.text.learning import read_labelled_file

    labelled = tmp_path / "taught.csv"
    pd.DataFrame({"comment": ["late again"], "label": ["negative"]}).to_csv(labelled, index=False)
    with pytest.raises(InputError, match=r"column 'text' is not in taught\.csv"):
        read_labelled_file(labelled, "text", "label")


def test_errors_are_clear(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv")
    result = cli("text", "score", src, "-t", "text", "-o", tmp_path / "o.csv")
    assert result.exit_code == 2
    assert "column 'text' is not in in.csv" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes:\n  - name: A\n    keywords: a\n")
    result = cli("text", "score", src, "-t", "comment", "-o", tmp_path / "o.csv", "--taxonomy", bad)
    assert result.exit_code == 2 and "line 3" in result.stderr
    result = cli("text", "score", tmp_path / "in.docx", "-t", "c", "-o", tmp_path / "o.csv")
    assert result.exit_code == 2
    with pytest.raises(InputError, match="unknown file type"):
        score_file(src, "comment", tmp_path / "o.xml", backend=KeywordBackend())


def test_two_workers_match_one(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    pd.DataFrame(ROWS * 20).to_csv(src, index=False)
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    score_file(src, "comment", one, backend=KeywordBackend(), chunk_rows=25)
    score_file(src, "comment", two, backend=KeywordBackend(), chunk_rows=25, workers=2)
    assert one.read_text() == two.read_text()
