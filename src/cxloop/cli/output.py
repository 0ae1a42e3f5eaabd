"""Rendering of command results as a Rich table, JSON or CSV (``--format``).

JSON output of analyses is ``{"analysis": NAME, "params": {...}, "rows": [...]}``; other
reporting commands print their rows (or object) as JSON. Values are made JSON-safe here.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import math
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console()
err_console = Console(stderr=True)


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = typer.Option(
    OutputFormat.table, "--format", "-f", help="table for people, json or csv for tools"
)


def jsonable(value: Any) -> Any:
    """Convert dates, decimals, numpy scalars and NaN into JSON-safe values (NaN -> null)."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return jsonable(value.item())
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump())
    return str(value)


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(jsonable(payload), ensure_ascii=False, indent=2) + "\n")


def _cell(value: Any) -> str:
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def print_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: OutputFormat,
    *,
    title: str | None = None,
    columns: Sequence[str] | None = None,
    envelope: Mapping[str, Any] | None = None,
) -> None:
    """Print rows in the chosen format; ``envelope`` wraps JSON output (e.g. analysis, params)."""
    cols = list(columns) if columns else list(dict.fromkeys(k for r in rows for k in r))
    if fmt is OutputFormat.json:
        print_json({**envelope, "rows": list(rows)} if envelope is not None else list(rows))
        return
    if fmt is OutputFormat.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in cols})
        sys.stdout.write(buf.getvalue())
        return
    # Text, not str: Rich reads "[...]" in a str as markup, so a comment like "charged me
    # [twice]" lost words and one holding "[/b]" stopped the command with a markup error.
    table = Table(title=None if title is None else Text(title), show_lines=False)
    for col in cols:
        table.add_column(Text(col))
    for row in rows:
        table.add_row(*(Text(_cell(row.get(c))) for c in cols))
    console.print(table)
    if not rows:
        console.print("[dim]no rows[/dim]")


def print_object(obj: Mapping[str, Any], fmt: OutputFormat, *, title: str | None = None) -> None:
    """Print one record: key/value table for people, an object for JSON."""
    if fmt is OutputFormat.json:
        print_json(obj)
        return
    rows = [{"field": k, "value": v} for k, v in obj.items()]
    print_rows(rows, fmt, title=title, columns=["field", "value"])


def progress_bar(label: str, *, show: bool, transient: bool = False) -> Any:
    """A bar with a count and the elapsed time, on stderr (stdout stays clean for
    ``--format json``); ``show=False`` disables it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=not show,
        transient=transient,
    )
