"""What every command gets injected: settings and a lazily created database engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from cxloop.config import Settings

if TYPE_CHECKING:  # the database layer is imported when a command first needs it
    from sqlalchemy import Engine


@dataclass
class CliState:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        """The workspace database; fails with a hint when ``cxloop init`` was never run."""
        if self._engine is None:
            from cxloop.storage.db import engine_for, require_schema

            self._engine = engine_for(self.settings)
            require_schema(self._engine)
        return self._engine

    def raw_engine(self) -> Engine:
        """The engine without the schema check (for ``init`` and ``db upgrade``)."""
        if self._engine is None:
            from cxloop.storage.db import engine_for

            self._engine = engine_for(self.settings)
        return self._engine


def state(ctx: typer.Context) -> CliState:
    """The injected state of the root command (works from any sub-command depth)."""
    root = ctx.find_root()
    obj: Any = root.obj
    if not isinstance(obj, CliState):
        obj = CliState(settings=Settings())
        root.obj = obj
    return obj
