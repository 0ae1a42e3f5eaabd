"""Streaming readers: CSV/TSV, JSON, JSONL, Excel .xlsx and Parquet, all yielding row batches.

Every reader turns its file into the same shape, :class:`RawBatch`: a header, rows aligned to
it, the human row number of each row (a spreadsheet's numbering: the header is row 1), and
the rows that could not even be split into fields (a malformed CSV line, an undecodable byte,
a JSONL line that is not JSON). Those become quarantine entries; the run goes on.

Memory stays flat because only one batch is alive at a time. The exception is a JSON array
file, which has to be parsed whole; use JSONL for very large record dumps.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from cxloop.errors import InputError

#: Large free-text fields (agent notes) are fine; a runaway unterminated quote is not.
csv.field_size_limit(16 * 1024 * 1024)

_BAD_BYTE = re.compile("[\udc80-\udcff]")
_DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_BYTES = 256 * 1024
FORMATS = ("csv", "tsv", "json", "jsonl", "xlsx", "parquet")


@dataclass
class BadRow:
    """A row that never became fields, or whose bytes could not be decoded."""

    row_number: int
    reason: str
    raw_text: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    field: str | None = None
    #: A feedback row's dedup key in its file (kept so a retry stores it under that key).
    dedup_key: str | None = None


@dataclass
class RawBatch:
    columns: list[str]
    rows: list[list[Any]]
    row_numbers: list[int]
    bad: list[BadRow] = field(default_factory=list)
    #: Progress in the reader's unit (bytes for text files, rows otherwise).
    position: int = 0

    @property
    def read(self) -> int:
        return len(self.rows) + len(self.bad)


@dataclass
class TableReader:
    """An opened input: its header, a peek at the first rows, and a batch iterator."""

    path: Path
    format: str
    columns: list[str]
    #: The first few data rows, so a profile can recognise extra header rows (Qualtrics).
    lookahead: list[list[Any]]
    #: Total of ``RawBatch.position`` at the end (bytes or rows), for the progress bar.
    total: int
    encoding: str | None = None
    delimiter: str | None = None
    #: True when every value is a string (CSV); lets validation take its fast paths.
    all_text: bool = False
    _iter_factory: Any = None

    def batches(self, batch_size: int, skip_leading: int = 0) -> Iterator[RawBatch]:
        """Yield batches of ``batch_size`` rows, after dropping ``skip_leading`` header rows."""
        return self._iter_factory(batch_size, skip_leading)


# --------------------------------------------------------------------------- detection


def detect_format(path: Path) -> str:
    """The format from the extension, else from the first bytes."""
    suffix = path.suffix.lower()
    by_suffix = {
        ".csv": "csv",
        ".txt": "csv",
        ".tsv": "tsv",
        ".tab": "tsv",
        ".json": "json",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".xlsx": "xlsx",
        ".xlsm": "xlsx",
        ".parquet": "parquet",
        ".pq": "parquet",
    }
    if suffix in by_suffix:
        return by_suffix[suffix]
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        first_line = stripped.split(b"\n", 1)[0]
        try:
            json.loads(first_line)
            return "jsonl"
        except ValueError:
            return "json"
    return "csv"


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/Latin-1.

    A file that is mostly valid UTF-8 with a few broken bytes stays UTF-8 so the broken rows
    are quarantined instead of silently turned into the wrong characters.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    text = decoder.decode(sample, final=False)
    bad = len(_BAD_BYTE.findall(text))
    if bad == 0:
        return "utf-8"
    good_non_ascii = sum(1 for ch in text if ord(ch) > 127) - bad
    if good_non_ascii > bad:
        return "utf-8"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def sniff_delimiter(first_line: str) -> str:
    """The candidate delimiter that splits the header line into the most fields."""
    counts = {}
    for delim in _DELIMITERS:
        try:
            counts[delim] = len(next(csv.reader([first_line], delimiter=delim)))
        except (csv.Error, StopIteration):
            counts[delim] = 0
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


def open_table(
    path: str | Path,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> TableReader:
    """Open ``path`` for streaming; any problem with the file as a whole is an InputError."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"file not found: {p}", hint="check the path")
    if not p.is_file():
        raise InputError(f"not a file: {p}")
    fmt = (fmt or detect_format(p)).lower()
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")
    try:
        if fmt in ("csv", "tsv"):
            return _open_csv(p, encoding, delimiter or ("\t" if fmt == "tsv" else None))
        if fmt == "json":
            return _open_json(p, encoding)
        if fmt == "jsonl":
            return _open_jsonl(p, encoding)
        if fmt == "xlsx":
            return _open_xlsx(p, sheet)
        return _open_parquet(p)
    except InputError:
        raise
    except (OSError, ValueError, KeyError, csv.Error) as exc:
        raise InputError(
            f"cannot read {p.name} as {fmt.upper()}: {exc}",
            hint="check the file is complete and of that format, or pass --input-format",
        ) from exc


