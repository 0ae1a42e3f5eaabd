"""``cxloop quarantine list|show|retry|discard``: review and re-process refused rows."""

from __future__ import annotations

import typer

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_object, print_rows
from cxloop.ingest.mapping import parse_map_option
from cxloop.ingest.quarantine import (
    discard_quarantined,
    get_quarantined,
    list_quarantine,
    retry_quarantined,
)

app = typer.Typer(
    help="Rows that could not be stored, with the reason; fix and retry.", no_args_is_help=True
)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: str = typer.Option("open", "--status", help="open, resolved, discarded or all"),
    kind: str | None = typer.Option(None, "--kind", help="feedback, customers or metrics"),
    run: int | None = typer.Option(None, "--run", help="only rows of this ingestion run"),
    limit: int = typer.Option(100, "--limit", "-n"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List quarantined rows with row number and reason.

    Example: cxloop quarantine list --run 3 --format json
    """
    rows = list_quarantine(state(ctx).engine, status=status, kind=kind, run_id=run, limit=limit)
    print_rows(
        rows,
        fmt,
        title="quarantine",
        columns=["id", "run_id", "kind", "source", "file", "row", "field", "reason", "status"],
    )


@app.command("show")
def show(
    ctx: typer.Context, entry_id: int = typer.Argument(...), fmt: OutputFormat = FormatOption
) -> None:
    """Show one quarantined row with its raw content. Example: cxloop quarantine show 12"""
    print_object(get_quarantined(state(ctx).engine, entry_id), fmt, title=f"quarantine {entry_id}")


@app.command("retry")
def retry(
    ctx: typer.Context,
    ids: list[int] = typer.Argument(None, help="entry ids (or use --run / --all)"),
    run: int | None = typer.Option(None, "--run", help="retry every open row of this run"),
    all_open: bool = typer.Option(False, "--all", help="retry every open row"),
    mapping: list[str] = typer.Option([], "--map", "-m", help="corrected COLUMN=FIELD pairs"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Re-process quarantined rows, with a corrected mapping if given.

    Example: cxloop quarantine retry --run 3 --map "Score=rating"
    """
    engine = state(ctx).engine
    chosen = list(ids or [])
    if all_open:
        chosen = [r["id"] for r in list_quarantine(engine, status="open", limit=10**9)]
        if not chosen:
            console.print("nothing open in quarantine")
            return
    report = retry_quarantined(
        engine, ids=chosen or None, run_id=run, mapping=parse_map_option(mapping)
    )
    if fmt is OutputFormat.table:
        print_rows(
            report["entries"],
            fmt,
            title=(
                f"retried {report['retried']}: {report['stored']} stored, "
                f"{report['still_failing']} still failing"
            ),
        )
    else:
        print_object(report, fmt)


@app.command("discard")
def discard(ctx: typer.Context, ids: list[int] = typer.Argument(...)) -> None:
    """Mark rows as discarded (kept on record, no longer open).

    Example: cxloop quarantine discard 4 5
    """
    n = discard_quarantined(state(ctx).engine, ids)
    console.print(f"discarded {n} row(s)")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="quarantine")
