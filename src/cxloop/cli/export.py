"""``cxloop export feedback|customers``: what was stored, as CSV, JSONL or Parquet."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape

from cxloop.cli.context import state
from cxloop.cli.output import err_console
from cxloop.ingest.export import EXPORT_FORMATS, export_rows


def export(
    ctx: typer.Context,
    what: str = typer.Argument(..., help="feedback or customers"),
    fmt: str = typer.Option("csv", "--format", "-f", help=f"one of {', '.join(EXPORT_FORMATS)}"),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="file (default: standard output)"
    ),
    source: str | None = typer.Option(None, "--source", help="only feedback of this source"),
) -> None:
    """Export stored rows; text comes back byte for byte.

    Example: cxloop export feedback --format parquet --output feedback.parquet
    """
    engine = state(ctx).engine
    target = output if output is not None else sys.stdout.buffer
    n = export_rows(engine, what, fmt, target, source=source)
    if output is not None:
        err_console.print(f"exported {n} {what} row(s) to {escape(str(output))}")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
