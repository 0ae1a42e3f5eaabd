"""The pandas-free CSV path of ``text score`` writes the same bytes as the pandas path, and
hands files that pandas interprets (renamed columns, an index column) to pandas."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pipeline_support import KeywordBackend

from cxloop.errors import InputError
from cxloop.text import score_input
from cxloop.text.csv_chunks import NotPlainCsv, pandas_column_names, plain_csv_chunks
from cxloop.text.score import score_file

AWKWARD = {
    "quotes_newlines": (
        'id,comment,note\n1,"My parcel never arrived, again","say ""hi"""\n'
        '2,"two\nlines of text",x\n3,,\n4,"😀 <b>App</b> crashes!!!",y\n'
    ),
    "bom_crlf_blank_lines": "\ufeffid,comment\r\n1,great service\r\n\r\n2,terrible wait\r\n",
    "short_rows": "id,comment,extra\n1,late delivery\n2,helpful staff,z\n",
    "header_only": "id,comment\n",
    "output_names_taken": "id,comment,themes,language\n1,parcel never came,mine,fr\n",
    "spaces_and_unicode": "id,comment\n1,  Ünïcödé déçu   \n2, trailing \n",
    # names pandas renames: the plain path renames them the same way
    "duplicate_names": "id,comment,comment,note,note\n1,late again,x,a,b\n2,fine,y,c,d\n",
    "empty_names": "id,,comment,\n1,x,rude staff,z\n",
    "unnamed_clash": "Unnamed: 1,,comment,comment.1,comment\n1,x,great app,y,z\n",
}


def _pandas_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> Iterator[object]:
        raise NotPlainCsv("forced")
        yield  # a generator, like the function it replaces

    monkeypatch.setattr(score_input, "plain_csv_chunks", refuse)


@pytest.mark.parametrize("name", sorted(AWKWARD))
@pytest.mark.parametrize("redact", [False, True])
def test_same_bytes_as_the_pandas_path(
    name: str, redact: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / f"{name}.csv"
    src.write_bytes(AWKWARD[name].encode("utf-8"))
    plain, via_pandas = tmp_path / "plain.csv", tmp_path / "pandas.csv"
    assert isinstance(next(plain_csv_chunks(src, ",", 2)).rows, list)  # the plain path runs
    title = "note" if name == "quotes_newlines" else None
    options = {"backend": KeywordBackend(), "redact_text": redact, "title_column": title}
    first = score_file(src, "comment", plain, chunk_rows=2, **options)  # type: ignore[arg-type]
    _pandas_only(monkeypatch)
    second = score_file(src, "comment", via_pandas, chunk_rows=2, **options)  # type: ignore[arg-type]
    assert plain.read_bytes() == via_pandas.read_bytes()
    assert first.rows == second.rows


def test_tsv_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in.tsv"
    src.write_text('id\tcomment\n1\t"quoted\ttab"\n2\tplain, with comma\n', encoding="utf-8")
    plain, via_pandas = tmp_path / "plain.tsv", tmp_path / "pandas.tsv"
    score_file(src, "comment", plain, backend=KeywordBackend())
    _pandas_only(monkeypatch)
    score_file(src, "comment", via_pandas, backend=KeywordBackend())
    assert plain.read_bytes() == via_pandas.read_bytes()


@pytest.mark.parametrize("text", ["id,comment\n1,2,great\n", "\n\nid,comment\n1,great\n"])
def test_files_pandas_interprets_go_to_pandas(text: str, tmp_path: Path) -> None:
    """An index column (one more field than the header) or no header on the first line."""
    src = tmp_path / "in.csv"
    src.write_text(text)
    with pytest.raises(NotPlainCsv):
        next(plain_csv_chunks(src, ",", 10))
    out = tmp_path / "out.csv"
    result = score_file(src, "comment", out, backend=KeywordBackend())
    assert result.rows == 1 and out.read_text().count("\n") == 2


def test_a_later_row_with_too_many_fields_names_its_line(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,comment\n1,fine\n2,too,many\n")
    with pytest.raises(InputError, match="line 3: 3 fields"):
        next(plain_csv_chunks(src, ",", 10))


def test_long_fields_are_read(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,comment\n1," + "word " * 40_000 + "\n")
    out = tmp_path / "out.csv"
    assert score_file(src, "comment", out, backend=KeywordBackend()).rows == 1


_NAME_PARTS = ["a", "a.1", "a.2", "b", "", "Unnamed: 0", "Unnamed: 1", "Unnamed: 1.1", " a"]


@given(st.lists(st.sampled_from(_NAME_PARTS), min_size=2, max_size=7))
@settings(max_examples=300, deadline=None)
def test_column_names_are_renamed_as_pandas_renames_them(header: list[str]) -> None:
    """Headers with repeated, empty and suffixed names (20,000 random ones agreed too)."""
    import pandas as pd

    text = ",".join(header) + "\n" + ",".join(["v"] * len(header)) + "\n"
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert pandas_column_names(header) == list(frame.columns)


def test_a_bad_line_in_a_file_with_repeated_names_is_rejected_not_fatal(tmp_path: Path) -> None:
    """Until 2026-11-24 (ninth session) such a file went to pandas, and one line with an
    unquoted comma failed it whole."""
    src = tmp_path / "in.csv"
    src.write_text("id,comment,comment\n1,late,x\n2,too,many,fields\n3,great,y\n")
    out = tmp_path / "out.csv"
    result = score_file(src, "comment", out, backend=KeywordBackend())
    assert result.rows == 2 and result.rejected == 1
    assert out.read_text().splitlines()[0].startswith("id,comment,comment.1,")
