"""Helpers for ingestion tests: write small input files the way real tools export them."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cxloop.storage.models import Feedback, QuarantinedRow


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(
        name: str,
        rows: list[list[object]],
        *,
        delimiter: str = ",",
        encoding: str = "utf-8",
    ) -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding=encoding) as fh:
            csv.writer(fh, delimiter=delimiter).writerows(rows)
        return path

    return write


@pytest.fixture
def stored(engine: Engine) -> Callable[[], list[Feedback]]:
    """The feedback rows in the database, oldest first."""

    def read() -> list[Feedback]:
        with Session(engine) as s:
            return list(s.scalars(select(Feedback).order_by(Feedback.id)))

    return read


@pytest.fixture
def quarantined(engine: Engine) -> Callable[[], list[QuarantinedRow]]:
    """The quarantine entries, by row number."""

    def read() -> list[QuarantinedRow]:
        with Session(engine) as s:
            stmt = select(QuarantinedRow).order_by(QuarantinedRow.row_number, QuarantinedRow.id)
            return list(s.scalars(stmt))

    return read
