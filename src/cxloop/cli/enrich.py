"""``cxloop enrich``: run the text engine over the workspace's feedback, incrementally."""

from __future__ import annotations

import typer

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, print_object


def enrich(
    ctx: typer.Context,
    backend: str | None = typer.Option(
        None, "--backend", "-b", help="fast or embedding (default: the workspace setting)"
    ),
    workers: int = typer.Option(
        0,
        "--workers",
        "-w",
        min=0,
        help="processes to analyse on (0 = automatic: every core for fast, 1 for embedding)",
    ),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="feedback per transaction"),
    limit: int | None = typer.Option(None, "--limit", min=1, help="stop after this many"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Enrich feedback that is new, changed, or enriched by an older model version.

    Stores language, sentences, sentiment, themes with aspect sentiment, journey stage and
    touchpoint, signals and redacted text. Safe to interrupt: run it again to continue.

    Example: cxloop enrich --workers 2
    """
    from cxloop.text.enrich import enrich_workspace

    st = state(ctx)
    result = enrich_workspace(
        st.engine,
        st.settings,
        backend,
        workers=workers,
        progress=fmt is OutputFormat.table,
        batch_size=batch_size,
        limit=limit,
    )
    print_object(
        {
            "backend": result.backend,
            "model_version": result.model_version,
            "feedback": result.total_feedback,
            "pending": result.pending,
            "enriched": result.enriched,
            "themes_assigned": result.themes_assigned,
            "workers": result.workers,
            "seconds": round(result.seconds, 2),
            "per_second": round(result.per_second, 1),
        },
        fmt,
        title="enrichment",
    )


def register(app: typer.Typer) -> None:
    app.command("enrich")(enrich)
