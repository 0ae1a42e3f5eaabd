"""``cxloop init``, ``cxloop db upgrade|current`` and ``cxloop config``."""

from __future__ import annotations

import typer
from rich.markup import escape

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_object
from cxloop.storage.db import current_revision, upgrade

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


def init(ctx: typer.Context) -> None:
    """Create the workspace folder and database, and bring the schema up to date.

    Example: cxloop init   (then: cxloop demo, or cxloop ingest my_survey.csv --kind feedback)
    """
    st = state(ctx)
    st.settings.home.mkdir(parents=True, exist_ok=True)
    engine = st.raw_engine()
    upgrade(engine)
    console.print(
        f"[green]workspace ready[/green] at {escape(str(st.settings.home))} "
        f"(schema {current_revision(engine)})"
    )


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, revision: str = typer.Argument("head")) -> None:
    """Apply pending migrations. Example: cxloop db upgrade"""
    engine = state(ctx).raw_engine()
    upgrade(engine, revision)
    if revision == "head":
        from cxloop.ingest.store import ensure_secondary_indexes

        with engine.begin() as conn:  # rebuild indexes a killed bulk load left dropped
            ensure_secondary_indexes(conn)
    console.print(f"schema at {current_revision(engine)}")


@db_app.command("current")
def db_current(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
    """Show the schema revision. Example: cxloop db current --format json"""
    print_object({"revision": current_revision(state(ctx).raw_engine())}, fmt)


def config_show(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
    """Show the effective settings, secrets masked. Example: cxloop config --format json"""
    st = state(ctx)
    data = st.settings.redacted()
    data["resolved_database_url"] = st.settings.redacted().get("database_url") or (
        st.settings.resolved_database_url
    )
    print_object(data, fmt, title="settings")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("config")(config_show)
    app.add_typer(db_app, name="db")
