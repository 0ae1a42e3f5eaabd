"""Workspace enrichment on real SQLite and PostgreSQL: incremental, resumable (also after a
real SIGKILL), multi-process, corrections kept. ``KeywordBackend`` stands in for the model."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from test_pipeline_support import FailingBackend, KeywordBackend

from cxloop.storage.db import transaction
from cxloop.storage.models import Enrichment, Feedback, FeedbackTheme, Source, Theme
from cxloop.text.backends.base import register_backend
from cxloop.text.enrich import count_pending, enrich_workspace
from cxloop.text.taxonomy import import_taxonomy, parse_taxonomy

HERE = Path(__file__).resolve().parent
TEXTS = [
    "My parcel never arrived",
    "The app crashes at login, I'm cancelling",
    "Great value, love it",
    "",
    "😀😀",
    "I was charged twice, call me on +44 20 7946 0958",
    "Support was rude and I was on hold for an hour",
    "Le colis est arrivé en retard",
]


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def add_feedback(engine, texts, *, source="web form", channel=None) -> list[int]:
    with transaction(engine) as session:
        src = session.scalar(select(Source).where(Source.name == source))
        if src is None:
            src = Source(name=source, channel=channel)
            session.add(src)
            session.flush()
        start = session.scalar(select(func.count()).select_from(Feedback)) or 0
        rows = [
            Feedback(source_id=src.id, dedup_key=f"k{start + i}", content_hash=_hash(t), text=t)
            for i, t in enumerate(texts)
        ]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def snapshot(engine) -> tuple[list[tuple], list[tuple]]:
    """The stored outcome, without timestamps."""
    with engine.connect() as conn:
        enrichments = conn.execute(
            select(
                Enrichment.feedback_id,
                Enrichment.model_version,
                Enrichment.content_hash,
                Enrichment.language,
                Enrichment.sentiment_label,
                Enrichment.sentiment_score,
                Enrichment.journey_stage,
                Enrichment.touchpoint,
                Enrichment.churn_risk,
                Enrichment.redacted_text,
            ).order_by(Enrichment.feedback_id)
        ).all()
        themes = conn.execute(
            select(
                FeedbackTheme.feedback_id,
                FeedbackTheme.theme_id,
                FeedbackTheme.confidence,
                FeedbackTheme.sentiment_label,
                FeedbackTheme.origin,
            ).order_by(FeedbackTheme.feedback_id, FeedbackTheme.theme_id)
        ).all()
    return [tuple(r) for r in enrichments], [tuple(r) for r in themes]


def test_enriches_everything_then_nothing(engine, settings) -> None:
    ids = add_feedback(engine, TEXTS)
    result = enrich_workspace(engine, settings, KeywordBackend(), progress=False, batch_size=3)
    assert (result.pending, result.enriched, result.total_feedback) == (8, 8, 8)
    enrichments, themes = snapshot(engine)
    assert [e[0] for e in enrichments] == ids  # no row lost, bad input included
    by_id = {e[0]: e for e in enrichments}
    assert by_id[ids[0]][4] == "negative"
    assert by_id[ids[3]][3:5] == ("und", "neutral")
    assert by_id[ids[1]][8] is True  # churn risk
    assert "[PHONE]" in by_id[ids[5]][9]
    assert by_id[ids[7]][3] == "fr"
    assert any(t[0] == ids[0] for t in themes)
    again = enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    assert (again.pending, again.enriched) == (0, 0)
    assert snapshot(engine)[0] == enrichments


def test_only_new_changed_or_outdated_rows_are_redone(engine, settings) -> None:
    ids = add_feedback(engine, TEXTS)
    enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    new_ids = add_feedback(engine, ["Excellent help from the agent"])
    with transaction(engine) as session:
        session.execute(
            update(Feedback)
            .where(Feedback.id == ids[2])
            .values(text="Terrible, it broke", content_hash=_hash("Terrible, it broke"))
        )
    result = enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    assert (result.pending, result.enriched) == (2, 2)
    with engine.connect() as conn:
        label = conn.scalar(
            select(Enrichment.sentiment_label).where(Enrichment.feedback_id == ids[2])
        )
    assert label == "negative"
    assert count_pending(engine, result.model_version) == (0, len(ids) + len(new_ids))
    # a new model version redoes everything
    newer = enrich_workspace(engine, settings, KeywordBackend("stub-2"), progress=False)
    assert newer.enriched == len(ids) + len(new_ids)


def test_taxonomy_change_redoes_and_corrections_win(engine, settings) -> None:
    ids = add_feedback(engine, TEXTS)
    enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    with transaction(engine) as session:
        returns_id = session.scalar(select(Theme.id).where(Theme.name == "Returns"))
        delivery_id = session.scalar(select(Theme.id).where(Theme.name == "Delivery"))
        # a person says feedback 0 is about Returns, and confirms Delivery as positive
        session.execute(
            delete(FeedbackTheme).where(
                FeedbackTheme.feedback_id == ids[0], FeedbackTheme.theme_id == delivery_id
            )
        )
        session.add_all(
            [
                FeedbackTheme(
                    feedback_id=ids[0],
                    theme_id=returns_id,
                    confidence=1.0,
                    sentiment_label="negative",
                    sentiment_score=-1.0,
                    origin="correction",
                ),
                FeedbackTheme(
                    feedback_id=ids[0],
                    theme_id=delivery_id,
                    confidence=1.0,
                    sentiment_label="positive",
                    sentiment_score=1.0,
                    origin="correction",
                ),
            ]
        )
    import_taxonomy(
        engine, parse_taxonomy("themes:\n  - name: Delivery\n    keywords: [parcel, arrived]\n")
    )
    result = enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    assert result.enriched == len(ids)
    with engine.connect() as conn:
        rows = conn.execute(
            select(FeedbackTheme.theme_id, FeedbackTheme.origin, FeedbackTheme.sentiment_label)
            .where(FeedbackTheme.feedback_id == ids[0])
            .order_by(FeedbackTheme.theme_id)
        ).all()
    assert {(r[0], r[1], r[2]) for r in rows} == {
        (returns_id, "correction", "negative"),
        (delivery_id, "correction", "positive"),
    }


def test_interrupted_run_resumes_to_the_same_state(engine, settings) -> None:
    add_feedback(engine, TEXTS * 5)
    with pytest.raises(RuntimeError, match="simulated crash"):
        enrich_workspace(
            engine, settings, FailingBackend(fail_on_call=3), progress=False, batch_size=7
        )
    done_before = snapshot(engine)[0]
    assert 0 < len(done_before) < len(TEXTS) * 5  # two batches were committed
    result = enrich_workspace(engine, settings, KeywordBackend(), progress=False, batch_size=7)
    assert result.enriched == len(TEXTS) * 5 - len(done_before)
    resumed = snapshot(engine)
    with transaction(engine) as session:
        session.execute(delete(FeedbackTheme))
        session.execute(delete(Enrichment))
    enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    assert snapshot(engine) == resumed


KILL_SCRIPT = """
import sys, time
from test_pipeline_support import KeywordBackend
from cxloop.config import Settings
from cxloop.storage.db import make_engine
from cxloop.text.pipeline import enrich_workspace

