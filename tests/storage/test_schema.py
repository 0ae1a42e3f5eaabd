"""The migrated schema matches the models, and core storage behaves on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from cxloop.storage.db import transaction
from cxloop.storage.models import Base, Feedback, Source


def test_migrations_create_every_model_table(engine):
    tables = set(inspect(engine).get_table_names())
    missing = set(Base.metadata.tables) - tables
    assert not missing, f"models without a migration: {sorted(missing)}"


def test_migrations_match_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff[:5]}"


def test_timestamps_round_trip_in_utc(engine):
    paris = timezone(timedelta(hours=2))
    with transaction(engine) as s:
        src = Source(name="survey")
        s.add(src)
        s.flush()
        s.add(
            Feedback(
                source_id=src.id,
                dedup_key="a1",
                content_hash="x",
                received_at=datetime(2026, 5, 1, 12, 0, tzinfo=paris),
                text="hi",
            )
        )
    with transaction(engine) as s:
        got = s.scalars(select(Feedback)).one().received_at
    assert got == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert got.tzinfo is not None


def test_dedup_key_is_unique_per_source(engine):
    with transaction(engine) as s:
        src = Source(name="survey")
        s.add(src)
        s.flush()
        s.add(Feedback(source_id=src.id, dedup_key="a1", content_hash="x"))
    with pytest.raises(IntegrityError), transaction(engine) as s:
        s.add(Feedback(source_id=src.id, dedup_key="a1", content_hash="y"))


def test_cli_init_and_current(cli):
    assert cli("init").exit_code == 0
    result = cli("db", "current", "--format", "json")
    assert result.exit_code == 0
    assert '"revision"' in result.stdout


def test_cli_reports_missing_workspace(tmp_path, monkeypatch, capsys):
    from cxloop.cli.context import CliState
    from cxloop.config import Settings
    from cxloop.errors import ConfigError

    st = CliState(settings=Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/none.db"))
    with pytest.raises(ConfigError, match="cxloop init"):
        _ = st.engine


def test_db_upgrade_rebuilds_dropped_feedback_indexes(cli, engine):
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_feedback_received_at")
    assert "ix_feedback_received_at" not in {
        i["name"] for i in inspect(engine).get_indexes("feedback")
    }
    assert cli("db", "upgrade").exit_code == 0
    assert "ix_feedback_received_at" in {i["name"] for i in inspect(engine).get_indexes("feedback")}


def test_an_older_schema_asks_for_db_upgrade_then_works(cli, engine):
    """A workspace last migrated by an older cxloop (here: before 0010) gets a message that
    says what to do, not a missing-column error halfway through a command."""
    from alembic import command

    from cxloop.storage.db import alembic_config, current_revision, head_revision

    command.downgrade(alembic_config(engine), "0009_rollup_build_steps")
    assert current_revision(engine) == "0009_rollup_build_steps"
    refused = cli("quarantine", "list")
    assert refused.exit_code != 0
    assert "0009_rollup_build_steps" in refused.stderr and "cxloop db upgrade" in refused.stderr
    assert cli("db", "upgrade").exit_code == 0
    assert current_revision(engine) == head_revision()
    assert cli("quarantine", "list").exit_code == 0


def test_a_newer_schema_says_so(cli, engine):
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    refused = cli("quarantine", "list")
    assert refused.exit_code != 0 and "newer than this version" in refused.stderr


def test_the_schema_revision_constant_is_the_newest_migration():
    from cxloop.storage.db import SCHEMA_REVISION, head_revision

    assert head_revision() == SCHEMA_REVISION


def test_sqlite_folders_are_created_but_uris_are_left_alone(tmp_path, monkeypatch):
    """A missing folder of a plain SQLite path is created; a ``file:`` URI (read-only opens)
    is not a path, so nothing named ``file:`` may appear in the working directory."""
    from sqlalchemy import text

    from cxloop.storage.db import make_engine

    monkeypatch.chdir(tmp_path)
    plain = tmp_path / "new" / "folder" / "ws.db"
    eng = make_engine(f"sqlite:///{plain}")
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    eng.dispose()
    assert plain.is_file()
    reader = make_engine(f"sqlite:///file:{plain}?mode=ro&uri=true")
    with reader.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    reader.dispose()
    assert not (tmp_path / "file:").exists()
    make_engine(f"sqlite:///file:{tmp_path / 'missing' / 'x.db'}?mode=ro&uri=true").dispose()
    assert not (tmp_path / "file:").exists() and not (tmp_path / "missing").exists()
