"""``cxloop cases reply|inbound|thread|followup|followup-answer|metrics``: talking with customers.

These commands live on the ``cases`` group (defined in ``cxloop.cli.cases``); this module adds
them so that the dialogue and follow-up code stays with the delivery capability.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import typer

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_object, print_rows
from cxloop.errors import InputError
from cxloop.loop import cases as case_service
from cxloop.loop.dialogue import send_reply, thread
from cxloop.loop.followup import answer_followup, due_followups, send_followup
from cxloop.loop.inbound import receive_email
from cxloop.loop.metrics import load_cases_frame, loop_metrics
from cxloop.people.users import get_user
from cxloop.storage.db import transaction
from cxloop.storage.types import utcnow


def reply_cmd(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="case reference, e.g. CX-000123"),
    body: str | None = typer.Option(None, "--body", help="the message to the customer"),
    body_file: Path | None = typer.Option(None, "--body-file", help="read the message from a file"),
    subject: str | None = typer.Option(None, help="subject line (the reference is appended)"),
    actor: str | None = typer.Option(
        None, "--as", envvar="CXLOOP_ACTOR", help="who is replying (a user's e-mail)"
    ),
    wait: bool = typer.Option(
        False, "--wait", help="set the case to waiting_on_customer after replying"
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Email the customer of a case (queued in the outbox; the worker sends it).

    The email carries a signed reference so that the customer's answer threads back.
    Example: cxloop cases reply CX-000123 --body "We are sending a new parcel today." --wait
    """
    if body_file is not None:
        try:
            body = body_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read {body_file}: {exc.strerror}") from exc
    st = state(ctx)
    with transaction(st.engine) as session:
        c = case_service.get_case(session, case)
        sent = send_reply(
            session,
            st.settings,
            c,
            body=body or "",
            actor=get_user(session, actor) if actor else "cli",
            subject=subject,
            wait_on_customer=wait,
        )
        status = c.status
    print_object(
        {
            "case": case,
            "to": sent.to,
            "subject": sent.subject,
            "outbox_id": sent.outbox_id,
            "case_status": status,
        },
        fmt,
        title="reply queued",
    )


def inbound_cmd(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="raw MIME files (.eml); '-' reads stdin"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Thread customers' emailed answers into their cases by the signed reference.

    An email without a valid signed reference is quarantined for a person (see
    'cxloop quarantine list'), never attached to a guessed case.
    Example: cxloop cases inbound answer.eml
    """
    st = state(ctx)
    rows = []
    for path in files:
        if str(path) == "-":
            raw, name = sys.stdin.buffer.read(), "<stdin>"
        else:
            try:
                raw, name = path.read_bytes(), str(path)
            except OSError as exc:
                raise InputError(f"cannot read {path}: {exc.strerror}") from exc
        with transaction(st.engine) as session:
            result = receive_email(session, st.settings, raw, file_name=name)
        rows.append(
            {
                "file": name,
                "status": result.status,
                "case": f"CX-{result.case_id:06d}" if result.case_id else None,
                "reopened": result.reopened,
                "quarantine_id": result.quarantine_id,
                "reason": result.reason,
            }
        )
    print_rows(rows, fmt, title="inbound email")
    if any(r["status"] == "quarantined" for r in rows) and fmt is OutputFormat.table:
        console.print(
            "[yellow]quarantined emails wait for a person: cxloop quarantine list[/yellow]"
        )


def thread_cmd(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="case reference"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Show the email dialogue of a case, oldest first. Example: cxloop cases thread CX-000123"""
    with transaction(state(ctx).engine) as session:
        c = case_service.get_case(session, case)
        rows = [
            {
                "at": m.created_at,
                "direction": m.direction,
                "author": m.author,
                "subject": m.subject,
                "body": m.body,
            }
            for m in thread(session, c)
        ]
    print_rows(rows, fmt, title=f"dialogue of {case}")


def followup_cmd(
    ctx: typer.Context,
    case: str | None = typer.Argument(None, help="case reference (or use --due)"),
    due: bool = typer.Option(
        False, "--due", help="send to every case resolved over --delay hours ago without one"
    ),
    delay: float = typer.Option(24.0, help="hours after resolution before asking (with --due)"),
    kind: str = typer.Option("scale", help="scale (0-10) or yesno"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Ask the customer "did we resolve this?" with a signed single-use link.

    Example: cxloop cases followup CX-000123   or   cxloop cases followup --due
    """
    from datetime import timedelta

    if not case and not due:
        raise InputError("name a case, or pass --due to ask every resolved case that is due")
    st = state(ctx)
    rows = []
    with transaction(st.engine) as session:
        targets = (
            [case_service.get_case(session, case)]
            if case
            else due_followups(session, now=utcnow(), delay=timedelta(hours=delay))
        )
        for c in targets:
            if due:
                from cxloop.loop.dialogue import customer_email

                try:
                    customer_email(session, c)
                except InputError as exc:
                    rows.append({"case": c.reference, "sent": False, "note": exc.message})
                    continue
            sent = send_followup(session, st.settings, c, kind=kind)
            rows.append(
                {"case": c.reference, "sent": True, "outbox_id": sent.outbox_id, "link": sent.link}
            )
    print_rows(rows, fmt, title="follow-ups queued")


def followup_answer_cmd(
    ctx: typer.Context,
    token: str = typer.Argument(..., help="the token from the follow-up link"),
    answer: str = typer.Argument(..., help="0-10, or yes/no"),
    comment: str | None = typer.Option(None, help="the customer's comment"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Record a follow-up answer (what the web link does).

    Example: cxloop cases followup-answer TOKEN 9
    """
    st = state(ctx)
    with transaction(st.engine) as session:
        f = answer_followup(session, st.settings, token, answer, comment=comment)
        out = {"case": f"CX-{f.case_id:06d}", "score": f.score, "resolved": f.resolved}
    print_object(out, fmt, title="follow-up answer stored")


def metrics_cmd(
    ctx: typer.Context,
    by: str = typer.Option("team", help="team, owner or all"),
    since: datetime | None = typer.Option(None, help="only cases opened since (YYYY-MM-DD)"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Time to first response, time to resolve, SLA attainment and recovery rate, with intervals.

    Example: cxloop cases metrics --by owner --format json
    """
    if by not in ("team", "owner", "all"):
        raise InputError(f"--by {by!r} is not one of team, owner, all")
    engine = state(ctx).engine
    result = loop_metrics(load_cases_frame(engine, since=since), by=by)
    print_rows(
        result.rows,
        fmt,
        title="closed-loop metrics",
        envelope={
            "analysis": "loop_metrics",
            "params": {"by": by, "since": since},
            "method": result.method,
        },
    )


def register(app: typer.Typer) -> None:
    from cxloop.cli.cases import cases_app

    cases_app.command("reply")(reply_cmd)
    cases_app.command("inbound")(inbound_cmd)
    cases_app.command("thread")(thread_cmd)
    cases_app.command("followup")(followup_cmd)
    cases_app.command("followup-answer")(followup_answer_cmd)
    cases_app.command("metrics")(metrics_cmd)
