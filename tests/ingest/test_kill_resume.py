"""Kill a real ``cxloop ingest`` process mid-run (SIGKILL), run it again: exactly the right
rows, no duplicates, and the killed run is recorded as interrupted."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.storage.models import Feedback, IngestRun

ROWS = 8_000
BATCH = 400


def _write(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "text", "nps", "store"])
        for i in range(ROWS):
            w.writerow(
                [
                    f"K{i}",
                    f"2025-01-{1 + i % 28:02d}",
                    f'comment {i}, "quoted"\nline',
                    i % 11,
                    f"S{i % 7}",
                ]
            )


def _ingest(db_url: str, home: Path, path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CXLOOP_DATABASE_URL": db_url, "CXLOOP_HOME": str(home)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cxloop",
            "ingest",
            str(path),
            "--batch-size",
            str(BATCH),
            "--format",
            "json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _rows_read(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.max(IngestRun.rows_read))) or 0


def test_killed_ingest_rerun_gives_exactly_the_right_rows(engine, db_url, tmp_path):
    path = tmp_path / "big.csv"
    _write(path)
    proc = _ingest(db_url, tmp_path, path)
    deadline = time.monotonic() + 120
    while _rows_read(engine) < 3 * BATCH:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "the ingest never committed a batch"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Session(engine) as s:
        partial = s.scalar(select(func.count()).select_from(Feedback))
    assert 0 < partial < ROWS, "the kill landed mid-run"
    assert partial % BATCH == 0, "only whole batches were committed"

    proc = _ingest(db_url, tmp_path, path)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    with Session(engine) as s:
        total = s.scalar(select(func.count()).select_from(Feedback))
        distinct = s.scalar(select(func.count(func.distinct(Feedback.external_id))))
        runs = list(s.scalars(select(IngestRun).order_by(IngestRun.id)))
        sample = s.scalar(select(Feedback).where(Feedback.external_id == "K1234"))
    assert total == distinct == ROWS
    assert sample.text == 'comment 1234, "quoted"\nline' and sample.nps == 1234 % 11
    assert sample.extra == {"store": f"S{1234 % 7}"}
    assert [r.status for r in runs] == ["interrupted", "completed"]
    assert runs[1].unchanged == partial and runs[1].inserted == ROWS - partial
