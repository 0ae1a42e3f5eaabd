"""Real-database fixtures: every test that takes ``engine`` runs on SQLite and, when
``CXLOOP_TEST_POSTGRES_URL`` is set, on PostgreSQL too. Schemas are built with the real
Alembic migrations once per session and cloned per test (file copy / CREATE DATABASE TEMPLATE).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from cxloop.config import Settings
from cxloop.storage.db import make_engine, upgrade

PG_URL = os.environ.get("CXLOOP_TEST_POSTGRES_URL")
DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def _pg_admin() -> Engine:
    assert PG_URL
    return make_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    name = f"cxloop_tpl_{_worker()}_{uuid.uuid4().hex[:6]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_URL.rsplit("/", 1)[0] + f"/{name}")
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    pg_template: str | None,
) -> Iterator[str]:
    """A fresh, migrated database URL for one test."""
    if request.param == "sqlite":
        path = tmp_path / "cxloop.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    assert PG_URL and pg_template
    name = f"cxloop_t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    home = tmp_path / "ws"
    home.mkdir(exist_ok=True)
    return Settings(home=home, database_url=db_url, secret_key="test-secret-key")


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``cxloop ARGS`` in-process against the test workspace; returns exit code and output."""
    from cxloop.cli.main import main

    monkeypatch.setenv("CXLOOP_HOME", str(settings.home))
    monkeypatch.setenv("CXLOOP_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("CXLOOP_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("COLUMNS", "200")
    from cxloop.cli import output

    # The consoles exist since import; give them a wide page so tables are not truncated.
    monkeypatch.setattr(output.console, "width", 200)
    monkeypatch.setattr(output.err_console, "width", 200)

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return invoke


@pytest.fixture(scope="session")
def datasets() -> Path:
    """The shared public datasets; tests that need them skip with a clear message if absent."""
    if not DATASETS.is_dir():
        pytest.skip(f"shared datasets not found at {DATASETS}")
    return DATASETS
