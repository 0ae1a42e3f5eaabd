"""``cxloop tokens``: API bearer tokens (only a hash is stored; revocable)."""

from __future__ import annotations

import typer
from sqlalchemy import select

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_rows
from cxloop.storage.db import transaction
from cxloop.storage.models import User
from cxloop.storage.models.web import ApiToken

tokens_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)


@tokens_app.command("create")
def create(
    ctx: typer.Context,
    user: str = typer.Option(..., "--user", help="e-mail of the token's user"),
    scope: str = typer.Option("read", "--scope", help="read or write"),
    name: str | None = typer.Option(None, "--name", help="a label, e.g. the client's name"),
) -> None:
    """Create a token and print it ONCE (store it now; only its hash is kept).

    Example: cxloop tokens create --user analyst@example.com --scope write --name crm-sync
    """
    from cxloop.people.users import get_user
    from cxloop.web.audit import record
    from cxloop.web.security import create_token

    with transaction(state(ctx).engine) as db:
        owner = get_user(db, user)
        issued = create_token(db, owner, scope, name=name)
        record(
            db,
            user=owner,
            via="cli",
            action="token.create",
            target_type="api_token",
            target_id=issued.token.id,
            detail={"scope": scope, "name": name},
            actor="cli:" + owner.email,
        )
        token_id = issued.token.id
    console.print(f"token {token_id} for {user} (scope {scope}); shown once:")
    typer.echo(issued.secret)


@tokens_app.command("list")
def list_tokens(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
    """List tokens (prefix only, never the secret). Example: cxloop tokens list --format json"""
    with transaction(state(ctx).engine) as db:
        rows = [
            {
                "id": t.id,
                "user": email,
                "name": t.name,
                "prefix": t.prefix,
                "scope": t.scope,
                "created_at": t.created_at,
                "last_used_at": t.last_used_at,
                "revoked_at": t.revoked_at,
            }
            for t, email in db.execute(
                select(ApiToken, User.email)
                .join(User, User.id == ApiToken.user_id)
                .order_by(ApiToken.id)
            )
        ]
    print_rows(rows, fmt, title="API tokens")


@tokens_app.command("revoke")
def revoke(ctx: typer.Context, token_id: int = typer.Argument(..., help="token id")) -> None:
    """Revoke a token at once. Example: cxloop tokens revoke 3"""
    from cxloop.web.audit import record
    from cxloop.web.security import revoke_token

    with transaction(state(ctx).engine) as db:
        token = revoke_token(db, token_id)
        record(
            db,
            user=None,
            via="cli",
            action="token.revoke",
            target_type="api_token",
            target_id=token.id,
            actor="cli",
        )
    console.print(f"token {token_id} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")
