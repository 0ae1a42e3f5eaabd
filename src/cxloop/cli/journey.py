"""``cxloop journey show|import|export``: the workspace's customer journey definition."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_json, print_rows

journey_app = typer.Typer(
    help="The customer journey: stages in order and their touchpoints.", no_args_is_help=True
)


@journey_app.command("show")
def show(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
    """Show the stages and touchpoints in order.

    Example: cxloop journey show --format json
    """
    from cxloop.text.journey import load_journey

    journey = load_journey(state(ctx).engine)
    if fmt is OutputFormat.json:
        print_json(journey.to_dict())
        return
    rows = [
        {
            "order": i,
            "stage": stage.name,
            "touchpoint": tp.name,
            "keywords": ", ".join(tp.keywords),
            "themes": ", ".join(tp.themes),
        }
        for i, stage in enumerate(journey.stages, start=1)
        for tp in stage.touchpoints or ()
    ]
    print_rows(rows, fmt, title="journey")


@journey_app.command("import")
def import_cmd(ctx: typer.Context, file: Path = typer.Argument(..., help="journey YAML")) -> None:
    """Replace the workspace's journey with a YAML file.

    Example: cxloop journey import journey.yaml
    """
    from cxloop.text.journey import load_journey_file, save_journey

    journey = load_journey_file(file)
    save_journey(state(ctx).engine, journey)
    console.print(
        f"[green]journey saved[/green]: {len(journey.stages)} stages. "
        "Run 'cxloop enrich' to place feedback on it."
    )


@journey_app.command("export")
def export_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(Path("-"), help="output YAML file, or - for the screen"),
) -> None:
    """Write the journey as YAML (edit it, then import it again).

    Example: cxloop journey export journey.yaml
    """
    from cxloop.text.journey import journey_to_yaml, load_journey

    text = journey_to_yaml(load_journey(state(ctx).engine))
    if str(file) == "-":
        sys.stdout.write(text)
        return
    file.write_text(text, encoding="utf-8")
    console.print(f"journey written to {escape(str(file))}")


def register(app: typer.Typer) -> None:
    app.add_typer(journey_app, name="journey")
