"""``cxloop serve``: the web app and REST API for this workspace."""

from __future__ import annotations

import secrets
from pathlib import Path

import typer
from sqlalchemy import Engine, select

from cxloop.cli.context import state
from cxloop.cli.output import console
from cxloop.storage.db import transaction
from cxloop.storage.models import Source, WorkspaceDocument

DEMO_LOGIN_KEY = "demo_login"
DEMO_ADMIN = "admin@demo.cxloop.example"


def is_demo(engine: Engine, home: Path) -> bool:
    """A workspace filled by ``cxloop demo`` has its generated files in ``demo/`` and data."""
    if not (home / "demo" / "customers.csv").exists():
        return False
    with transaction(engine) as db:
        return db.scalars(select(Source.id).limit(1)).first() is not None


def demo_login(engine: Engine) -> dict[str, str]:
    """The demo's sign-in, created once (a demo workspace holds no real customer data)."""
    from cxloop.people.users import create_user, find_user

    with transaction(engine) as db:
        doc = db.get(WorkspaceDocument, DEMO_LOGIN_KEY)
        known = doc.value if doc is not None and isinstance(doc.value, dict) else {}
        if known.get("email") and find_user(db, known["email"]) is not None:
            return {"email": known["email"], "password": known.get("password", "")}
        password = secrets.token_urlsafe(12)
        user = find_user(db, DEMO_ADMIN)
        if user is None:
            create_user(db, email=DEMO_ADMIN, role="admin", name="Demo admin", password=password)
        else:
            from cxloop.people.users import set_password

            set_password(db, user, password)
        value = {"email": DEMO_ADMIN, "password": password}
        if doc is None:
            db.add(WorkspaceDocument(key=DEMO_LOGIN_KEY, value=value))
        else:
            doc.value = value
        return value


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8000, "--port", help="port to listen on"),
) -> None:
    """Serve the web app and the REST API (docs at /docs).

    Example: cxloop serve --host 127.0.0.1 --port 8000
    """
    import uvicorn

    from cxloop.web.app import create_app

    st = state(ctx)
    engine = st.engine
    url = f"http://{host}:{port}/"
    console.print(f"[green]cxloop is serving[/green] {url}  (API docs: {url}docs)", soft_wrap=True)
    if is_demo(engine, st.settings.home):
        login = demo_login(engine)
        console.print(
            f"demo login: [bold]{login['email']}[/bold] / [bold]{login['password']}[/bold]"
        )
    console.print("press Ctrl+C to stop")
    app = create_app(st.settings)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
