"""``cxloop outbox list|retry|webhooks`` and ``cxloop worker``: see and drive delivery."""

from __future__ import annotations

import signal
from datetime import timedelta
from typing import Any

import typer
from rich.markup import escape

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_object, print_rows
from cxloop.loop import outbox
from cxloop.loop.webhooks import add_webhook, list_webhooks, remove_webhook
from cxloop.loop.worker import Worker, WorkerStats, default_deliverers
from cxloop.storage.db import transaction

outbox_app = typer.Typer(help="The durable outbox of emails and webhooks.", no_args_is_help=True)
webhooks_app = typer.Typer(
    help="Named webhook receivers (webhook:NAME in rules).", no_args_is_help=True
)


def mask_address(address: str) -> str:
    """``ada.lovelace@example.com`` -> ``a***@example.com``: enough to tell messages apart."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else address


def _row(message: Any, reveal: bool = False) -> dict[str, Any]:
    target = message.target
    if message.channel == "email" and not reveal:
        target = mask_address(target)
    return {
        "id": message.id,
        "channel": message.channel,
        "target": target,
        "status": message.status,
        "attempts": f"{message.attempts}/{message.max_attempts}",
        "next_attempt_at": message.next_attempt_at if message.status == "pending" else None,
        "case_id": message.case_id,
        "event": (message.payload or {}).get("event"),
        "last_error": message.last_error,
        "idempotency_key": message.idempotency_key,
        "created_at": message.created_at,
        "delivered_at": message.delivered_at,
    }


@outbox_app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: str | None = typer.Option(None, help="pending|sending|delivered|failed"),
    channel: str | None = typer.Option(None, help="email|webhook"),
    case: int | None = typer.Option(None, help="only messages of this case id"),
    limit: int = typer.Option(50, help="most recent N"),
    reveal: bool = typer.Option(False, "--reveal", help="show full email addresses"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Show queued, delivered and failed messages with their last error.

    Email addresses are masked (personal data) unless --reveal is given.
    Example: cxloop outbox list --status failed
    """
    with transaction(state(ctx).engine) as session:
        rows = [
            _row(m, reveal)
            for m in outbox.list_messages(
                session, status=status, channel=channel, case_id=case, limit=limit
            )
        ]
        counts = outbox.counts_by_status(session)
    columns = None
    if fmt is OutputFormat.table:
        columns = ["id", "channel", "target", "status", "attempts", "event", "last_error"]
    print_rows(rows, fmt, title=f"outbox {counts}", columns=columns)


@outbox_app.command("retry")
def retry_cmd(
    ctx: typer.Context,
    ids: list[int] = typer.Argument(None, help="outbox message ids"),
    all_failed: bool = typer.Option(False, "--all-failed", help="retry every failed message"),
) -> None:
    """Queue failed messages again with a fresh attempt budget (the worker sends them).

    Example: cxloop outbox retry 12 13   or   cxloop outbox retry --all-failed
    """
    with transaction(state(ctx).engine) as session:
        count = outbox.retry(session, ids or [], all_failed=all_failed)
    console.print(f"{count} message(s) queued again; run 'cxloop worker --once' to send them")


@webhooks_app.command("add")
def webhooks_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="the name rules use: webhook:NAME"),
    url: str = typer.Argument(..., help="http(s) URL of the receiver"),
    style: str = typer.Option("json", help="json (signed generic JSON) or slack"),
    secret: str | None = typer.Option(
        None, "--secret", envvar="CXLOOP_WEBHOOK_SECRET", help="signing secret (default: generated)"
    ),
) -> None:
    """Add a webhook receiver; its signing secret is printed once, keep it safe.

    Example: cxloop outbox webhooks add ops https://hooks.example.com/cx --style slack
    """
    with transaction(state(ctx).engine) as session:
        _, used_secret = add_webhook(session, name, url, secret=secret, style=style)
    console.print(f"webhook [bold]{escape(name)}[/bold] -> {escape(url)} ({style})")
    if secret is None:
        console.print(f"signing secret (shown once): {used_secret}")


@webhooks_app.command("list")
def webhooks_list(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
    """List webhook receivers (secrets are never shown). Example: cxloop outbox webhooks list"""
    with transaction(state(ctx).engine) as session:
        rows = [
            {"name": w.name, "url": w.url, "style": w.style, "active": w.active}
            for w in list_webhooks(session)
        ]
    print_rows(rows, fmt, title="webhooks")


@webhooks_app.command("remove")
def webhooks_remove(ctx: typer.Context, name: str) -> None:
    """Remove a webhook receiver. Example: cxloop outbox webhooks remove ops"""
    with transaction(state(ctx).engine) as session:
        remove_webhook(session, name)
    console.print(f"webhook {escape(name)} removed")


def worker_cmd(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="deliver everything due now, then exit"),
    concurrency: int = typer.Option(16, help="parallel deliveries"),
    poll: float = typer.Option(1.0, help="seconds between polls when idle"),
    lease: float = typer.Option(
        120.0, help="seconds a claimed message is reserved before another worker may take it"
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Deliver queued emails and webhooks, retrying with exponential backoff.

    Runs until Ctrl-C (a batch in flight finishes first); --once drains and exits, e.g. from
    cron. Example: cxloop worker --once
    """
    st = state(ctx)
    engine = st.engine
    worker = Worker(
        engine,
        default_deliverers(engine, st.settings),
        concurrency=concurrency,
        lease=timedelta(seconds=lease),
    )
    try:
        if once:
            stats = worker.run_once()
        else:
            signal.signal(signal.SIGTERM, lambda *_: worker.stop())
            console.print(f"worker {worker.worker_id} delivering; Ctrl-C to stop")
            try:
                stats = worker.run_forever(poll_interval=poll)
            except KeyboardInterrupt:
                worker.stop()
                stats = WorkerStats()
    finally:
        worker.close()
    print_object(
        {
            "claimed": stats.claimed,
            "delivered": stats.delivered,
            "retry_scheduled": stats.retried,
            "failed": stats.failed,
            "errors": stats.errors[:5],
        },
        fmt,
        title="worker",
    )


def register(app: typer.Typer) -> None:
    outbox_app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(outbox_app, name="outbox")
    app.command("worker")(worker_cmd)