# --------------------------------------------------------------------------- CSV / TSV


_decode_errors_seen = 0


def _count_and_escape(exc: UnicodeError) -> tuple[str | bytes, int]:
    """``surrogateescape`` that also counts, so a batch is only scanned for undecodable
    bytes when the decoder actually met one (the clean case then costs nothing)."""
    global _decode_errors_seen
    _decode_errors_seen += 1
    return codecs.lookup_error("surrogateescape")(exc)


codecs.register_error("cxloop-escape", _count_and_escape)


def _text_stream(fh: BinaryIO, encoding: str) -> io.TextIOWrapper:
    errors = "strict" if encoding == "latin-1" else "cxloop-escape"
    return io.TextIOWrapper(fh, encoding=encoding, errors=errors, newline="")


def _open_csv(path: Path, encoding: str | None, delimiter: str | None) -> TableReader:
    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE_BYTES)
    if not sample.strip():
        raise InputError(f"{path.name} is empty", hint="export the data again")
    enc = encoding or detect_encoding(sample)
    try:
        codecs.lookup(enc)
    except LookupError as exc:
        raise InputError(f"unknown encoding '{enc}'", hint="try utf-8 or latin-1") from exc
    if delimiter is None:
        with path.open("rb") as fh:
            text = _text_stream(fh, enc)
            first = ""
            for line in text:
                if line.strip():
                    first = line
                    break
        delimiter = sniff_delimiter(first)
    size = path.stat().st_size

    def rows_with_numbers(fh: BinaryIO) -> Iterator[tuple[int, list[str] | None, str | None]]:
        """(row number, fields or None, reason when the line is malformed)."""
        text = _text_stream(fh, enc)
        reader = csv.reader(text, delimiter=delimiter)
        number = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                yield number, None, f"line {reader.line_num} is not valid CSV ({exc})"
                continue
            except UnicodeDecodeError as exc:
                raise InputError(f"{path.name} is not {enc}: {exc}") from exc
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            number += 1
            yield number, row, None

    with path.open("rb") as fh:
        head_iter = rows_with_numbers(fh)
        header_row = next((r for _, r, reason in head_iter if r is not None), None)
        if header_row is None:
            raise InputError(
                f"{path.name} has no header row", hint="the first line must name the columns"
            )
        lookahead = [r for _, r, _ in _take(head_iter, 5) if r is not None]
    columns = _clean_header(header_row)
    ncols = len(columns)

    def iterate(batch_size: int, skip_leading: int) -> Iterator[RawBatch]:
        """The hot loop of every CSV load: one pass of the C parser, a length check per
        row, nothing else per row (no generator hop, no property, no regex)."""
        with path.open("rb") as fh:
            reader = csv.reader(_text_stream(fh, enc), delimiter=delimiter)
            rows: list[list[str]] = []
            numbers: list[int] = []
            bad: list[BadRow] = []
            number = 0
            count = 0
            header_seen = False
            skipped = 0
            seen = _decode_errors_seen
            while True:
                try:
                    for row in reader:
                        if len(row) != ncols:
                            if not row or (len(row) == 1 and not row[0].strip()):
                                continue  # blank line
                            if not header_seen:
                                header_seen = True
                                number += 1
                                continue
                            number += 1
                            if skipped < skip_leading:
                                skipped += 1
                                continue
                            if _fixable_width(row, ncols):
                                rows.append(row[:ncols])
                                numbers.append(number)
                            else:
                                bad.append(_wrong_width(number, row, ncols, delimiter))
                        else:
                            number += 1
                            if not header_seen:
                                header_seen = True
                                continue
                            if skipped < skip_leading:
                                skipped += 1
                                continue
                            rows.append(row)
                            numbers.append(number)
                        count += 1
                        if count >= batch_size:
                            batch = RawBatch(columns, rows, numbers, bad, fh.tell())
                            yield _split_undecodable(batch, enc, seen)
                            rows, numbers, bad, count = [], [], [], 0
                    break
                except csv.Error as exc:
                    number += 1
                    count += 1
                    bad.append(BadRow(number, f"line {reader.line_num} is not valid CSV ({exc})"))
                except UnicodeDecodeError as exc:
                    raise InputError(f"{path.name} is not {enc}: {exc}") from exc
            if rows or bad:
                yield _split_undecodable(RawBatch(columns, rows, numbers, bad, size), enc, seen)

    return TableReader(
        path,
        "csv" if delimiter != "\t" else "tsv",
        columns,
        lookahead,
        size,
        enc,
        delimiter,
        True,
        iterate,
    )


