"""``cxloop actions create|list|show|impact|status|milestone-done``: plans and their effect."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.markup import escape

from cxloop.cli.context import state
from cxloop.cli.output import (
    FormatOption,
    OutputFormat,
    console,
    print_json,
    print_object,
    print_rows,
)
from cxloop.plans import initiatives as service
from cxloop.plans.impact import MIN_PER_CELL
from cxloop.storage.db import transaction

actions_app = typer.Typer(
    help="Action plans (initiatives) with owners, targets and measured impact.",
    no_args_is_help=True,
)


@actions_app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="short name of the initiative"),
    owner: str = typer.Option(..., help="who owns it (e-mail or name)"),
    start: datetime = typer.Option(..., help="start date (YYYY-MM-DD): the before/after split"),
    metric: str = typer.Option("nps", help="outcome metric: nps, csat, ces, rating, sentiment"),
    theme: list[str] = typer.Option([], help="linked theme (repeat for several)"),
    stage: list[str] = typer.Option([], help="linked journey stage (repeat)"),
    segment: list[str] = typer.Option([], help="linked customer segment (repeat)"),
    description: str | None = typer.Option(None, help="what will be done"),
    baseline: float | None = typer.Option(None, help="the metric's value before the start"),
    target: float | None = typer.Option(None, help="the value the initiative aims for"),
    milestone: list[str] = typer.Option([], help='milestone "NAME:YYYY-MM-DD" (repeat)'),
    status: str = typer.Option("active", help="planned, active, done or cancelled"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Create an initiative linked to the themes, stages or segments it should improve.

    Example: cxloop actions create "New carrier" --owner ops@shop.example --start 2026-03-01
    --theme Delivery --metric nps --baseline 12 --target 25 --milestone "Contract signed:2026-02-15"
    """
    with transaction(state(ctx).engine) as session:
        initiative = service.create_initiative(
            session,
            name=name,
            owner=owner,
            start_date=start.date(),
            outcome_metric=metric,
            description=description,
            themes=theme,
            stages=stage,
            segments=segment,
            baseline=baseline,
            target=target,
            milestones=milestone,
            status=status,
        )
        summary = service.initiative_summary(session, initiative)
    print_object(summary, fmt, title=f"initiative {summary['id']} created")


@actions_app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: str | None = typer.Option(None, help="only this status"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List initiatives. Example: cxloop actions list --status active"""
    with transaction(state(ctx).engine) as session:
        rows = [
            {
                "id": i.id,
                "name": i.name,
                "owner": i.owner,
                "status": i.status,
                "metric": i.outcome_metric,
                "baseline": i.baseline,
                "target": i.target,
                "start": i.start_date,
                "links": ", ".join([*i.themes, *i.stages, *i.segments]),
            }
            for i in service.list_initiatives(session, status)
        ]
    print_rows(rows, fmt, title="initiatives")


@actions_app.command("show")
def show(ctx: typer.Context, initiative_id: int, fmt: OutputFormat = FormatOption) -> None:
    """Show one initiative with its milestones. Example: cxloop actions show 1"""
    with transaction(state(ctx).engine) as session:
        summary = service.initiative_summary(
            session, service.get_initiative(session, initiative_id)
        )
    print_object(summary, fmt, title=summary["name"])


@actions_app.command("status")
def status_cmd(ctx: typer.Context, initiative_id: int, status: str) -> None:
    """Change the status (planned, active, done, cancelled).

    Example: cxloop actions status 1 done
    """
    with transaction(state(ctx).engine) as session:
        service.set_status(session, service.get_initiative(session, initiative_id), status)
    console.print(f"initiative {initiative_id} is now {status}")


@actions_app.command("milestone-done")
def milestone_done(ctx: typer.Context, initiative_id: int, name: str) -> None:
    """Mark a milestone done. Example: cxloop actions milestone-done 1 "Contract signed\""""
    with transaction(state(ctx).engine) as session:
        service.get_initiative(session, initiative_id)
        service.complete_milestone(session, initiative_id, name)
    console.print(f"milestone {escape(repr(name))} done")


@actions_app.command("impact")
def impact(
    ctx: typer.Context,
    initiative_id: int,
    pre_days: int = typer.Option(90, "--before-days", help="days before the start to compare"),
    post_days: int = typer.Option(90, "--after-days", help="days after the start to measure"),
    min_n: int = typer.Option(MIN_PER_CELL, help="fewest responses per group and period"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Estimate the effect on the outcome: difference-in-differences with a 95% interval.

    Feedback touching the initiative's links is compared before/after the start with feedback
    touching none of them. Says plainly when there is not enough data yet.
    Example: cxloop actions impact 1 --after-days 60
    """
    engine = state(ctx).engine
    with transaction(engine) as session:
        initiative = service.get_initiative(session, initiative_id)
        name = initiative.name
        result = service.estimate_impact(
            engine, initiative, pre_days=pre_days, post_days=post_days, min_per_cell=min_n
        )
    doc = {"initiative": initiative_id, "name": name, **result.as_dict()}
    if fmt is not OutputFormat.table:
        if fmt is OutputFormat.json:
            print_json(doc)
        else:
            print_rows(result.cells, fmt)
        return
    console.print(f"[bold]{escape(name)}[/bold] — {escape(result.metric)}, {escape(result.method)}")
    console.print(f"before: {result.window.get('before')}   after: {result.window.get('after')}")
    print_rows(result.cells, fmt, title="cells", columns=["group", "period", "n", "mean"])
    if result.status != "estimated":
        console.print(f"[yellow]{escape(result.reason or result.status)}[/yellow]")
        return
    console.print(
        f"effect: [bold]{result.effect:+.2f}[/bold] {result.metric} "
        f"(95% CI {result.ci_low:+.2f} to {result.ci_high:+.2f}, p={result.p_value:.3g}) — "
        f"{result.verdict}"
    )
    if result.pre_trend_p_value is not None and result.pre_trend_p_value < 0.05:
        console.print(
            "[yellow]caution: the groups already trended differently before the start "
            f"(p={result.pre_trend_p_value:.3g}); the estimate may be biased[/yellow]"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(actions_app, name="actions")
