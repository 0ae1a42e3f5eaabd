"""Batch scoring of a file without a database: ``cxloop text score``.

Analysts try the engine on their own export in one line. The file is streamed in chunks
(CSV, TSV, JSONL and Parquet; JSON arrays and Excel are read whole), every input column is
written back unchanged and the engine's columns are appended, so the output joins back to
anything else the analyst has. A row whose text is empty or unreadable is scored ``neutral``
with zero confidence rather than dropped. A line that cannot become a row at all (too many
CSV fields, broken JSON) is written to ``OUT.rejected.csv`` with its line number and reason
(:mod:`cxloop.text.score_input`), so every input line is in one file or the other.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxloop.errors import InputError
from cxloop.text.csv_chunks import CsvChunk, render_csv
from cxloop.text.engine_cache import load_engine
from cxloop.text.journey import Journey, JourneyContext
from cxloop.text.pipeline import BackendSpec, TextEngine, TextItem, map_batches
from cxloop.text.score_input import Rejected, format_of, input_chunks, rejected_path
from cxloop.text.types import TextAnalysis, ThemeDefinition

#: The columns ``score`` appends, in order.
OUTPUT_COLUMNS = (
    "sentiment_label",
    "sentiment_score",
    "themes",
    "theme_sentiments",
    "journey_stage",
    "touchpoint",
    "signals",
    "language",
)
WRITE_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}


def require_columns(names: Sequence[Any], wanted: Sequence[str | None], source: str) -> None:
    """Refuse a file that lacks one of the ``wanted`` columns (None entries are optional
    columns not asked for); the message names the file and the columns it does have."""
    have = [str(n) for n in names]
    for column in wanted:
        if column and column not in have:
            more = f" (and {len(have) - 20} more)" if len(have) > 20 else ""
            hint = f"columns are: {', '.join(have[:20])}{more}"
            close = [h for h in have if h.strip().casefold() == column.strip().casefold()]
            close = close or difflib.get_close_matches(column, have, n=1, cutoff=0.75)
            if close:
                hint = f"did you mean '{close[0]}'? ({hint})"
            raise InputError(f"column '{column}' is not in {source}", hint=hint)


class _Writer:
    """Appends scored chunks to the output file in its format."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fmt = format_of(path, WRITE_FORMATS, "write")
        self.started = False
        self._parquet: Any = None
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, frame: Any) -> None:
        mode = "a" if self.started else "w"
        if isinstance(frame, CsvText):
            with self.path.open(mode, encoding="utf-8", newline="") as handle:
                if not self.started:
                    handle.write(frame.header)
                handle.write(frame.body)
        elif self.fmt in ("csv", "tsv"):
            frame.to_csv(
                self.path,
                sep="," if self.fmt == "csv" else "\t",
                index=False,
                header=not self.started,
                mode=mode,
                encoding="utf-8",
            )
        elif self.fmt == "jsonl":
            with self.path.open(mode, encoding="utf-8") as handle:
                frame.to_json(handle, orient="records", lines=True, force_ascii=False)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.path, table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        self.started = True

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    return str(value)


def result_columns(results: Sequence[TextAnalysis]) -> dict[str, list[Any]]:
    """The appended columns for a batch of results."""
    return {
        "sentiment_label": [r.sentiment.label for r in results],
        "sentiment_score": [round(float(r.sentiment.score), 4) for r in results],
        "themes": [";".join(m.name for m in r.themes) for r in results],
        "theme_sentiments": [
            ";".join(f"{m.name}:{m.sentiment.label}" for m in r.themes) for r in results
        ],
        "journey_stage": [r.journey_stage or "" for r in results],
        "touchpoint": [r.touchpoint or "" for r in results],
        "signals": [";".join(r.signals) for r in results],
        "language": [r.language or "" for r in results],
    }


@dataclass(frozen=True)
class _ChunkColumns:
    """Which columns of a chunk the engine reads, and how its output is returned."""

    text: str
    title: str | None
    channel: str | None
    redact: bool
    fmt: str


@dataclass(frozen=True)
class CsvText:
    """A scored chunk already rendered as CSV/TSV text (header line separate), so workers do
    the formatting and the writing process only appends."""

    header: str
    body: str


def _values(frame: Any, name: str) -> list[Any]:
    """The column's values, missing ones (None, NaN, pandas' NA) as None."""
    if isinstance(frame, CsvChunk):
        return frame.column(name)
    column = frame[name]
    return column.astype(object).where(column.notna(), None).tolist()


def _items_of(frame: Any, columns: _ChunkColumns) -> list[TextItem]:
    texts = [_text_or_none(v) for v in _values(frame, columns.text)]
    titles = (
        [_text_or_none(v) for v in _values(frame, columns.title)]
        if columns.title
        else [None] * len(texts)
    )
    channels = (
        [_text_or_none(v) for v in _values(frame, columns.channel)]
        if columns.channel
        else [None] * len(texts)
    )
    return [
        TextItem(
            text=texts[i],
            title=titles[i],
            context=JourneyContext(channels=(c,)) if (c := channels[i]) else None,
        )
        for i in range(len(texts))
    ]


