"""``cxloop text``: try the text engine on a file, without a workspace.

``text_app`` is shared: other modules add their commands to it (``teach``, ``uncertain``,
``models``), so it is defined here and imported by them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

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
    adapted: Path | None = typer.Option(
        None,
        "--adapted",
        help="the model file made by 'cxloop text adapt' (either backend; "
        "default: $CXLOOP_TEXT_ADAPTED, else the shipped models)",
    ),
    model_path: Path | None = typer.Option(
        None,
        "--model-path",
        help="your own local sentence-transformers model folder for --backend embedding "
        "(default: $CXLOOP_TEXT_MODEL_PATH, else the bundled all-MiniLM-L6-v2)",
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Score every row of a file and write it back with sentiment, themes, journey and signals.

    Appends sentiment_label, sentiment_score, themes (';', highest confidence first),
    theme_sentiments (name:label;...), journey_stage, touchpoint, signals and language to all
    input columns. No database needed.

    Example: cxloop text score reviews.csv --text-column comment --output scored.csv

    With your own model: cxloop text score reviews.csv -t comment -o scored.csv
    --backend embedding --model-path /models/my-minilm
    """
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    from cxloop.text.engine_cache import user_cache_dir
    from cxloop.text.journey import load_journey_file
    from cxloop.text.pipeline import BackendChoice
    from cxloop.text.score import score_file
    from cxloop.text.taxonomy import load_taxonomy_file

    if model_path is not None and backend != "embedding":
        from cxloop.errors import InputError

        raise InputError(
            "--model-path is the transformer model of the embedding backend",
            hint="add --backend embedding, or leave --model-path out",
        )
    if workers == 0:
        from cxloop.text.pipeline import auto_workers

        # About 100 bytes per row of a feedback export: enough to skip workers on small files.
        size = input_file.stat().st_size if input_file.is_file() else 0
        workers = auto_workers(backend, size // 100)
    themes = load_taxonomy_file(taxonomy).themes if taxonomy else None
    journey_def = load_journey_file(journey) if journey else None
    progress = _progress(
        fmt,
        TextColumn("scoring"),
        SpinnerColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
    )
    task = progress.add_task("score", total=None)
    with progress:
        result = score_file(
            input_file,
            text_column,
            output,
            backend=BackendChoice.of(
                backend,
                adapted=str(adapted.expanduser().resolve()) if adapted else None,
                model_path=str(model_path.expanduser().resolve()) if model_path else None,
            ),
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
            f"({result.per_second:,.0f}/s, backend {result.backend}) -> "
            f"{escape(str(result.output))}"
        )
        if result.rejected:
            err_console.print(
                f"[yellow]{result.rejected:,} line(s) could not be read as rows and were not "
                f"scored[/yellow] ({escape(result.rejected_summary)}). They are kept in "
                f"{escape(str(result.rejected_file))}: mend them and score that file again.",
                soft_wrap=True,
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
            "rejected": result.rejected,
            "rejected_file": result.rejected_file,
        },
        fmt,
    )


