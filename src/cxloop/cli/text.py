"""``cxloop text``: try the text engine on a file, without a workspace.

``text_app`` is shared: other modules add their commands to it (``teach``, ``uncertain``,
``models``), so it is defined here and imported by them.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cxloop.cli.output import FormatOption, OutputFormat, err_console, print_object

text_app = typer.Typer(
    help="The text engine: score a file, teach and inspect models.", no_args_is_help=True
)


@text_app.command("score")
def score(
    input_file: Path = typer.Argument(
        ..., metavar="INPUT", help="CSV, TSV, JSONL, JSON, Parquet or XLSX"
    ),
    text_column: str = typer.Option(..., "--text-column", "-t", help="column holding the text"),
    output: Path = typer.Option(..., "--output", "-o", help="OUT.csv (or .tsv, .jsonl, .parquet)"),
    taxonomy: Path | None = typer.Option(
        None, "--taxonomy", help="theme taxonomy YAML (default: the built-in CX taxonomy)"
    ),
    journey: Path | None = typer.Option(
        None, "--journey", help="journey YAML (default: the built-in journey)"
    ),
    backend: str = typer.Option("fast", "--backend", "-b", help="fast or embedding"),
    title_column: str | None = typer.Option(None, "--title-column", help="optional title column"),
    channel_column: str | None = typer.Option(
        None, "--channel-column", help="optional channel/survey column (places the journey)"
    ),
    redact: bool = typer.Option(
        False, "--redact", help="replace the text column with its PII-redacted version"
    ),
    workers: int = typer.Option(
        0,
        "--workers",
        "-w",
        min=0,
        help="processes to score on (0 = automatic: every core for fast, 1 for embedding)",
    ),
    cache: bool = typer.Option(
        True, "--cache/--no-cache", help="reuse the warmed-up engine from ~/.cache/cxloop"
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Score every row of a file and write it back with sentiment, themes, journey and signals.

    Appends sentiment_label, sentiment_score, themes (';', highest confidence first),
    theme_sentiments (name:label;...), journey_stage, touchpoint, signals and language to all
    input columns. No database needed.

    Example: cxloop text score reviews.csv --text-column comment --output scored.csv
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from cxloop.text.engine_cache import user_cache_dir
    from cxloop.text.journey import load_journey_file
    from cxloop.text.score import score_file
    from cxloop.text.taxonomy import load_taxonomy_file

    if workers == 0:
        from cxloop.text.pipeline import auto_workers

        # About 100 bytes per row of a feedback export: enough to skip workers on small files.
        size = input_file.stat().st_size if input_file.is_file() else 0
        workers = auto_workers(backend, size // 100)
    themes = load_taxonomy_file(taxonomy).themes if taxonomy else None
    journey_def = load_journey_file(journey) if journey else None
    progress = Progress(
        TextColumn("scoring"),
        SpinnerColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=err_console,
        disable=fmt is not OutputFormat.table,
        transient=True,
    )
    task = progress.add_task("score", total=None)
    with progress:
        result = score_file(
            input_file,
            text_column,
            output,
            backend=backend,
            taxonomy=themes,
            journey=journey_def,
            title_column=title_column,
            channel_column=channel_column,
            redact_text=redact,
            workers=workers,
            cache_dir=user_cache_dir() if cache else None,
            on_rows=lambda n: progress.advance(task, n),
        )
    if fmt is OutputFormat.table:
        err_console.print(
            f"[green]scored {result.rows:,} rows[/green] in {result.seconds:.1f}s "
            f"({result.per_second:,.0f}/s, backend {result.backend}) -> {result.output}"
        )
        return
    print_object(
        {
            "input": result.input,
            "output": result.output,
            "rows": result.rows,
            "backend": result.backend,
            "model_version": result.model_version,
            "workers": result.workers,
            "seconds": round(result.seconds, 3),
            "per_second": round(result.per_second, 1),
        },
        fmt,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(text_app, name="text")
