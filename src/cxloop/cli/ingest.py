"""``cxloop ingest FILE``, ``cxloop ingest-runs`` and ``cxloop ingest-profiles``."""

from __future__ import annotations

from pathlib import Path

import typer

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_object, print_rows
from cxloop.ingest.loader import DEFAULT_BATCH_SIZE, ingest_file, latest_runs
from cxloop.ingest.mapping import parse_map_option
from cxloop.ingest.profiles import PROFILES


def ingest(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV/TSV, JSON, JSONL, .xlsx or Parquet file"),
    kind: str = typer.Option("feedback", "--kind", "-k", help="feedback, customers or metrics"),
    source: str | None = typer.Option(
        None, "--source", "-s", help="source name (default: file name)"
    ),
    profile: str | None = typer.Option(
        None,
        "--profile",
        "-p",
        help="generic, qualtrics, zendesk, trustpilot or app_store (default: detected)",
    ),
    mapping: list[str] = typer.Option(
        [],
        "--map",
        "-m",
        help="COLUMN=FIELD[,COLUMN=FIELD...]; FIELD 'extra' keeps a column as metadata",
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help="force the text encoding, e.g. latin-1"
    ),
    input_format: str | None = typer.Option(
        None, "--input-format", help="force csv, tsv, json, jsonl, xlsx or parquet"
    ),
    sheet: str | None = typer.Option(None, "--sheet", help="Excel sheet (default: the first)"),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="rows per transaction"
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Load a file of feedback, customers or business metrics; re-running it is safe.

    Bad rows are quarantined with their row number and reason (see: cxloop quarantine list).

    Example: cxloop ingest survey.csv --kind feedback --map "How likely to recommend=nps,Why=text"
    """
    st = state(ctx)
    summary = ingest_file(
        st.engine,
        file,
        kind,
        source=source,
        profile=profile,
        mapping=parse_map_option(mapping),
        progress=fmt is OutputFormat.table,
        batch_size=batch_size,
        encoding=encoding,
        input_format=input_format,
        sheet=sheet,
    )
    data = summary.as_dict()
    data.pop("errors", None)
    if fmt is OutputFormat.table:
        shown = {
            k: data[k]
            for k in (
                "run_id",
                "source",
                "profile",
                "format",
                "encoding",
                "read",
                "inserted",
                "updated",
                "unchanged",
                "quarantined",
                "seconds",
            )
        }
        print_object(shown, fmt, title=f"ingested {file.name} as {kind}")
        if summary.quarantined:
            console.print(
                f"[yellow]{summary.quarantined} row(s) quarantined[/yellow]: see "
                f"'cxloop quarantine list --run {summary.run_id}', fix the mapping with "
                f"'cxloop quarantine retry --run {summary.run_id} --map COLUMN=FIELD'"
            )
    else:
        print_object(data, fmt)


def runs(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", "-n", help="how many runs"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List recent ingestion runs with their counts. Example: cxloop ingest-runs --format json"""
    rows = latest_runs(state(ctx).engine, limit)
    cols = [
        "id",
        "kind",
        "file_name",
        "profile",
        "status",
        "rows_read",
        "inserted",
        "updated",
        "unchanged",
        "quarantined",
        "started_at",
        "finished_at",
    ]
    print_rows(rows, fmt, title="ingestion runs", columns=cols)


def profiles(fmt: OutputFormat = FormatOption) -> None:
    """List the ingest profiles and the columns each one maps.

    Example: cxloop ingest-profiles --format json
    """
    rows = []
    for name, cls in PROFILES.items():
        prof = cls() if name != "generic" else cls("feedback")  # type: ignore[call-arg]
        rows.append(
            {
                "profile": name,
                "description": prof.description,
                "channel": prof.channel,
                "columns": ", ".join(f"{c}->{f}" for c, f in list(prof.columns.items())[:40]),
            }
        )
    print_rows(rows, fmt, title="ingest profiles")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("ingest-runs")(runs)
    app.command("ingest-profiles")(profiles)
