"""``cxloop plan set|show|gaps``: the CX plan and the gap to the desired experience."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import typer
import yaml

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_object, print_rows
from cxloop.errors import InputError
from cxloop.plans.cxplan import get_plan, parse_target, plan_gaps, set_plan, specs_from_document
from cxloop.storage.db import transaction

plan_app = typer.Typer(
    help="The CX plan: objectives, target segments, stage targets.", no_args_is_help=True
)


@plan_app.command("set")
def set_cmd(
    ctx: typer.Context,
    from_file: Path | None = typer.Option(None, "--from", help="YAML plan file"),
    objective: list[str] = typer.Option([], help="an objective (repeat; replaces the list)"),
    segment: list[str] = typer.Option([], help="a target segment (repeat; replaces the list)"),
    target: list[str] = typer.Option([], help='stage target "STAGE:METRIC=VALUE" (repeat)'),
    replace: bool = typer.Option(False, help="drop stage targets not given here"),
) -> None:
    """Set the CX plan from options or a YAML file; stage targets are added or updated.

    YAML: {objectives: [...], target_segments: [...], stages: {Delivery: {nps: 30}}}
    Example: cxloop plan set --objective "Be the easiest shop to buy from" --segment SMB
    --target "Delivery:nps=30" --target "Support:csat=4.3"
    """
    objectives = list(objective) or None
    segments = list(segment) or None
    specs = [parse_target(t) for t in target]
    if from_file is not None:
        try:
            doc = yaml.safe_load(from_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"cannot read {from_file}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise InputError(f"{from_file} is not valid YAML: {exc}") from exc
        file_objectives, file_segments, file_specs = specs_from_document(doc or {})
        objectives = objectives or file_objectives
        segments = segments or file_segments
        specs = file_specs + specs
    if objectives is None and segments is None and not specs:
        raise InputError("nothing to set", hint="pass --objective, --segment, --target or --from")
    with transaction(state(ctx).engine) as session:
        set_plan(
            session,
            objectives=objectives,
            target_segments=segments,
            targets=specs,
            replace_targets=replace,
        )
    console.print(f"CX plan saved ({len(specs)} stage target(s) given)")


@plan_app.command("show")
def show(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
    """Show the CX plan. Example: cxloop plan show --format json"""
    with transaction(state(ctx).engine) as session:
        plan, targets = get_plan(session)
        doc: dict[str, Any] = {
            "objectives": plan.objectives,
            "target_segments": plan.target_segments,
            "stage_targets": [
                {
                    "stage": t.stage,
                    "metric": t.metric,
                    "target": t.target,
                    "description": t.description,
                }
                for t in targets
            ],
        }
    if fmt is OutputFormat.table:
        print_object(
            {"objectives": doc["objectives"], "target_segments": doc["target_segments"]},
            fmt,
            title="CX plan",
        )
        print_rows(doc["stage_targets"], fmt, title="desired experience per stage")
    else:
        print_object(doc, fmt)


@plan_app.command("gaps")
def gaps(
    ctx: typer.Context,
    days: int = typer.Option(90, help="measure the last N days of feedback"),
    as_of: datetime | None = typer.Option(
        None, help="end of the window (default: newest feedback)"
    ),
    all_segments: bool = typer.Option(False, help="ignore the plan's target segments"),
    min_n: int = typer.Option(30, help="fewest responses to report a stage"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Gap between the measured experience and the target, per stage, with a 95% interval.

    Example: cxloop plan gaps --days 90 --format json
    """
    engine = state(ctx).engine
    with transaction(engine) as session:
        rows, params = plan_gaps(
            engine, session, days=days, as_of=as_of, all_segments=all_segments, min_n=min_n
        )
    print_rows(
        rows,
        fmt,
        title=f"CX plan gaps ({params['window']}, segments: {params['segments']})",
        envelope={"analysis": "plan_gaps", "params": params},
    )


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