@text_app.command("adapt")
def adapt(
    ctx: typer.Context,
    input_file: Path | None = typer.Argument(
        None,
        metavar="[INPUT]",
        help="your comments: CSV, TSV, JSONL, JSON, Parquet or XLSX (or use --workspace)",
    ),
    text_column: str | None = typer.Option(
        None, "--text-column", "-t", help="column holding the text (with INPUT)"
    ),
    workspace: bool = typer.Option(
        False, "--workspace", help="adapt on the workspace's own feedback instead of a file"
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="the adapted model file to write (default with --workspace: "
        "$CXLOOP_HOME/models/adapted.npz)",
    ),
    sample: int = typer.Option(
        20_000, "--sample", min=1, help="at most this many distinct texts (random, seed 0)"
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Teach both backends on your own comments, once (no labels needed).

    The fast backend's themes are fitted towards MiniLM's reading of your comments and its
    sentiment towards the embedding backend's; then the embedding backend's sentiment learns
    back from the taught fast backend. Afterwards fast scores at its usual speed. Needs
    the embedding extra (torch) for this run: 10,000 short comments take about a minute on
    2 cores. Use the result with --adapted FILE on
    'text score', or export CXLOOP_TEXT_ADAPTED=FILE for every command (enrich included).

    With --workspace it reads the workspace's feedback and writes the file into the
    workspace; set text_adapted = "FILE" in $CXLOOP_HOME/cxloop.toml and 'cxloop enrich'
    uses it (the model version changes, so feedback is enriched again).

    Example: cxloop text adapt comments.csv --text-column comment --output adapted.npz
    """
    from cxloop.errors import InputError
    from cxloop.text.adapt import adapt_to_comments

    if workspace == (input_file is not None):
        raise InputError(
            "give either INPUT with --text-column, or --workspace",
            hint="cxloop text adapt comments.csv -t comment -o adapted.npz",
        )
    if workspace:
        from cxloop.cli.context import state
        from cxloop.text.adapt import workspace_texts

        st = state(ctx)
        texts = workspace_texts(st.engine)
        toml_file = str(st.settings.home / "cxloop.toml")
        output = output or st.settings.home / "models" / "adapted.npz"
    else:
        assert input_file is not None
        if text_column is None or output is None:
            raise InputError(
                "INPUT needs --text-column and --output",
                hint="cxloop text adapt comments.csv -t comment -o adapted.npz",
            )
        texts = _column_texts(input_file, text_column)
        toml_file = "$CXLOOP_HOME/cxloop.toml"
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = _progress(
        fmt,
        TextColumn("reading comments with MiniLM"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    task = bar.add_task("adapt", total=None)
    with bar:
        report = adapt_to_comments(
            texts,
            output,
            sample=sample,
            on_progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    use = (
        f'use it: add text_adapted = "{report.output}" to {toml_file}, then run cxloop enrich'
        if workspace
        else f"use it: cxloop text score ... --adapted {report.output}  "
        f"(or export CXLOOP_TEXT_ADAPTED={report.output})"
    )
    if fmt is OutputFormat.table:
        err_console.print(
            f"[green]adapted both backends to {report.texts:,} comments[/green] -> "
            f"{escape(str(report.output))}\n"
            f"on {report.held_out:,} held-out comments: themes' closeness to MiniLM (mean "
            f"cosine) {report.cosine_before:.3f} -> {report.cosine_after:.3f}; sentiment "
            f"agreeing with the embedding backend {report.agreement_before:.1%} -> "
            f"{report.agreement_after:.1%}\n" + use
        )
        return
    print_object(
        {
            "output": report.output,
            "texts": report.texts,
            "held_out": report.held_out,
            "cosine_before": round(report.cosine_before, 4),
            "cosine_after": round(report.cosine_after, 4),
            "agreement_before": round(report.agreement_before, 4),
            "agreement_after": round(report.agreement_after, 4),
        },
        fmt,
    )


def _progress(fmt: OutputFormat, *columns: Any) -> Any:
    """A transient progress display on stderr, shown only with table output (JSON and CSV
    output stay clean for pipes)."""
    from rich.progress import Progress

    return Progress(
        *columns, console=err_console, disable=fmt is not OutputFormat.table, transient=True
    )


def _column_texts(input_file: Path, text_column: str) -> list[str | None]:
    from cxloop.text.score import require_columns
    from cxloop.text.score_input import Rejected, read_chunks

    texts: list[str | None] = []
    rejected = Rejected()
    for frame in read_chunks(input_file, 50_000, rejected):
        require_columns(list(frame.columns), (text_column,), input_file.name)
        texts += [v if isinstance(v, str) else None for v in frame[text_column].tolist()]
    if rejected.lines:
        err_console.print(
            f"[yellow]skipped {len(rejected.lines):,} line(s) of {escape(input_file.name)} "
            f"that are not rows[/yellow] ({escape(rejected.summary())})",
            soft_wrap=True,
        )
    return texts


def register(app: typer.Typer) -> None:
    app.add_typer(text_app, name="text")
