"""Reading the file ``cxloop text score`` (and ``text adapt``) is given, without losing a row.

Analysts bring exports from wherever they have them, so the reader does not insist on one
dialect: a ``.csv`` file's delimiter (comma, semicolon, tab or pipe, as spreadsheets in many
locales write it) and its encoding (UTF-8, UTF-16 with a byte-order mark, else Windows-1252)
are detected the way ``cxloop ingest`` detects them (:mod:`cxloop.ingest.readers`).

A line that cannot become a row (a CSV line with more fields than the header, a JSONL line
that is not a JSON object) does not stop the run: it is *rejected*, with its line number,
the reason and its text (a JSONL line as it is; a CSV row as its fields joined by the
delimiter, since the reader has already taken the quotes off), and the caller writes the
rejected lines to a file of their own next to the output, so every input line ends up in one
of the two files.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxloop.errors import InputError
from cxloop.text.csv_chunks import CsvChunk, NotPlainCsv, plain_csv_chunks

READ_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".xlsx": "excel",
}
_SAMPLE_BYTES = 256 * 1024


def format_of(path: Path, table: dict[str, str], what: str) -> str:
    """The format ``table`` gives ``path``'s suffix; an error naming the choices otherwise."""
    fmt = table.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"cannot {what} '{path.name}': unknown file type '{path.suffix or '(none)'}'",
            hint=f"use one of: {', '.join(sorted(table))}",
        )
    return fmt


@dataclass(frozen=True)
class RejectedLine:
    """An input line that did not become a row (``line`` counts from 1, the header too)."""

    line: int
    reason: str
    raw: str


@dataclass
class Rejected:
    """The lines a read could not use, in file order."""

    lines: list[RejectedLine] = field(default_factory=list)

    def add(self, line: int, reason: str, raw: str) -> None:
        self.lines.append(RejectedLine(line, reason, raw))

    def summary(self, limit: int = 3) -> str:
        """The first ``limit`` reasons, each with its line ("line 7: ...; line 9: ...")."""
        shown = "; ".join(f"line {r.line}: {r.reason}" for r in self.lines[:limit])
        more = len(self.lines) - limit
        return shown + (f"; and {more:,} more" if more > 0 else "")

    def write(self, path: Path) -> None:
        """``line,reason,raw`` as CSV, so the lines can be mended and scored again."""
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "reason", "raw"])
            writer.writerows([r.line, r.reason, r.raw] for r in self.lines)


def rejected_path(output: Path) -> Path:
    """Where the rejected lines of a run writing ``output`` go: ``scored.rejected.csv``."""
    return output.with_name(f"{output.stem}.rejected.csv")


@dataclass(frozen=True)
class TextDialect:
    encoding: str
    delimiter: str


def text_dialect(path: Path, fmt: str) -> TextDialect:
    """Encoding and delimiter of a CSV/TSV file; a ``.tsv`` is always tab-separated."""
    from cxloop.ingest.readers import detect_encoding, sniff_delimiter

    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    if encoding == "utf-8":
        encoding = "utf-8-sig"  # drops a byte-order mark however the sample was judged
    if fmt == "tsv":
        return TextDialect(encoding, "\t")
    text = sample.decode(encoding, errors="replace")
    first = next((line for line in text.splitlines() if line.strip()), "")
    return TextDialect(encoding, sniff_delimiter(first))


def read_chunks(path: Path, chunk_rows: int, rejected: Rejected | None = None) -> Iterator[Any]:
    """DataFrames of at most ``chunk_rows`` rows; CSV/TSV values are kept as text exactly.

    Unusable JSONL lines go to ``rejected`` (an error naming the line when it is None).
    """
    import pandas as pd

    if not path.is_file():
        raise InputError(f"input file not found: {path}", hint="check the path")
    fmt = format_of(path, READ_FORMATS, "read")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty", hint="export the data again")
    try:
        if fmt in ("csv", "tsv"):
            dialect = text_dialect(path, fmt)
            yield from pd.read_csv(
                path,
                sep=dialect.delimiter,
                dtype=str,
                keep_default_na=False,
                chunksize=chunk_rows,
                encoding=dialect.encoding,
                encoding_errors="replace",
            )
        elif fmt == "jsonl":
            yield from _jsonl_chunks(path, chunk_rows, rejected)
        elif fmt == "json":
            yield from _json_array_chunks(path, chunk_rows, rejected)
        elif fmt == "excel":
            yield pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read '{path.name}' as {fmt}: {exc}",
            hint="check the file type and that the file is complete",
        ) from exc


