"""SQLite builds the roll-ups in staging tables under a read snapshot, so other writers are
not locked out for the build, then copies them into place.

Real SQLite files; "another process" is a second engine on the same file (its own
connections, so SQLite's file locks apply between them exactly as between processes). The
size above which a build is staged is set small (a setting, not a mock) so a 600-row
workspace is staged.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from analytics_compare import result_differences
from analytics_seed import add_feedback, seed
from sqlalchemy import Engine, func, select, update

from cxloop.analytics import rollups, run_analysis
from cxloop.storage.db import make_engine, upgrade


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setattr(rollups, "STAGED_BUILD_ROWS", 60)
    eng = make_engine(f"sqlite:///{tmp_path / 'ws.db'}")
    upgrade(eng)
    seed(eng, customers=120, feedback=600)
    return eng


def _same_as_exact(engine: Engine, *analyses: str) -> None:
    for name in analyses:
        fast = run_analysis(engine, name)
        exact = run_analysis(engine, name, use_rollups=False)
        diff = result_differences(fast, exact)
        assert not diff, f"{name}: roll-up differs from exact: {diff[:5]}"


def _other_process(engine: Engine, busy_ms: int) -> Engine:
    """A second engine on the same file that gives up on a lock after ``busy_ms``."""
    other = make_engine(str(engine.url))
    with other.connect() as conn:  # the pool reuses this connection, pragma included
        conn.exec_driver_sql(f"PRAGMA busy_timeout={busy_ms}")
    return other


def test_staged_build_equals_the_exact_path(workspace: Engine) -> None:
    steps: list[tuple[int, int]] = []
    done = rollups.refresh(workspace, progress=lambda d, t: steps.append((d, t)))
    assert done["rebuilt_days"] and done["rebuilt_customers"]
    total = steps[-1][1]
    assert steps == [(i, total) for i in range(total + 1)] and total == 8
    st = rollups.state(workspace)
    assert st is not None and st["built"] and not st["building"] and not st["dirty"]
    _same_as_exact(workspace, "metrics", "themes", "segments", "journey", "churn")


def test_a_writer_commits_during_the_build_and_is_applied_next(workspace: Engine) -> None:
    """An ingest running in the middle of the build (the builder's read snapshot open)
    commits within a one-second busy timeout (a one-transaction build held the lock for all
    of it); another process
    meanwhile answers from the rows; the next analysis applies the new feedback."""
    other = _other_process(workspace, busy_ms=1000)
    written: list[int] = []
    seen_building: list[bool] = []

    def during_build(done: int, total: int) -> None:
        if done == 3:
            box: list[BaseException] = []

            def ingest() -> None:  # a real second thread, as a concurrent ingest would be
                try:
                    written.extend(add_feedback(other, 25, customer=5, day=40))
                    seen_building.append(rollups.ensure_fresh(other))
                    _same_as_exact(other, "metrics")
                except BaseException as exc:  # re-raised in the test thread
                    box.append(exc)

            worker = threading.Thread(target=ingest)
            worker.start()
            worker.join(30)
            if box:
                raise box[0]

    rollups.refresh(workspace, progress=during_build)
    assert len(written) == 25, "the concurrent writer could not commit during the build"
    assert seen_building == [False], "another process must not read half-built roll-ups"
    st = rollups.state(workspace)
    assert st is not None and st["built"]
    _same_as_exact(workspace, "metrics", "themes", "segments", "churn")
    volume = run_analysis(workspace, "themes")
    exact = run_analysis(workspace, "themes", use_rollups=False)
    assert not result_differences(volume, exact)
    other.dispose()


def test_a_failed_or_interrupted_build_is_started_again_at_once(workspace: Engine) -> None:
    """An error or Ctrl-C half-way through unmarks the build: the next analysis builds."""

    def interrupt(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rollups.refresh(workspace, progress=interrupt)
    st = rollups.state(workspace)
    assert st is not None and not st["building"] and not st["built"]
    _same_as_exact(workspace, "metrics")  # unbuilt roll-ups are never read
    assert rollups.ensure_fresh(workspace) is True
    st = rollups.state(workspace)
    assert st is not None and st["built"] and not st["building"]
    _same_as_exact(workspace, "metrics", "themes", "journey")


def test_a_killed_build_is_taken_over_once_stale(workspace: Engine) -> None:
    """A builder killed outright (no clean-up ran) leaves its mark: other processes answer
    from the rows until its last stamp is older than the stale limit, then take over."""
    with workspace.begin() as conn:  # what a build leaves when killed after its first step
        top = conn.execute(select(func.max(rollups.F.c.id))).scalar_one()
        rollups._start_staged_build(conn, top)
    st = rollups.state(workspace)
    assert st is not None and st["building"] and not st["built"]
    assert rollups.ensure_fresh(workspace) is False  # a recent stamp: wait, use the rows
    _same_as_exact(workspace, "metrics")  # answered from the rows, still right
    with workspace.begin() as conn:
        conn.execute(
            update(rollups.STATE).values(
                building_at=rollups._now() - rollups.STALE_BUILD - timedelta(seconds=1)
            )
        )
    assert rollups.ensure_fresh(workspace) is True
    st = rollups.state(workspace)
    assert st is not None and st["built"] and not st["building"]
    _same_as_exact(workspace, "metrics", "themes", "journey")


def test_first_cli_analysis_shows_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``cxloop analyze`` builds the roll-ups of a new workspace with a progress callback
    (the bar), then answers; the numbers equal the exact path."""
    from cxloop.cli.main import main

    monkeypatch.setattr(rollups, "STAGED_BUILD_ROWS", 60)
    home = tmp_path / "home"
    eng = make_engine(f"sqlite:///{home / 'cxloop.db'}")
    upgrade(eng)
    seed(eng, customers=120, feedback=600)
    monkeypatch.setenv("CXLOOP_HOME", str(home))
    monkeypatch.delenv("CXLOOP_DATABASE_URL", raising=False)
    monkeypatch.setenv("CXLOOP_SECRET_KEY", "test-secret-key")
    steps: list[int] = []
    real_refresh = rollups.refresh

    def watched(engine: Engine, **kwargs: object) -> dict[str, object]:
        progress = kwargs.get("progress")
        if progress is not None:  # count the steps the bar was told about
            kwargs["progress"] = lambda d, t: (steps.append(d), progress(d, t))  # type: ignore[operator]
        return real_refresh(engine, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rollups, "refresh", watched)
    assert main(["analyze", "metrics", "--by", "segment"]) == 0
    assert "metrics" in capsys.readouterr().out
    assert len(steps) == 9
    st = rollups.state(eng)
    assert st is not None and st["built"]
    _same_as_exact(eng, "metrics")
    eng.dispose()


def test_a_slow_step_is_kept_alive_and_no_beat_lands_after_the_build(
    workspace: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One statement can take minutes on a very large workspace: a heartbeat thread keeps the
    build marked alive meanwhile, and stops before the roll-ups are marked built."""
    import time

    from sqlalchemy import select

    monkeypatch.setattr(rollups, "HEARTBEAT_EVERY", 0.05)

    def building_at() -> object:
        with workspace.connect() as conn:
            return conn.execute(select(rollups.STATE.c.building_at)).scalar()

    seen: list[object] = []

    def slow(done: int, total: int) -> None:
        if done == 1:  # a long statement: only the heartbeat thread can stamp meanwhile
            seen.append(building_at())
            time.sleep(0.4)
            seen.append(building_at())

    rollups.refresh(workspace, progress=slow)
    assert seen[0] is not None and seen[1] is not None and seen[1] > seen[0]  # type: ignore[operator]
    time.sleep(0.2)  # a stray beat would stamp the finished build as building again
    st = rollups.state(workspace)
    assert st is not None and st["built"] and not st["building"] and building_at() is None
