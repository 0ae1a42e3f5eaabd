"""Engine and session factory; SQLite is tuned to behave as a real database (WAL, FKs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from cxloop.config import Settings
from cxloop.errors import ConfigError

ALEMBIC_DIR = Path(__file__).parent / "alembic"
#: The newest migration, so that checking a workspace's schema needs no alembic import
#: (``tests/storage/test_schema.py`` fails when a new migration does not update it).
SCHEMA_REVISION = "0010_quarantine_dedup_key"
_ALEMBIC_VERSION = Table("alembic_version", MetaData(), Column("version_num", String(32)))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; the SQLite folder is created when missing (not for an
    in-memory database or a ``file:`` URI, whose path is not a plain file name)."""
    if url.startswith("sqlite"):
        parsed = make_url(url)
        path = parsed.database or ""
        is_uri = path.startswith("file:") or parsed.query.get("uri") in ("true", "1")
        if path and path != ":memory:" and not is_uri:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.resolved_database_url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session


def alembic_config(engine: Engine | None = None) -> Any:
    """Alembic's configuration for our migrations (``engine``: the database they run on)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _scripts() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str | None:
    """The newest migration this version of cxloop ships."""
    return _scripts().get_current_head()  # type: ignore[no-any-return]


def require_schema(engine: Engine) -> None:
    """Fail with a helpful message when the workspace was never initialised, or when its
    schema is not the one this version of cxloop expects (after an update), instead of
    failing later on a missing column."""
    if not inspect(engine).has_table("feedback"):
        raise ConfigError("this workspace has no database yet", hint="run 'cxloop init' first")
    with engine.connect() as conn:
        current = conn.execute(select(_ALEMBIC_VERSION.c.version_num)).scalar()
    if current == SCHEMA_REVISION:
        return
    from alembic.util import CommandError

    scripts = _scripts()
    head = scripts.get_current_head()

    try:
        known = current is not None and scripts.get_revision(current) is not None
    except CommandError:
        known = False
    if not known:
        raise ConfigError(
            f"this workspace's database schema ({current}) is newer than this version of "
            f"cxloop knows (up to {head})",
            hint="update cxloop to the version that last upgraded this workspace",
        )
    raise ConfigError(
        f"this workspace's database schema is at {current}; this version of cxloop needs {head}",
        hint="back up the database, then run 'cxloop db upgrade'",
    )
