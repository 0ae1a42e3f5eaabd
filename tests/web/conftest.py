"""A real server for web tests: uvicorn in a thread on a free 127.0.0.1 port, over the real
(migrated) test database, and helpers to sign in as each role or call the API with a token."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from web_seed import PASSWORD, Seeded, seed

from cxloop.config import Settings
from cxloop.storage.db import make_engine, transaction


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


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
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
    yield Live(f"http://127.0.0.1:{port}", settings, seeded, app)
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()
