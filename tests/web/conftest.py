"""A real server for web tests: uvicorn in a thread on a free 127.0.0.1 port, over the real
(migrated) test database, and helpers to sign in as each role or call the API with a token."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from web_seed import PASSWORD, Seeded, seed

from cxloop.config import Settings
from cxloop.storage.db import make_engine, transaction

os.environ.setdefault("CXLOOP_WEB_PREWARM", "0")
BACKENDS = ["sqlite", "postgres"] if os.environ.get("CXLOOP_TEST_POSTGRES_URL") else ["sqlite"]
PG_URL = os.environ.get("CXLOOP_TEST_POSTGRES_URL", "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    url: str
    settings: Settings
    seeded: Seeded
    app: object

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    def login(self, who: str) -> httpx.Client:
        """A browser-like client signed in as ``who`` (a role or a seeded key)."""
        client = self.client()
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        resp = client.post(
            "/login",
            data={
                "email": self.seeded.emails[who],
                "password": PASSWORD,
                "csrf_token": token,
                "next": "/",
            },
        )
        assert resp.status_code == 303, resp.text[:500]
        return client

    def token(self, who: str, scope: str = "write") -> str:
        from cxloop.people.users import get_user
        from cxloop.web.security import create_token

        engine = make_engine(self.settings.resolved_database_url)
        with transaction(engine) as db:
            secret = create_token(db, get_user(db, self.seeded.emails[who]), scope).secret
        engine.dispose()
        return secret

    def api(self, who: str, scope: str = "write") -> httpx.Client:
        client = self.client()
        client.headers["Authorization"] = f"Bearer {self.token(who, scope)}"
        return client


def csrf_of(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@contextlib.contextmanager
def serving(settings: Settings) -> Iterator[Live]:
    """Seed the workspace, start uvicorn on a free port in a thread, stop it afterwards."""
    from cxloop.web.app import create_app

    engine = make_engine(settings.resolved_database_url)
    seeded = seed(engine)
    engine.dispose()
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield Live(f"http://127.0.0.1:{port}", settings, seeded, app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    """A server of its own for tests that change state others would see."""
    with serving(settings) as running:
        yield running


@pytest.fixture(scope="module", params=BACKENDS)
def shared(request, tmp_path_factory, sqlite_template, pg_template) -> Iterator[Live]:
    """One server per module and database for tests that only read (or write disjointly)."""
    home = tmp_path_factory.mktemp("shared")
    if request.param == "sqlite":
        path = home / "cxloop.db"
        shutil.copy(sqlite_template, path)
        settings = Settings(home=home, database_url=f"sqlite:///{path}", secret_key="test-key")
        with serving(settings) as running:
            yield running
        return
    name = f"cxloop_w_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        with serving(Settings(home=home, database_url=url, secret_key="test-key")) as running:
            yield running
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
