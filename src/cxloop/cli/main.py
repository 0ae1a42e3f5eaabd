"""The ``cxloop`` program: a root Typer app that each command-group module registers into.

A module in ``COMMAND_MODULES`` exposes ``register(app)``. Errors of the ``CxloopError``
family are printed as one readable message (and a hint) with a non-zero exit code.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

import typer
from rich.markup import escape
from typer.exceptions import TyperException

from cxloop import __version__
from cxloop.cli.context import CliState
from cxloop.cli.output import err_console
from cxloop.config import Settings
from cxloop.errors import CxloopError

#: Command-group modules under ``cxloop.cli``, in help order. Missing modules are skipped so
#: capabilities can land one at a time.
COMMAND_MODULES = (
    "workspace",
    "ingest",
    "quarantine",
    "export",
    "demo",
    "enrich",
    "text",
    "teach",
    "taxonomy",
    "themes",
    "journey",
    "analyze",
    "people",
    "teams",
    "rules",
    "loop",
    "cases",
    "dialogue",
    "outbox",
    "actions",
    "plan",
    "report",
    "serve",
    "tokens",
)

app = typer.Typer(
    name="cxloop",
    help="cxloop — hear every customer, understand the experience, act on it, share it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cxloop {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None, "--home", envvar="CXLOOP_HOME", help="workspace folder (default ./.cxloop)"
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", envvar="CXLOOP_DATABASE_URL", help="SQLAlchemy database URL"
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="log progress details"),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version"
    ),
) -> None:
    """Settings come from options, CXLOOP_* variables and $CXLOOP_HOME/cxloop.toml."""
    overrides: dict[str, object] = {}
    if home is not None:
        overrides["home"] = home
    if database_url:
        overrides["database_url"] = database_url
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    ctx.obj = CliState(settings=Settings(**overrides))  # type: ignore[arg-type]


#: Top-level commands whose module is not named after them, and modules that extend another
#: group (teach adds to ``text``, dialogue to ``cases``).
COMMAND_OWNERS: dict[str, tuple[str, ...]] = {
    "init": ("workspace",),
    "config": ("workspace",),
    "db": ("workspace",),
    "ingest-runs": ("ingest",),
    "ingest-profiles": ("ingest",),
    "users": ("people",),
    "routing": ("teams",),
    "worker": ("outbox",),
    "text": ("text", "teach"),
    "cases": ("cases", "dialogue"),
}


def _modules_for(argv: list[str]) -> tuple[str, ...]:
    """The command modules needed for ``argv``: only the named command's, so a command does
    not pay for importing every capability (statsmodels, torch, ...) at start-up."""
    takes_value = {"--home", "--database-url"}
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in takes_value:
            skip = True
            continue
        if arg.startswith("-"):
            continue
        if arg in COMMAND_OWNERS:
            return COMMAND_OWNERS[arg]
        if arg in COMMAND_MODULES:
            return (arg,)
        break
    else:
        if "--version" in argv:
            return ()
    return COMMAND_MODULES  # help, or an unknown command: show everything


_registered: set[str] = set()


def register_commands(modules: tuple[str, ...] = COMMAND_MODULES) -> None:
    """Import command-group modules (skipping ones not installed) and register them once."""
    for name in modules:
        if name in _registered:
            continue
        full = f"cxloop.cli.{name}"
        try:
            module = importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name == full:
                continue
            raise
        _registered.add(name)
        module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the app with ``argv`` and return the exit code; user errors become a message."""
    import click

    args = sys.argv[1:] if argv is None else argv
    register_commands(_modules_for(args))
    try:
        app(args=args, standalone_mode=False)
    except CxloopError as exc:
        # soft_wrap: a path or field name in the message is never broken across lines
        # escape: a message quoting the user's input ("keywords: [a, b]", a path) is not markup
        err_console.print(f"[bold red]error:[/bold red] {escape(exc.message)}", soft_wrap=True)
        if exc.hint:
            err_console.print(f"[yellow]hint:[/yellow] {escape(exc.hint)}", soft_wrap=True)
        return exc.exit_code
    except (typer.Exit, click.exceptions.Exit) as exc:
        return int(exc.exit_code or 0)
    except (typer.Abort, click.Abort):
        err_console.print("aborted")
        return 130
    except (click.ClickException, TyperException) as exc:
        # Typer vendors its own copy of Click: a mistyped command or a bad option value
        # raises its ClickException (a TyperException), not click's, and had ended in a
        # traceback instead of Click's usage message.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}", soft_wrap=True)
        return int(getattr(exc, "exit_code", 2))
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
