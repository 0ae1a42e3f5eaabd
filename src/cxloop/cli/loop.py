"""``cxloop loop run`` (evaluate rules) and ``cxloop loop tick`` (SLA timers)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.progress import Progress

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_json, print_rows
from cxloop.errors import InputError
from cxloop.loop.engine import auto_run_enabled, run_rules, set_auto_run
from cxloop.loop.sla import run_timers, system_clock
from cxloop.storage.db import transaction

loop_app = typer.Typer(help="Run the closed loop: rules and SLA timers.", no_args_is_help=True)


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--now {value!r} is not a time like 2026-03-02T17:00:00Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@loop_app.command("run")
def run(
    ctx: typer.Context,
    everything: bool = typer.Option(False, "--all", help="evaluate all feedback, not only new"),
    rule: list[str] = typer.Option([], "--rule", help="only this rule (repeatable)"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Evaluate rules on new or re-enriched feedback and act on new matches.

    Example: cxloop loop run
    """
    with transaction(state(ctx).engine) as s, Progress(console=console, transient=True) as bar:
        task = bar.add_task("rules", total=None)
        result = run_rules(
            s,
            everything=everything,
            rule_names=rule or None,
            progress=lambda name: bar.update(task, description=f"rule {name}", advance=1),
        )
    rows = [vars(r) for r in result.rules]
    if not rows and fmt is OutputFormat.table:
        console.print("no enabled rules; import some with: cxloop rules import rules.yaml")
        return
    if fmt is OutputFormat.json:
        print_json(
            {
                "scope": result.scope,
                "evaluated": result.evaluated,
                "cases_opened": result.cases_opened,
                "seconds": result.seconds,
                "rows": rows,
            }
        )
        return
    print_rows(rows, fmt, title=f"{result.evaluated} feedback items ({result.scope})")
    if fmt is OutputFormat.table:
        console.print(f"{result.cases_opened} cases opened in {result.seconds['total']:.2f} s")


@loop_app.command("tick")
def tick(
    ctx: typer.Context,
    now: str | None = typer.Option(None, "--now", help="pretend it is this UTC time (testing)"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Run the SLA timers: escalate breached cases to their team manager.

    Example: cxloop loop tick
    """
    at = _parse_now(now)
    with transaction(state(ctx).engine) as s:
        result = run_timers(s, clock=(lambda: at) if at else system_clock)
    print_rows(result.escalated, fmt, title=f"escalations at {result.now:%Y-%m-%d %H:%M} UTC")


@loop_app.command("auto")
def auto(
    ctx: typer.Context,
    on: bool | None = typer.Option(None, "--on/--off", help="switch automatic runs on or off"),
) -> None:
    """Evaluate rules right after ingestion and enrichment (or show the setting).

    Example: cxloop loop auto --on
    """
    with transaction(state(ctx).engine) as s:
        if on is not None:
            set_auto_run(s, on)
        enabled = auto_run_enabled(s)
    console.print(f"automatic rule runs after ingest/enrich: {'on' if enabled else 'off'}")


def register(app: typer.Typer) -> None:
    app.add_typer(loop_app, name="loop")
