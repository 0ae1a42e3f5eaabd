"""``cxloop cases list|show|open|assign|note|ack|start|wait|resolve|close|reopen``.

``cases_app`` is exported: the delivery capability adds ``reply``, ``inbound``, ``thread`` and
the follow-up commands to it from its own module. Changes are recorded as the person given by
``--as EMAIL`` (or ``$CXLOOP_ACTOR``), else as ``cli``.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from cxloop.cli.context import state
from cxloop.cli.output import (
    FormatOption,
    OutputFormat,
    console,
    print_json,
    print_object,
    print_rows,
)
from cxloop.loop import cases as case_service
from cxloop.people.teams import get_team
from cxloop.people.users import get_user
from cxloop.storage.db import transaction
from cxloop.storage.models.loop import CASE_STATUSES
from cxloop.storage.models.people import User

cases_app = typer.Typer(help="Cases: owners, SLAs, history.", no_args_is_help=True)

ActorOption = typer.Option(
    None, "--as", envvar="CXLOOP_ACTOR", help="who is doing this (a user's e-mail)"
)
CaseArg = typer.Argument(..., help="case reference (CX-000123) or id")


def _actor(session: Session, email: str | None) -> User | str:
    return get_user(session, email) if email else "cli"


@cases_app.command("list")
def list_(
    ctx: typer.Context,
    status: list[str] = typer.Option(
        [], "--status", "-s", help="open, or one of " + ", ".join(CASE_STATUSES) + " (repeatable)"
    ),
    team: str | None = typer.Option(None, "--team", help="only this team"),
    assignee: str | None = typer.Option(None, "--assignee", help="only this person (e-mail)"),
    limit: int = typer.Option(200, "--limit", help="at most this many, newest first"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List cases. Example: cxloop cases list --status open --team logistics --format json"""
    with transaction(state(ctx).engine) as s:
        found = case_service.list_cases(
            s,
            status=status or None,
            team=get_team(s, team) if team else None,
            assignee=get_user(s, assignee) if assignee else None,
            limit=limit,
        )
        rows = [case_service.describe(s, c) for c in found]
    print_rows(
        rows,
        fmt,
        title="cases",
        columns=None
        if fmt is not OutputFormat.table
        else [
            "reference",
            "status",
            "priority",
            "team",
            "assignee",
            "rule",
            "first_response_sla",
            "resolution_sla",
            "created_at",
        ],
    )


@cases_app.command("show")
def show(ctx: typer.Context, case: str = CaseArg, fmt: OutputFormat = FormatOption) -> None:
    """Show a case and its full history. Example: cxloop cases show CX-000012 --format json"""
    with transaction(state(ctx).engine) as s:
        c = case_service.get_case(s, case)
        info = case_service.describe(s, c)
        events = [
            {
                "at": e.at,
                "actor": e.actor,
                "kind": e.kind,
                "from": e.from_value,
                "to": e.to_value,
                "body": e.body,
                **({"data": e.data} if fmt is OutputFormat.json and e.data else {}),
            }
            for e in case_service.history(s, c)
        ]
    if fmt is OutputFormat.json:
        print_json({**info, "history": events})
        return
    print_object(info, fmt, title=info["reference"])
    print_rows(events, fmt, title="history", columns=["at", "actor", "kind", "from", "to", "body"])


@cases_app.command("open")
def open_(
    ctx: typer.Context,
    title: str = typer.Option(..., "--title", help="what the case is about"),
    feedback: int | None = typer.Option(None, "--feedback", help="feedback id it is about"),
    priority: str = typer.Option("normal", "--priority", help="urgent, high, normal or low"),
    team: str | None = typer.Option(None, "--team", help="owning team"),
    to: str | None = typer.Option(None, "--to", help="owner (e-mail)"),
    sla_first_response: str | None = typer.Option(None, "--sla-first-response", help="e.g. 4h"),
    sla_resolution: str | None = typer.Option(None, "--sla-resolution", help="e.g. 3d"),
    actor: str | None = ActorOption,
) -> None:
    """Open a case by hand.

    Example: cxloop cases open --title 'Call back' --feedback 42 --team logistics
    """
    with transaction(state(ctx).engine) as s:
        c = case_service.open_case(
            s,
            title=title,
            actor=_actor(s, actor),
            feedback_id=feedback,
            priority=priority,
            team=get_team(s, team) if team else None,
            assignee=get_user(s, to) if to else None,
            sla_first_response=sla_first_response,
            sla_resolution=sla_resolution,
        )
        console.print(f"[green]opened[/green] {c.reference}")