def score_chunk(engine: TextEngine, payload: tuple[Any, _ChunkColumns]) -> Any:
    """Score one chunk: every input column plus the engine's (run in a worker process when
    ``workers > 1``). CSV/TSV output comes back as :class:`CsvText`."""
    frame, columns = payload
    results = engine.analyze(_items_of(frame, columns))
    if isinstance(frame, CsvChunk):
        return _scored_csv(frame, columns, results)
    out = frame.copy()
    if columns.redact:
        out[columns.text] = [r.redacted_text for r in results]
        if columns.title:
            out[columns.title] = [r.redacted_title for r in results]
    for name, values in result_columns(results).items():
        out[f"cx_{name}" if name in frame.columns else name] = values
    if columns.fmt in ("csv", "tsv"):
        sep = "," if columns.fmt == "csv" else "\t"
        return CsvText(
            header=out.iloc[:0].to_csv(None, sep=sep, index=False),
            body=out.to_csv(None, sep=sep, index=False, header=False),
        )
    return out


def _scored_csv(chunk: CsvChunk, columns: _ChunkColumns, results: list[TextAnalysis]) -> CsvText:
    """A plain CSV chunk scored into CSV text: the same bytes as the pandas path writes."""
    rows: list[list[Any]] = chunk.rows  # type: ignore[assignment]
    if columns.redact:
        rows = [list(row) for row in rows]
        text_at = chunk.header.index(columns.text)
        title_at = chunk.header.index(columns.title) if columns.title else None
        for row, result in zip(rows, results, strict=True):
            row[text_at] = result.redacted_text
            if title_at is not None:
                row[title_at] = result.redacted_title
    added = result_columns(results)
    names = [f"cx_{name}" if name in chunk.header else name for name in added]
    body_rows = (
        [[*row, *extra] for row, extra in zip(rows, zip(*added.values(), strict=True), strict=True)]
        if results
        else []
    )
    sep = "," if columns.fmt == "csv" else "\t"
    header, body = render_csv([*chunk.header, *names], body_rows, sep)
    return CsvText(header=header, body=body)


@dataclass
class ScoreResult:
    input: str
    output: str
    rows: int
    backend: str
    model_version: str
    workers: int
    seconds: float
    #: Input lines that could not become rows (not scored), kept in ``rejected_file``.
    rejected: int = 0
    rejected_file: str | None = None
    rejected_summary: str = ""

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def score_file(
    input_path: Path | str,
    text_column: str,
    output_path: Path | str,
    *,
    backend: BackendSpec = "fast",
    taxonomy: Sequence[ThemeDefinition] | None = None,
    journey: Journey | None = None,
    title_column: str | None = None,
    channel_column: str | None = None,
    redact_text: bool = False,
    workers: int = 1,
    chunk_rows: int = 1000,
    cache_dir: Path | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> ScoreResult:
    """Score every row of ``input_path`` and write all its columns plus :data:`OUTPUT_COLUMNS`.

    ``cache_dir`` keeps the warmed-up engine between runs (see :mod:`cxloop.text.engine_cache`).
    ``redact_text`` replaces the text (and title) column with its PII-redacted version, for
    output that will be shared. An input column that already has one of the output names is
    kept, and the engine's column is written as ``cx_<name>``.
    """
    started = time.perf_counter()
    input_path, output_path = Path(input_path), Path(output_path)
    if input_path.resolve() == output_path.resolve():
        raise InputError("the output file must differ from the input file")
    engine = load_engine(backend, taxonomy, journey, cache_dir=cache_dir)
    writer = _Writer(output_path)
    columns = _ChunkColumns(text_column, title_column, channel_column, redact_text, writer.fmt)
    rows = 0
    rejected = Rejected()

    def chunks() -> Iterator[tuple[int, tuple[Any, _ChunkColumns]]]:
        for frame in input_chunks(input_path, writer.fmt, chunk_rows, rejected):
            names = frame.header if isinstance(frame, CsvChunk) else list(frame.columns)
            require_columns(names, (text_column, title_column, channel_column), input_path.name)
            yield len(frame.rows if isinstance(frame, CsvChunk) else frame), (frame, columns)

    try:
        for n_rows, scored in map_batches(
            engine, chunks(), score_chunk, workers, backend_spec=backend, cache_dir=cache_dir
        ):
            writer.write(scored)
            rows += n_rows
            if on_rows is not None:
                on_rows(n_rows)
    finally:
        writer.close()
        kept = _keep_rejected(rejected, output_path)
    if not writer.started:
        raise InputError(f"{input_path.name} has no rows to score")
    if rows == 0 and rejected.lines:
        raise InputError(
            f"no line of {input_path.name} could be read as a row ({rejected.summary()})",
            hint=f"the lines are in {kept}; check the file type, delimiter and quoting",
        )
    return ScoreResult(
        input=str(input_path),
        output=str(output_path),
        rows=rows,
        backend=engine.backend.name,
        model_version=engine.model_version,
        workers=workers,
        seconds=time.perf_counter() - started,
        rejected=len(rejected.lines),
        rejected_file=str(kept) if kept else None,
        rejected_summary=rejected.summary(),
    )


def _keep_rejected(rejected: Rejected, output_path: Path) -> Path | None:
    """Write the rejected lines next to the output; remove a file an earlier run left there,
    which would otherwise describe lines this run read."""
    path = rejected_path(output_path)
    if rejected.lines:
        rejected.write(path)
        return path
    path.unlink(missing_ok=True)
    return None