def _split_undecodable(batch: RawBatch, enc: str, errors_before: int | None = None) -> RawBatch:
    """Move rows holding undecodable bytes to ``bad``.

    Skipped while the decoder has met no bad byte since the file was opened
    (``errors_before``): a bad byte is counted when it is decoded, which is never after the
    row holding it was parsed, so no row can slip through. Otherwise one scan of the batch,
    then row by row.
    """
    if errors_before is not None and errors_before == _decode_errors_seen:
        return batch
    if not _BAD_BYTE.search("\x1e".join("\x1f".join(r) for r in batch.rows)):
        return batch
    rows, numbers = [], []
    for row, number in zip(batch.rows, batch.row_numbers, strict=True):
        if _BAD_BYTE.search("\x1f".join(row)):
            batch.bad.append(_undecodable(number, batch.columns, row, enc))
        else:
            rows.append(row)
            numbers.append(number)
    batch.rows, batch.row_numbers = rows, numbers
    batch.bad.sort(key=lambda b: b.row_number)
    return batch


def _take(it: Iterator[Any], n: int) -> list[Any]:
    out = []
    for item in it:
        out.append(item)
        if len(out) >= n:
            break
    return out


def _wrong_width(number: int, row: list[str], ncols: int, delimiter: str) -> BadRow:
    return BadRow(
        number,
        f"row has {len(row)} fields but the header has {ncols}; a quote or delimiter in this "
        "line is probably broken",
        _printable(delimiter.join(row)),
        {"fields": [_printable(v) for v in row]},
    )


def _fixable_width(row: list[str], ncols: int) -> bool:
    """Extra trailing empty fields (a spreadsheet's trailing delimiters) are harmless."""
    return len(row) > ncols and not any(v.strip() for v in row[ncols:])


def _printable(value: str) -> str:
    """Undecodable bytes shown as \\xNN so the raw row can be stored and read."""
    return _BAD_BYTE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", value)


