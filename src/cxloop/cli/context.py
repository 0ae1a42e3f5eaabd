"""What every command gets injected: settings and a lazily created database engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import typer
from sqlalchemy import Engine

from cxloop.config import Settings
from cxloop.storage.db import engine_for, require_schema


@dataclass
class CliState:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        """The workspace database; fails with a hint when ``cxloop init`` was never run."""
        if self._engine is None:
            self._engine = engine_for(self.settings)
            require_schema(self._engine)
        return self._engine

    def raw_engine(self) -> Engine:
        """The engine without the schema check (for ``init`` and ``db upgrade``)."""
        if self._engine is None:
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
