"""``cxloop teams create|list|set-manager|set-hours`` and ``cxloop routing add|list|remove``."""

from __future__ import annotations

import typer
from rich.markup import escape

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_rows
from cxloop.loop import routing
from cxloop.people import teams as people_teams
from cxloop.people.hours import BusinessHours
from cxloop.storage.db import transaction
from cxloop.storage.models.loop import ROUTING_DIMENSIONS
from cxloop.storage.models.people import User

teams_app = typer.Typer(help="Teams: a manager and business hours.", no_args_is_help=True)
routing_app = typer.Typer(
    help="Routing table: theme, journey stage, touchpoint, segment, region or channel -> owner.",
    no_args_is_help=True,
)

HOURS_HELP = "business hours like 'Mon-Fri 09:00-17:00 Europe/Paris' (default 24x7)"


@teams_app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="team name"),
    manager: str | None = typer.Option(None, "--manager", help="manager's e-mail (a user)"),
    hours: str | None = typer.Option(None, "--hours", help=HOURS_HELP),
) -> None:
    """Create a team.

    Example: cxloop teams create logistics --manager boss@example.com
    --hours 'Mon-Fri 09:00-17:00 Europe/Paris'
    """
    parsed = BusinessHours.parse(hours) if hours else None
    with transaction(state(ctx).engine) as s:
        team = people_teams.create_team(s, name, manager_email=manager, hours=parsed)
        console.print(
            f"[green]created[/green] team {escape(team.name)} "
            f"({people_teams.hours_of(team).describe()})"
        )


@teams_app.command("list")
def list_(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
    """List teams. Example: cxloop teams list --format json"""
    with transaction(state(ctx).engine) as s:
        rows = []
        for t in people_teams.list_teams(s):
            manager = s.get(User, t.manager_id) if t.manager_id else None
            members = s.query(User).filter(User.team_id == t.id).count()
            rows.append(
                {
                    "name": t.name,
                    "manager": manager.email if manager else None,
                    "business_hours": people_teams.hours_of(t).describe(),
                    "members": members,
                }
            )
    print_rows(rows, fmt, title="teams")


@teams_app.command("set-manager")
def set_manager(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="team name"),
    manager: str = typer.Argument(..., help="manager's e-mail"),
) -> None:
    """Set the manager SLA breaches escalate to.

    Example: cxloop teams set-manager logistics boss@example.com
    """
    with transaction(state(ctx).engine) as s:
        people_teams.set_manager(s, people_teams.get_team(s, name), manager)
    console.print(f"{escape(manager)} manages {escape(name)}")


@teams_app.command("set-hours")
def set_hours(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="team name"),
    hours: str = typer.Argument(..., help=HOURS_HELP),
) -> None:
    """Set business hours.

    Example: cxloop teams set-hours logistics 'Mon-Fri 08:00-18:00 Europe/Berlin'
    """
    parsed = BusinessHours.parse(hours)
    with transaction(state(ctx).engine) as s:
        people_teams.set_hours(s, people_teams.get_team(s, name), parsed)
    console.print(f"{escape(name)}: {parsed.describe()}")


@routing_app.command("add")
def add(
    ctx: typer.Context,
    dimension: str = typer.Argument(..., help="one of: " + ", ".join(ROUTING_DIMENSIONS)),
    value: str = typer.Argument(..., help="the value, e.g. Delivery or Enterprise"),
    team: str | None = typer.Option(None, "--team", help="owning team"),
    user: str | None = typer.Option(None, "--user", help="owning person (e-mail)"),
    position: int = typer.Option(100, "--position", help="lower wins within a dimension"),
) -> None:
    """Route cases by a value. Example: cxloop routing add theme Delivery --team logistics"""
    with transaction(state(ctx).engine) as s:
        routing.add_route(s, dimension, value, team=team, user=user, position=position)
    console.print(f"routing {escape(dimension)}={escape(value)} -> {escape(user or team or '')}")


@routing_app.command("list")
def list_routes(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
    """Show the routing table in the order it is tried. Example: cxloop routing list"""
    with transaction(state(ctx).engine) as s:
        rows = routing.list_routes(s)
    print_rows(
        rows, fmt, title="routing", columns=["dimension", "value", "team", "user", "position"]
    )


@routing_app.command("remove")
def remove(
    ctx: typer.Context,
    dimension: str = typer.Argument(..., help="the dimension"),
    value: str = typer.Argument(..., help="the value"),
) -> None:
    """Remove a routing entry. Example: cxloop routing remove theme Delivery"""
    with transaction(state(ctx).engine) as s:
        routing.remove_route(s, dimension, value)
    console.print(f"removed {escape(dimension)}={escape(value)}")


def register(app: typer.Typer) -> None:
    app.add_typer(teams_app, name="teams")
    app.add_typer(routing_app, name="routing")
