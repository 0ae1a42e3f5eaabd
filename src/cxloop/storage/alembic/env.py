"""Alembic environment: uses the engine handed over by cxloop (see storage.db.upgrade)."""

from __future__ import annotations

from alembic import context

from cxloop.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from cxloop.config import get_settings
        from cxloop.storage.db import engine_for

        engine = engine_for(get_settings())
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
