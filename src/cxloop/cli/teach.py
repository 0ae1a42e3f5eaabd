"""``cxloop text teach|correct|uncertain|models``: the engine learns from its users."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_object, print_rows
from cxloop.errors import InputError

if TYPE_CHECKING:
    from cxloop.text.backends.base import TextBackend

models_app = typer.Typer(help="Versions of the workspace's taught models.", no_args_is_help=True)


#: ``--backend`` of the teaching commands: the workspace's own by default.
BackendOption = typer.Option(
    None,
    "--backend",
    help="backend whose features the model learns on (default: the workspace's "
    "text_backend, with its text_adapted file)",
)


def _base_backend(ctx: typer.Context, name: str | None) -> TextBackend:
    """The backend 'cxloop enrich' uses in this workspace (or ``name``), adapted file
    included: taught heads are fitted on the base they will be applied to."""
    from cxloop.text.enrich import workspace_backend
    from cxloop.text.pipeline import resolve_backend

    return resolve_backend(workspace_backend(state(ctx).settings, name))


def _check_task(task: str) -> str:
    if task not in ("sentiment", "themes"):
        raise InputError(f"unknown task '{task}'", hint="use --task sentiment or --task themes")
    return task


def teach_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV, TSV, JSONL, Parquet or xlsx with labelled texts"),
    text_column: str = typer.Option(..., "--text-column", help="column with the text"),
    label_column: str = typer.Option(..., "--label-column", help="column with the label"),
    task: str = typer.Option(..., help="sentiment (negative|neutral|positive) or themes"),
    backend: str | None = BackendOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """Teach the workspace's model from labelled examples; a new version becomes active.

    Theme labels are taxonomy theme names (several separated by ';'). Run 'cxloop enrich'
    afterwards to re-score feedback with the new version.

    Example: cxloop text teach labels.csv --text-column comment --label-column label
    --task sentiment
    """
    from cxloop.text.learning import read_labelled_file, teach

    examples = read_labelled_file(file, text_column, label_column)
    base = _base_backend(ctx, backend)
    with console.status(f"teaching {len(examples)} examples..."):
        result = teach(
            state(ctx).engine, examples, _check_task(task), backend_name=base.name, backend=base
        )
    print_object(result, fmt, title="new model version")


def correct_cmd(
    ctx: typer.Context,
    feedback_id: int = typer.Argument(..., help="id of the feedback to correct"),
    sentiment: str | None = typer.Option(None, help="the right sentiment label"),
    add_theme: list[str] = typer.Option([], "--add-theme", help="a theme that applies"),
    remove_theme: list[str] = typer.Option([], "--remove-theme", help="a theme that does not"),
    backend: str | None = BackendOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """Correct one feedback item's sentiment or themes; the correction always wins.

    Example: cxloop text correct 1042 --sentiment negative --add-theme Delivery
    """
    from cxloop.text.learning import correct_feedback

    base = _base_backend(ctx, backend)
    result = correct_feedback(
        state(ctx).engine,
        feedback_id,
        sentiment=sentiment,
        add_themes=add_theme,
        remove_themes=remove_theme,
        backend_name=base.name,
        backend=base,
    )
    print_object(result, fmt, title="correction")


def uncertain_cmd(
    ctx: typer.Context,
    task: str = typer.Option("sentiment", help="sentiment or themes"),
    n: int = typer.Option(50, "--n", help="how many examples to return"),
    backend: str | None = BackendOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """The feedback whose labels would teach the model the most (active learning).

    Label them (e.g. in the CSV this writes with --format csv) and feed them to 'text teach'.
    Example: cxloop text uncertain --task sentiment --n 50 --format csv > to_label.csv
    """
    from cxloop.text.learning import uncertain_examples
    from cxloop.text.model_registry import wrap_backend

    engine = state(ctx).engine
    base = _base_backend(ctx, backend)
    rows = uncertain_examples(engine, _check_task(task), n, backend=wrap_backend(engine, base))
    print_rows(
        rows,
        fmt,
        title=f"most informative {task} examples",
        envelope={"analysis": "uncertain", "params": {"task": task, "n": n}},
    )


@models_app.command("list")
def models_list(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
    """All taught versions and which is active. Example: cxloop text models list --format json"""
    from cxloop.storage.db import transaction
    from cxloop.text.model_registry import list_versions

    with transaction(state(ctx).engine) as session:
        rows = list_versions(session)
    print_rows(rows, fmt, title="taught models")


@models_app.command("use")
def models_use(
    ctx: typer.Context,
    version: str = typer.Argument(..., help="version to activate, or 'base' for none"),
    task: str = typer.Option(..., help="sentiment or themes"),
) -> None:
    """Activate a version (re-enrichment then redoes what another version scored).

    Example: cxloop text models use v2 --task sentiment
    """
    from cxloop.storage.db import transaction
    from cxloop.text.model_registry import use_version

    with transaction(state(ctx).engine) as session:
        use_version(session, _check_task(task), None if version == "base" else version)
    console.print(f"{task}: {version} is active; run 'cxloop enrich' to re-score")


@models_app.command("rollback")
def models_rollback(
    ctx: typer.Context, task: str = typer.Option(..., help="sentiment or themes")
) -> None:
    """Go back to the previous version. Example: cxloop text models rollback --task themes"""
    from cxloop.storage.db import transaction
    from cxloop.text.model_registry import rollback

    with transaction(state(ctx).engine) as session:
        target = rollback(session, _check_task(task))
    console.print(f"{task}: {target or 'the out-of-the-box model'} is active; run 'cxloop enrich'")


def register(app: typer.Typer) -> None:
    from cxloop.cli.text import text_app

    text_app.command("teach")(teach_cmd)
    text_app.command("correct")(correct_cmd)
    text_app.command("uncertain")(uncertain_cmd)
    text_app.add_typer(models_app, name="models")