@cases_app.command("assign")
def assign(
    ctx: typer.Context,
    case: str = CaseArg,
    to: str | None = typer.Option(None, "--to", help="new owner (e-mail)"),
    team: str | None = typer.Option(None, "--team", help="new team"),
    actor: str | None = ActorOption,
) -> None:
    """Assign or reassign. Example: cxloop cases assign CX-000012 --to ana@example.com"""
    with transaction(state(ctx).engine) as s:
        c = case_service.get_case(s, case)
        event = case_service.assign(
            s,
            c,
            _actor(s, actor),
            user=get_user(s, to) if to else None,
            team=get_team(s, team) if team else None,
        )
        console.print(
            f"{c.reference}: {escape(event.from_value or 'unassigned')} -> "
            f"{escape(event.to_value or '')}"
        )


@cases_app.command("note")
def note(
    ctx: typer.Context,
    case: str = CaseArg,
    text: str = typer.Argument(..., help="the internal note (never sent to the customer)"),
    actor: str | None = ActorOption,
) -> None:
    """Add an internal note. Example: cxloop cases note CX-000012 'Carrier confirmed the delay'"""
    with transaction(state(ctx).engine) as s:
        c = case_service.get_case(s, case)
        case_service.add_note(s, c, text, _actor(s, actor))
        console.print(f"note added to {c.reference}")


def _move(
    ctx: typer.Context, case: str, status: str, actor: str | None, reason: str | None
) -> None:
    with transaction(state(ctx).engine) as s:
        c = case_service.get_case(s, case)
        event = case_service.transition(s, c, status, _actor(s, actor), reason=reason)
        console.print(
            f"{c.reference}: {escape(str(event.from_value))} -> {escape(str(event.to_value))}"
        )


@cases_app.command("ack")
def ack(ctx: typer.Context, case: str = CaseArg, actor: str | None = ActorOption) -> None:
    """Acknowledge (stops the first-response clock). Example: cxloop cases ack CX-000012"""
    _move(ctx, case, "acknowledged", actor, None)


@cases_app.command("start")
def start(ctx: typer.Context, case: str = CaseArg, actor: str | None = ActorOption) -> None:
    """Mark as in progress. Example: cxloop cases start CX-000012 --as ana@example.com"""
    _move(ctx, case, "in_progress", actor, None)


@cases_app.command("wait")
def wait(
    ctx: typer.Context,
    case: str = CaseArg,
    reason: str | None = typer.Option(None, "--reason", help="what we wait for"),
    actor: str | None = ActorOption,
) -> None:
    """Mark as waiting on the customer.

    Example: cxloop cases wait CX-000012 --reason 'asked for order number'
    """
    _move(ctx, case, "waiting_on_customer", actor, reason)


@cases_app.command("resolve")
def resolve(
    ctx: typer.Context,
    case: str = CaseArg,
    code: str = typer.Option(..., "--code", help="resolution code, e.g. refund-issued"),
    root_cause: str | None = typer.Option(None, "--root-cause", help="e.g. carrier-delay"),
    note: str | None = typer.Option(None, "--note", help="what was done"),
    actor: str | None = ActorOption,
) -> None:
    """Resolve with codes.

    Example: cxloop cases resolve CX-000012 --code refund-issued --root-cause carrier-delay
    """
    with transaction(state(ctx).engine) as s:
        c = case_service.get_case(s, case)
        event = case_service.resolve(
            s, c, _actor(s, actor), resolution_code=code, root_cause=root_cause, note=note
        )
        console.print(
            f"{c.reference}: {escape(str(event.from_value))} -> resolved "
            f"({escape(str(c.resolution_code))})"
        )


@cases_app.command("close")
def close(
    ctx: typer.Context,
    case: str = CaseArg,
    reason: str | None = typer.Option(None, "--reason", help="why"),
    actor: str | None = ActorOption,
) -> None:
    """Close a resolved case. Example: cxloop cases close CX-000012"""
    _move(ctx, case, "closed", actor, reason)


@cases_app.command("reopen")
def reopen(
    ctx: typer.Context,
    case: str = CaseArg,
    reason: str | None = typer.Option(None, "--reason", help="why"),
    actor: str | None = ActorOption,
) -> None:
    """Reopen a resolved or closed case.

    Example: cxloop cases reopen CX-000012 --reason 'customer still waiting'
    """
    with transaction(state(ctx).engine) as s:
        c = case_service.get_case(s, case)
        event = case_service.reopen(s, c, _actor(s, actor), reason=reason)
        console.print(
            f"{c.reference}: {escape(str(event.from_value))} -> {escape(str(event.to_value))}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
