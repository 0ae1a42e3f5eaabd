"""``cxloop users create|list|set-password|deactivate``: accounts with a role."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_rows
from cxloop.errors import InputError
from cxloop.people import users as people_users
from cxloop.storage.db import transaction
from cxloop.storage.models.people import ROLES, Team

users_app = typer.Typer(help="Accounts: who signs in, who owns cases.", no_args_is_help=True)


def _read_password() -> str:
    """One line from standard input, so the password never appears in the process list."""
    value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise InputError(
            "no password on standard input", hint="echo 'PASSPHRASE' | cxloop users ..."
        )
    return value


@users_app.command("create")
def create(
    ctx: typer.Context,
    email: str = typer.Option(..., "--email", help="the sign-in e-mail"),
    role: str = typer.Option(..., "--role", help="one of: " + ", ".join(ROLES)),
    team: str | None = typer.Option(None, "--team", help="team name (must exist)"),
    name: str | None = typer.Option(None, "--name", help="display name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from standard input"
    ),
) -> None:
    """Create a user.

    Example: echo 'long passphrase' | cxloop users create --email ana@example.com --role agent
    --team logistics --password-stdin
    """
    password = _read_password() if password_stdin else None
    with transaction(state(ctx).engine) as s:
        user = people_users.create_user(
            s, email=email, role=role, team=team, name=name, password=password
        )
        console.print(
            f"[green]created[/green] {escape(user.email)} ({user.role})"
            + ("" if password else " — no password yet: cannot sign in")
        )


@users_app.command("list")
def list_(
    ctx: typer.Context,
    team: str | None = typer.Option(None, "--team", help="only this team"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List users. Example: cxloop users list --team logistics --format json"""
    with transaction(state(ctx).engine) as s:
        teams = {t.id: t.name for t in s.query(Team)}
        rows = [
            {
                "email": u.email,
                "name": u.name,
                "role": u.role,
                "team": teams.get(u.team_id) if u.team_id else None,
                "active": u.active,
                "can_sign_in": bool(u.password_hash) and u.active,
            }
            for u in people_users.list_users(s, team=team)
        ]
    print_rows(rows, fmt, title="users")


@users_app.command("set-password")
def set_password(ctx: typer.Context, email: str = typer.Argument(..., help="the user")) -> None:
    """Set a password read from standard input.

    Example: echo 'new passphrase' | cxloop users set-password ana@example.com
    """
    password = _read_password()
    with transaction(state(ctx).engine) as s:
        people_users.set_password(s, people_users.get_user(s, email), password)
    console.print(f"password set for {escape(email)}")


@users_app.command("deactivate")
def deactivate(ctx: typer.Context, email: str = typer.Argument(..., help="the user")) -> None:
    """Stop a user from signing in or owning new cases.

    Example: cxloop users deactivate ana@example.com
    """
    with transaction(state(ctx).engine) as s:
        people_users.set_active(s, people_users.get_user(s, email), False)
    console.print(f"{escape(email)} deactivated")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