def _jsonl_records(path: Path, encoding: str) -> Iterator[tuple[int, str, Any]]:
    """(line number, raw line, parsed value or the ValueError) for each non-blank line."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value: Any = json.loads(line)
            except ValueError as exc:
                value = exc
            yield number, line.rstrip("\r\n"), value


def _jsonl_chunks(path: Path, chunk_rows: int, rejected: Rejected | None) -> Iterator[Any]:
    """One pass collects every key (so a key first seen late still gets its column in a CSV
    written chunk by chunk) and rejects the unusable lines; a second pass builds the frames."""
    encoding = text_dialect(path, "tsv").encoding
    kinds: dict[str, set[type]] = {}
    bad: set[int] = set()
    for number, raw, value in _jsonl_records(path, encoding):
        if isinstance(value, dict):
            _note_kinds(kinds, value)
            continue
        reason = (
            f"not valid JSON ({value})"
            if isinstance(value, ValueError)
            else f"a JSON {type(value).__name__}, not an object with named fields"
        )
        if rejected is None:
            raise InputError(f"{path.name} line {number}: {reason}", hint="mend or remove it")
        rejected.add(number, reason, raw)
        bad.add(number)
    names = list(kinds)
    if not names and rejected is not None and rejected.lines:
        raise InputError(
            f"no line of {path.name} is a JSON object ({rejected.summary()})",
            hint="JSON Lines holds one object per line; for one JSON array use .json",
        )
    rows = (value for number, _raw, value in _jsonl_records(path, encoding) if number not in bad)
    yield from _typed_frames(rows, kinds, chunk_rows)


def _json_array_chunks(path: Path, chunk_rows: int, rejected: Rejected | None) -> Iterator[Any]:
    """A JSON array of objects, typed like JSON Lines; items that are no object are rejected
    with their position. Any other JSON layout goes to pandas as before."""
    import pandas as pd

    encoding = text_dialect(path, "tsv").encoding
    with path.open(encoding=encoding, errors="replace") as handle:
        data = json.load(handle)
    if not isinstance(data, list):
        yield pd.read_json(path, dtype=False)
        return
    kinds: dict[str, set[type]] = {}
    rows = []
    for number, value in enumerate(data, start=1):
        if isinstance(value, dict):
            _note_kinds(kinds, value)
            rows.append(value)
            continue
        reason = f"item {number} of the array is a JSON {type(value).__name__}, not an object"
        if rejected is None:
            raise InputError(f"{path.name}: {reason}", hint="mend or remove it")
        rejected.add(number, reason, json.dumps(value, ensure_ascii=False))
    if not kinds and data:
        raise InputError(
            f"no item of the array in {path.name} is a JSON object",
            hint="a .json file holds one array of objects, one per row",
        )
    yield from _typed_frames(iter(rows), kinds, chunk_rows)


def _note_kinds(kinds: dict[str, set[type]], record: dict[Any, Any]) -> None:
    """Add the type of each value of ``record`` to its field's set (a whole number too large
    for 64 bits counts as text: a 20-digit order number fits no integer column)."""
    for key, item in record.items():
        seen = kinds.setdefault(str(key), set())
        if type(item) is int and not -(2**63) <= item < 2**63:
            seen.add(str)
        elif item is not None:
            seen.add(type(item))


def _typed_frames(
    rows: Iterator[dict[Any, Any]], kinds: dict[str, set[type]], chunk_rows: int
) -> Iterator[Any]:
    """Frames of at most ``chunk_rows`` rows, every column with the dtype its values in the
    whole input call for (:func:`_column_dtype`); at least one frame, with every column."""
    dtypes = {name: _column_dtype(seen) for name, seen in kinds.items()}
    records: list[dict[str, Any]] = []
    produced = False
    for value in rows:
        records.append({str(k): v for k, v in value.items()})
        if len(records) >= chunk_rows:
            yield _typed_frame(records, dtypes)
            produced, records = True, []
    if records or not produced:
        yield _typed_frame(records, dtypes)


def _column_dtype(kinds: set[type]) -> str:
    """The pandas dtype of a JSON Lines field, from the types of its values in the whole file.

    Each chunk gets the same dtype, so a Parquet file written chunk by chunk has one schema,
    and whole numbers stay whole where a missing value used to make them floats (1 -> 1.0).
    A field holding more than one kind of value, or objects and lists, is read as text (JSON
    for the non-strings): pyarrow cannot store 42 and "late parcel" in one column."""
    if kinds == {bool}:
        return "boolean"
    if kinds == {int}:
        return "Int64"
    if kinds and kinds <= {int, float}:
        return "Float64"
    return "string"


def _typed_frame(records: list[dict[str, Any]], dtypes: dict[str, str]) -> Any:
    import pandas as pd

    columns: dict[str, Any] = {}
    for name, dtype in dtypes.items():
        values = [record.get(name) for record in records]
        if dtype == "string":
            values = [
                v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                for v in values
            ]
        columns[name] = pd.array(values, dtype=dtype)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(records)))


def input_chunks(path: Path, output_fmt: str, chunk_rows: int, rejected: Rejected) -> Iterator[Any]:
    """:class:`CsvChunk` s for a plain CSV/TSV scored into CSV/TSV (no pandas needed), else
    DataFrames. Lines that cannot be rows go to ``rejected``: a plain CSV/TSV is split by
    :func:`plain_csv_chunks` whatever the output, so a row with too many fields is rejected
    with its line number on the way to Parquet or JSON Lines too (pandas would fail the file)."""
    fmt = READ_FORMATS.get(path.suffix.lower())
    if path.is_file() and fmt in ("csv", "tsv"):
        dialect = text_dialect(path, fmt)
        plain = plain_csv_chunks(
            path, dialect.delimiter, chunk_rows, encoding=dialect.encoding, reject=rejected.add
        )
        try:
            first = next(plain)
        except NotPlainCsv:
            pass  # an index column or no header on the first line: pandas reads it
        else:
            if output_fmt in ("csv", "tsv"):
                yield first
                yield from plain
            else:
                yield from (_as_frame(chunk) for chunk in itertools.chain([first], plain))
            return
    yield from read_chunks(path, chunk_rows, rejected)


def _as_frame(chunk: CsvChunk) -> Any:
    """The DataFrame ``read_csv(dtype=str, keep_default_na=False)`` gives for these rows."""
    import pandas as pd

    return pd.DataFrame(chunk.rows, columns=chunk.header, dtype=str)