def _undecodable(number: int, columns: list[str], row: list[str], enc: str) -> BadRow:
    bad_col = next((c for c, v in zip(columns, row, strict=False) if _BAD_BYTE.search(v)), "?")
    value = next(v for v in row if _BAD_BYTE.search(v))
    byte = ord(_BAD_BYTE.search(value).group()) - 0xDC00  # type: ignore[union-attr]
    reason = (
        f"column '{bad_col}' contains byte 0x{byte:02X}, which is not valid {enc}; "
        "save the file as UTF-8 or pass --encoding latin-1"
    )
    raw = {c: _printable(v) for c, v in zip(columns, row, strict=False)}
    return BadRow(number, reason, _printable("\x1f".join(row)).replace("\x1f", ","), raw)


def _clean_header(header: list[Any]) -> list[str]:
    """Strip whitespace/BOM, name blank columns, and make duplicate names unique."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(header):
        name = _printable(("" if raw is None else str(raw)).replace("\ufeff", "").strip())
        name = name or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


# --------------------------------------------------------------------------- JSON / JSONL


def _records_from_json(doc: Any, name: str) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ("records", "data", "items", "results", "responses", "rows", "values"):
            if isinstance(doc.get(key), list):
                return doc[key]
        return [doc]
    raise InputError(f"{name} holds a JSON {type(doc).__name__}, not records")


def _union_columns(records: list[Any]) -> list[str]:
    cols: dict[str, None] = {}
    for rec in records:
        if isinstance(rec, dict):
            cols.update(dict.fromkeys(str(k) for k in rec))
    return list(cols)


def _open_json(path: Path, encoding: str | None) -> TableReader:
    raw = path.read_bytes()
    enc = encoding or detect_encoding(raw[:_SAMPLE_BYTES])
    try:
        doc = json.loads(raw.decode(enc))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            f"{path.name} is not valid JSON: {exc}",
            hint="fix the file, or save one record per line as JSONL so bad lines can be "
            "quarantined one by one",
        ) from exc
    records = _records_from_json(doc, path.name)
    columns = _union_columns(records)
    if not columns:
        raise InputError(f"{path.name} contains no records")

    def iterate(batch_size: int, skip_leading: int) -> Iterator[RawBatch]:
        batch = RawBatch(columns, [], [])
        for i, rec in enumerate(records[skip_leading:], start=skip_leading + 1):
            _add_record(batch, columns, rec, i)
            if batch.read >= batch_size:
                batch.position = i
                yield batch
                batch = RawBatch(columns, [], [])
        batch.position = len(records)
        if batch.read:
            yield batch

    look = [[r.get(c) for c in columns] for r in records[:5] if isinstance(r, dict)]
    return TableReader(path, "json", columns, look, len(records), enc, None, False, iterate)


def _add_record(batch: RawBatch, columns: list[str], rec: Any, number: int) -> None:
    if not isinstance(rec, dict):
        batch.bad.append(
            BadRow(
                number,
                f"record {number} is a JSON {type(rec).__name__}, not an object",
                json.dumps(rec, ensure_ascii=False, default=str)[:10000],
            )
        )
        return
    for key in rec:
        if str(key) not in columns:
            columns.append(str(key))
    batch.rows.append([rec.get(c) for c in columns])
    batch.row_numbers.append(number)


def _open_jsonl(path: Path, encoding: str | None) -> TableReader:
    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE_BYTES)
    enc = encoding or detect_encoding(sample)
    columns: list[str] = []
    look: list[dict[str, Any]] = []
    with path.open("rb") as fh:
        for line in _text_stream(fh, enc):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                look.append(rec)
                for k in rec:
                    if str(k) not in columns:
                        columns.append(str(k))
            if len(look) >= 50:
                break
    if not columns:
        raise InputError(f"{path.name} has no JSON object on its first lines")
    size = path.stat().st_size

    def iterate(batch_size: int, skip_leading: int) -> Iterator[RawBatch]:
        cols = list(columns)
        batch = RawBatch(cols, [], [])
        with path.open("rb") as fh:
            for number, line in enumerate(_text_stream(fh, enc), start=1):
                if number <= skip_leading or not line.strip():
                    continue
                if _BAD_BYTE.search(line):
                    batch.bad.append(
                        BadRow(
                            number,
                            f"line {number} contains bytes that are not valid {enc}",
                            _printable(line.rstrip("\r\n")),
                        )
                    )
                else:
                    try:
                        rec = json.loads(line)
                    except ValueError as exc:
                        batch.bad.append(
                            BadRow(
                                number,
                                f"line {number} is not valid JSON ({exc})",
                                line.rstrip("\r\n"),
                            )
                        )
                    else:
                        _add_record(batch, cols, rec, number)
                if batch.read >= batch_size:
                    batch.position = fh.tell()
                    yield batch
                    batch = RawBatch(cols, [], [])
        batch.position = size
        if batch.read:
            yield batch

    lookahead = [[r.get(c) for c in columns] for r in look[:5]]
    return TableReader(path, "jsonl", columns, lookahead, size, enc, None, False, iterate)


# --------------------------------------------------------------------------- Excel / Parquet


def _open_xlsx(path: Path, sheet: str | None) -> TableReader:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken archive
        raise InputError(f"cannot open {path.name} as an Excel workbook: {exc}") from exc
    try:
        ws = wb[sheet] if sheet else wb.worksheets[0]
    except KeyError as exc:
        raise InputError(
            f"{path.name} has no sheet '{sheet}'", hint=f"sheets: {', '.join(wb.sheetnames)}"
        ) from exc
    header_number = 0
    header: list[Any] | None = None
    lookahead: list[list[Any]] = []
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if header is None:
            if any(v not in (None, "") for v in values):
                header, header_number = list(values), number
            continue
        if any(v not in (None, "") for v in values):
            lookahead.append(list(values))
        if len(lookahead) >= 5:
            break
    total = ws.max_row or 0
    wb.close()
    if header is None:
        raise InputError(f"{path.name} has no header row in sheet '{ws.title}'")
    columns = _clean_header(header)
    ncols = len(columns)
    sheet_name = ws.title

    def iterate(batch_size: int, skip_leading: int) -> Iterator[RawBatch]:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = book[sheet_name].iter_rows(min_row=header_number + 1, values_only=True)
            batch = RawBatch(columns, [], [])
            skipped = 0
            for number, values in enumerate(rows, start=header_number + 1):
                if not any(v not in (None, "") for v in values):
                    continue
                if skipped < skip_leading:
                    skipped += 1
                    continue
                row = list(values[:ncols]) + [None] * (ncols - len(values))
                batch.rows.append(row)
                batch.row_numbers.append(number)
                if batch.read >= batch_size:
                    batch.position = number
                    yield batch
                    batch = RawBatch(columns, [], [])
            batch.position = total
            if batch.read:
                yield batch
        finally:
            book.close()

    return TableReader(path, "xlsx", columns, lookahead, total, None, None, False, iterate)


def _open_parquet(path: Path) -> TableReader:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid and friends
        raise InputError(f"cannot open {path.name} as Parquet: {exc}") from exc
    columns = _clean_header(list(pf.schema_arrow.names))
    total = pf.metadata.num_rows

    def iterate(batch_size: int, skip_leading: int) -> Iterator[RawBatch]:
        number = 0
        for rb in pf.iter_batches(batch_size=batch_size):
            cols = [rb.column(i).to_pylist() for i in range(rb.num_columns)]
            rows = [list(r) for r in zip(*cols, strict=True)]
            numbers = list(range(number + 1, number + 1 + len(rows)))
            number += len(rows)
            if skip_leading:
                rows, numbers = rows[skip_leading:], numbers[skip_leading:]
                skip_leading = 0
            yield RawBatch(columns, rows, numbers, [], number)

    first = next(pf.iter_batches(batch_size=5), None)
    look = [list(r.values()) for r in first.to_pylist()] if first is not None else []
    return TableReader(path, "parquet", columns, look, total, None, None, False, iterate)
