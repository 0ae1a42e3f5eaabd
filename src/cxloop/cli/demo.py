"""``cxloop demo``: build a believable demo company with planted effects in the workspace."""

from __future__ import annotations

import typer

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_json, progress_bar
from cxloop.demo import planted
from cxloop.demo.build import build_demo, ingest_demo_files
from cxloop.storage.db import upgrade


def demo(
    ctx: typer.Context,
    customers: int = typer.Option(
        planted.DEFAULT_CUSTOMERS, "--customers", "-c", help="number of customers"
    ),
    feedback: int = typer.Option(
        planted.DEFAULT_FEEDBACK, "--feedback", "-n", help="number of feedback items"
    ),
    seed: int = typer.Option(
        planted.DEFAULT_SEED, "--seed", help="random seed; the same seed gives the same data"
    ),
    ingest: bool = typer.Option(
        True, "--ingest/--files-only", help="load the files, or only write them"
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Generate the Larkwood Home demo company and load it through normal ingestion.

    Writes customers.csv, metrics.csv and one CSV per feedback source (NPS survey, delivery
    CSAT, support CES, product reviews, app-store reviews, social posts, support tickets) to
    $CXLOOP_HOME/demo/, then ingests them. Effects are planted on purpose (a key driver, a
    one-week spike, a segment that needs a different experience, a churn problem that shows in
    sales later, an undefined theme); see docs/demo.md. Re-running with the same seed changes
    nothing.

    Example: cxloop demo --customers 4000 --feedback 20000 --seed 7 --format json
    """
    st = state(ctx)
    st.settings.home.mkdir(parents=True, exist_ok=True)
    engine = st.raw_engine()
    if ingest:
        upgrade(engine)
    show = fmt is not OutputFormat.json
    bar = progress_bar("[bold]demo[/bold] {task.description}", show=show)
    tasks = {
        "customers": bar.add_task("customers", total=customers),
        "feedback": bar.add_task("feedback", total=feedback),
    }

    def advance(kind: str, n: int) -> None:
        bar.advance(tasks[kind], n)

    with bar:
        result = build_demo(
            None,
            st.settings.home / "demo",
            customers=customers,
            feedback=feedback,
            seed=seed,
            on_progress=advance,
        )
    if ingest:
        ingest_demo_files(engine, result, progress=show)
    data = result.as_dict()
    if fmt is OutputFormat.json:
        print_json(data)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"demo company (seed {seed}) in {data['folder']}"))
    cols = ["kind", "source", "rows", "inserted", "updated", "unchanged", "quarantined"]
    for col in cols:
        table.add_column(col)
    for row in data["files"]:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in cols))
    console.print(table)
    console.print(
        f"generated in {data['generate_seconds']}s, loaded in {data['ingest_seconds']}s. "
        "Planted effects:"
    )
    for effect in data["planted"]:
        console.print(f"  • [bold]{effect['effect']}[/bold]: {effect['detail']}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