class Slow(KeywordBackend):
    def sentiment(self, texts):
        time.sleep(0.3)
        return super().sentiment(texts)

url = sys.argv[1]
enrich_workspace(make_engine(url), Settings(database_url=url), Slow(), progress=False,
                 batch_size=5)
"""


def test_sigkill_mid_run_then_rerun_gives_the_same_state(engine, settings, db_url) -> None:
    total = 60
    add_feedback(engine, (TEXTS * 10)[:total])
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, db_url], env=env)
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline and proc.poll() is None:
            with engine.connect() as conn:
                done = conn.scalar(select(func.count()).select_from(Enrichment)) or 0
            if done >= 10:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    with engine.connect() as conn:
        done = conn.scalar(select(func.count()).select_from(Enrichment)) or 0
    assert 0 < done < total
    enrich_workspace(engine, settings, KeywordBackend(), progress=False, batch_size=5)
    resumed = snapshot(engine)
    assert len(resumed[0]) == total
    with transaction(engine) as session:
        session.execute(delete(FeedbackTheme))
        session.execute(delete(Enrichment))
    enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    assert snapshot(engine) == resumed


def test_two_workers_give_the_same_result(engine, settings, monkeypatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    add_feedback(engine, TEXTS * 10)
    result = enrich_workspace(
        engine, settings, KeywordBackend(), workers=2, progress=False, batch_size=10
    )
    assert (result.workers, result.enriched) == (2, 80)
    parallel = snapshot(engine)
    with transaction(engine) as session:
        session.execute(delete(FeedbackTheme))
        session.execute(delete(Enrichment))
    enrich_workspace(engine, settings, KeywordBackend(), workers=1, progress=False)
    assert snapshot(engine) == parallel


def test_original_text_is_replaced_when_the_workspace_does_not_keep_it(engine, settings) -> None:
    [fid] = add_feedback(engine, ["mail me at jo@example.com, my name is Jo Baker"])
    strict = settings.model_copy(update={"keep_original_text": False})
    enrich_workspace(engine, strict, KeywordBackend(), progress=False)
    with engine.connect() as conn:
        text = conn.scalar(select(Feedback.text).where(Feedback.id == fid))
    assert text == "mail me at [EMAIL], my name is [PERSON]"
    assert enrich_workspace(engine, strict, KeywordBackend(), progress=False).enriched == 0


def test_source_channel_places_the_journey(engine, settings) -> None:
    [fid] = add_feedback(engine, ["the app is great"], source="Post-delivery survey Q3")
    enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    with engine.connect() as conn:
        row = conn.execute(
            select(Enrichment.journey_stage, Enrichment.touchpoint, Enrichment.stage_source).where(
                Enrichment.feedback_id == fid
            )
        ).one()
    assert tuple(row) == ("Receive", "Delivery", "metadata")


def test_cli_enrich(cli, settings) -> None:
    register_backend("keyword-stub", KeywordBackend)
    assert cli("init").exit_code == 0
    from cxloop.storage.db import engine_for

    engine = engine_for(settings)
    add_feedback(engine, TEXTS)
    result = cli("enrich", "--backend", "keyword-stub", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert '"enriched": 8' in result.stdout
    result = cli("enrich", "--backend", "keyword-stub", "--format", "json")
    assert '"enriched": 0' in result.stdout
    result = cli("enrich", "--backend", "nope")
    assert result.exit_code == 2 and "unknown text backend" in result.stderr
    engine.dispose()


def test_a_second_concurrent_run_is_refused(engine, settings) -> None:
    import fcntl

    from cxloop.errors import ConflictError
    from cxloop.text.pipeline import ENRICH_LOCK_KEY  # the re-export works too

    add_feedback(engine, TEXTS)
    if engine.dialect.name == "postgresql":
        holder = engine.connect()
        holder.scalar(select(func.pg_advisory_lock(ENRICH_LOCK_KEY)))
        holder.commit()
        release = lambda: (  # noqa: E731
            holder.scalar(select(func.pg_advisory_unlock(ENRICH_LOCK_KEY))),
            holder.close(),
        )
    else:
        settings.home.mkdir(parents=True, exist_ok=True)
        handle = (settings.home / "enrich.lock").open("a+")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        release = handle.close
    try:
        with pytest.raises(ConflictError, match="already running"):
            enrich_workspace(engine, settings, KeywordBackend(), progress=False)
    finally:
        release()
    assert enrich_workspace(engine, settings, KeywordBackend(), progress=False).enriched == 8
