"""``cxloop text score`` reads exports as analysts have them (semicolon CSV from a European
spreadsheet, Windows-1252 bytes, JSONL with a broken line) and loses no line: what cannot be a
row is written to ``OUT.rejected.csv`` with its line number and reason."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from test_pipeline_support import KeywordBackend

from cxloop.errors import InputError
from cxloop.text.backends.base import register_backend
from cxloop.text.score import score_file
from cxloop.text.score_input import Rejected, read_chunks, rejected_path


@pytest.fixture(autouse=True)
def stub_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_backend("keyword-stub", KeywordBackend)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _rejected(output: Path) -> list[dict[str, str]]:
    with rejected_path(output).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_a_csv_with_another_delimiter_and_windows_bytes_is_read(
    delimiter: str, tmp_path: Path
) -> None:
    src = tmp_path / "export.csv"
    lines = ["id;commentaire;note", "1;Le café était froid;2", "2;très bon, merci;5"]
    src.write_bytes("\r\n".join(line.replace(";", delimiter) for line in lines).encode("cp1252"))
    out = tmp_path / "scored.csv"
    result = score_file(src, "commentaire", out, backend=KeywordBackend())
    frame = pd.read_csv(out, dtype=str)
    assert result.rows == 2 and result.rejected == 0
    assert frame["commentaire"].tolist() == ["Le café était froid", "très bon, merci"]
    assert frame["note"].tolist() == ["2", "5"]
    assert "sentiment_label" in frame.columns  # written as an ordinary comma CSV
    assert not rejected_path(out).exists()


def test_a_row_with_too_many_fields_is_kept_apart_and_the_rest_scored(cli, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        "id,comment\n1,parcel never arrived\n2,late again, and again\n3,great app\n",
        encoding="utf-8",
    )
    out = tmp_path / "scored.csv"
    result = cli("text", "score", src, "-t", "comment", "-o", out, "-b", "keyword-stub")
    assert result.exit_code == 0, result.stderr
    assert "1 line(s) could not be read" in result.stderr and "line 3" in result.stderr
    assert pd.read_csv(out, dtype=str)["id"].tolist() == ["1", "3"]
    assert _rejected(out) == [
        {"line": "3", "reason": "3 fields, the header has 2", "raw": "2,late again, and again"}
    ]
    as_json = cli(
        "text", "score", src, "-t", "comment", "-o", out, "-b", "keyword-stub", "--format", "json"
    )
    report = json.loads(as_json.stdout)
    assert report["rejected"] == 1 and report["rejected_file"] == str(rejected_path(out))


def test_jsonl_bad_lines_are_rejected_and_a_late_key_keeps_its_column(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": 1, "comment": "parcel never arrived"}\n'
        "{broken\n"
        "\n"
        '["a", "list"]\n'
        '{"id": 2, "comment": "refund please", "order": "A-7"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "scored.csv"
    result = score_file(src, "comment", out, backend=KeywordBackend(), chunk_rows=1)
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert result.rows == 2 and result.rejected == 2
    assert frame[["id", "order"]].values.tolist() == [["1", ""], ["2", "A-7"]]
    rejected = _rejected(out)
    assert [r["line"] for r in rejected] == ["2", "4"]
    assert rejected[0]["reason"].startswith("not valid JSON") and rejected[0]["raw"] == "{broken"
    assert "not an object" in rejected[1]["reason"]
    assert "line 2: not valid JSON" in result.rejected_summary


def test_a_file_with_no_readable_line_says_so_and_keeps_the_lines(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("not json\nnor this\n", encoding="utf-8")
    out = tmp_path / "scored.csv"
    with pytest.raises(InputError, match=r"no line of in\.jsonl is a JSON object"):
        score_file(src, "comment", out, backend=KeywordBackend())
    assert [r["raw"] for r in _rejected(out)] == ["not json", "nor this"]
    only_bad = tmp_path / "bad.csv"
    only_bad.write_text("id,comment\n1,a,b,c\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no line of bad\.csv could be read as a row"):
        score_file(only_bad, "comment", out, backend=KeywordBackend())


def test_a_clean_run_removes_the_rejected_file_of_an_earlier_one(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "scored.csv"
    src.write_text("id,comment\n1,fine\n2,a,b\n", encoding="utf-8")
    assert score_file(src, "comment", out, backend=KeywordBackend()).rejected == 1
    src.write_text("id,comment\n1,mended\n2,fine\n", encoding="utf-8")
    result = score_file(src, "comment", out, backend=KeywordBackend())
    assert result.rejected == 0 and result.rejected_file is None
    assert not rejected_path(out).exists()


def test_empty_file_and_strict_jsonl_reading(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.csv is empty"):
        score_file(empty, "comment", tmp_path / "o.csv", backend=KeywordBackend())
    src = tmp_path / "in.jsonl"
    src.write_text('{"comment": "ok"}\n{oops\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"in\.jsonl line 2: not valid JSON"):
        list(read_chunks(src, 10))  # no collector given: the first bad line is an error
    rejected = Rejected()
    frames = list(read_chunks(src, 10, rejected))
    assert sum(len(f) for f in frames) == 1 and rejected.summary().startswith("line 2:")


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_a_csv_scored_into_parquet_or_jsonl_rejects_a_bad_line_too(
    suffix: str, tmp_path: Path
) -> None:
    """Until 2026-11-24 (ninth session) only CSV output went through the line-by-line reader;
    into Parquet or JSON Lines one unquoted comma failed the whole file."""
    src = tmp_path / "in.csv"
    src.write_text(
        "id;comment;score\n1;parcel never arrived;1\n2;late; again;2\n3;;5\n4;great app;\n",
        encoding="utf-8",
    )
    out = tmp_path / f"scored{suffix}"
    result = score_file(src, "comment", out, backend=KeywordBackend())
    frame = (
        pd.read_parquet(out) if suffix == ".parquet" else pd.read_json(out, lines=True, dtype=False)
    )
    assert result.rows == 3 and result.rejected == 1
    assert frame["id"].tolist() == ["1", "3", "4"]  # values stay text, as pandas read them
    assert frame["comment"].tolist() == ["parcel never arrived", "", "great app"]
    assert frame["score"].tolist() == ["1", "5", ""]
    assert _rejected(out) == [
        {"line": "3", "reason": "4 fields, the header has 3", "raw": "2;late; again;2"}
    ]


def test_a_good_csv_gives_the_same_parquet_as_pandas_reads_it(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        'id,comment,amount\n007,"quoted, with comma",1.50\n8,"two\nlines",NA\n9,,\n',
        encoding="utf-8",
    )
    out = tmp_path / "scored.parquet"
    score_file(src, "comment", out, backend=KeywordBackend())
    expected = pd.read_csv(src, dtype=str, keep_default_na=False)
    got = pd.read_parquet(out)[list(expected.columns)]
    pd.testing.assert_frame_equal(got, expected)


MIXED_RECORDS = [
    {"id": 1, "comment": "parcel never arrived", "score": 2},
    {"comment": 42, "score": 3.5},
    {"id": 3, "comment": {"said": "late"}, "tags": ["a", "b"]},
    {"id": 4, "comment": None, "flag": True},
]


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_json_values_keep_their_types_and_mixed_fields_become_text(
    tmp_path: Path, suffix: str
) -> None:
    src = tmp_path / f"in{suffix}"
    if suffix == ".jsonl":
        src.write_text("\n".join(json.dumps(r) for r in MIXED_RECORDS) + "\n", encoding="utf-8")
    else:
        src.write_text(json.dumps([*MIXED_RECORDS[:2], "oops", *MIXED_RECORDS[2:]]))
    # chunks of one row: "tags" and "flag" are missing from the first chunks, and Parquet
    # is written chunk by chunk with the first chunk's schema
    parquet, csv_out = tmp_path / "out.parquet", tmp_path / "out.csv"
    result = score_file(src, "comment", parquet, backend=KeywordBackend(), chunk_rows=1)
    score_file(src, "comment", csv_out, backend=KeywordBackend(), chunk_rows=1)
    assert result.rows == 4 and result.rejected == (1 if suffix == ".json" else 0)
    frame = pd.read_parquet(parquet)
    assert frame["id"].tolist()[:1] == [1] and str(frame["id"].dtype) == "Int64"
    assert frame["comment"].tolist()[:3] == ["parcel never arrived", "42", '{"said": "late"}']
    assert pd.isna(frame["comment"].iloc[3])
    assert frame["tags"].tolist()[2] == '["a", "b"]' and frame["flag"].tolist()[3] is True
    assert frame["score"].tolist()[:2] == [2.0, 3.5]
    as_text = pd.read_csv(csv_out, dtype=str, keep_default_na=False)
    assert as_text["id"].tolist() == ["1", "", "3", "4"]  # not 1.0: a gap made them floats
    assert as_text["comment"].tolist()[1] == "42"
    # the missing text is no text at all (not the string "<NA>")
    assert as_text["sentiment_label"].tolist()[3] == "neutral"
    assert as_text["language"].tolist()[3] == "und"
    if suffix == ".json":
        rejected = _rejected(csv_out)
        assert [r["line"] for r in rejected] == ["3"] and "item 3" in rejected[0]["reason"]


def test_a_number_too_large_for_64_bits_is_kept_as_text(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"order": 12345678901234567890123, "comment": "late"}\n{"order": 7}\n')
    out = tmp_path / "out.parquet"
    score_file(src, "comment", out, backend=KeywordBackend())
    assert pd.read_parquet(out)["order"].tolist() == ["12345678901234567890123", "7"]


def test_a_json_file_without_objects_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "numbers.json"
    src.write_text("[1, 2, 3]")
    with pytest.raises(InputError, match=r"no item of the array in numbers\.json is a JSON object"):
        score_file(src, "comment", tmp_path / "o.csv", backend=KeywordBackend())
