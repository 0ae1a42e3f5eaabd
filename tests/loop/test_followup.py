"""Follow-up by a signed single-use link, and the closed-loop metrics built on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from delivery_fixtures import FakeClock, SmtpServer
from sqlalchemy import select
from test_dialogue import make_case

from cxloop.config import Settings
from cxloop.errors import ConflictError, PermissionDenied, ValidationError
from cxloop.loop import cases as case_service
from cxloop.loop.followup import answer_followup, due_followups, send_followup
from cxloop.loop.mail import EmailDeliverer
from cxloop.loop.metrics import load_cases_frame, loop_metrics, median_with_interval, wilson
from cxloop.loop.worker import Worker
from cxloop.storage.db import transaction
from cxloop.storage.models.core import Customer
from cxloop.storage.models.delivery import FollowUp
from cxloop.storage.models.people import Team, User


def _resolve(engine, case_id, at=None):
    with transaction(engine) as s:
        case = case_service.get_case(s, case_id)
        case_service.resolve(s, case, "sam", resolution_code="fixed", at=at)


def test_followup_link_works_once_and_is_stored_on_the_case(engine, settings):
    smtp = SmtpServer().start()
    try:
        cfg = settings.model_copy(update={"smtp_url": smtp.url})
        case_id = make_case(engine)
        with transaction(engine) as s, pytest.raises(ConflictError, match="after resolution"):
            send_followup(s, cfg, case_service.get_case(s, case_id))
        _resolve(engine, case_id)
        with transaction(engine) as s:
            sent = send_followup(s, cfg, case_service.get_case(s, case_id))
        worker = Worker(engine, {"email": EmailDeliverer(cfg)})
        worker.run_once()
        worker.close()
        [mail] = smtp.messages
    finally:
        smtp.stop()
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    assert sent.link in text.get_payload(decode=True).decode()
    with transaction(engine) as s:
        f = answer_followup(s, cfg, sent.token, "9", comment="quick fix, thanks")
        assert (f.score, f.resolved) == (9.0, True)
    with transaction(engine) as s, pytest.raises(ConflictError, match="already answered"):
        answer_followup(s, cfg, sent.token, "2")
    with transaction(engine) as s:
        assert s.scalars(select(FollowUp)).one().score == 9.0
        kinds = [e.kind for e in case_service.history(s, case_service.get_case(s, case_id))]
        assert kinds[-2:] == ["followup_sent", "followup_answered"]
    with transaction(engine) as s, pytest.raises(ConflictError, match="already had"):
        send_followup(s, cfg, case_service.get_case(s, case_id))


def test_tampered_expired_and_invalid_answers(engine, settings):
    clock = FakeClock(datetime.now(UTC))
    case_id = make_case(engine)
    _resolve(engine, case_id)
    with transaction(engine) as s:
        sent = send_followup(
            s, settings, case_service.get_case(s, case_id), kind="yesno", now=clock.now
        )
    tampered = sent.token[:-2] + ("AA" if not sent.token.endswith("AA") else "BB")
    with transaction(engine) as s, pytest.raises(PermissionDenied):
        answer_followup(s, settings, tampered, "yes")
    other_key = Settings(home=settings.home, secret_key="another-workspace")
    with transaction(engine) as s, pytest.raises(PermissionDenied):
        answer_followup(s, other_key, sent.token, "yes")
    with transaction(engine) as s, pytest.raises(ValidationError, match="yes or no"):
        answer_followup(s, settings, sent.token, "maybe", now=clock.now)
    with transaction(engine) as s, pytest.raises(ConflictError, match="expired"):
        answer_followup(s, settings, sent.token, "yes", now=clock.now + timedelta(days=15))
    with transaction(engine) as s:
        f = answer_followup(s, settings, sent.token, "no", now=clock.now + timedelta(days=1))
        assert f.resolved is False and f.score is None


def test_due_followups_waits_for_the_delay(engine, settings):
    resolved_at = datetime(2026, 6, 1, 12, tzinfo=UTC)
    case_id = make_case(engine)
    _resolve(engine, case_id, at=resolved_at)
    make_case(engine)  # still open: never due
    with transaction(engine) as s:
        assert due_followups(s, now=resolved_at + timedelta(hours=2)) == []
        due = due_followups(s, now=resolved_at + timedelta(hours=25))
        assert [c.id for c in due] == [case_id]


def test_loop_metrics_by_team_with_intervals_and_suppression(engine, settings):
    t0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
    with transaction(engine) as s:
        fast, slow = Team(name="fast"), Team(name="tiny")
        s.add_all([fast, slow])
        s.flush()
        agent = User(email="sam@shop.example", role="agent", team_id=fast.id)
        s.add(agent)
        s.flush()
        team_ids = {"fast": fast.id, "tiny": slow.id}
    for i in range(12):
        case_id = make_case(engine, nps=2)
        team = "fast" if i < 10 else "tiny"
        with transaction(engine) as s:
            case = case_service.get_case(s, case_id)
            case.team_id = team_ids[team]
            case.assignee_id = agent.id if team == "fast" else None
            case.created_at = t0
            case.first_response_due_at = t0 + timedelta(hours=4)
            case.resolution_due_at = t0 + timedelta(days=3)
            case_service.transition(s, case, "acknowledged", "sam", at=t0 + timedelta(hours=i + 1))
            case_service.resolve(
                s, case, "sam", resolution_code="fixed", at=t0 + timedelta(hours=10 * (i + 1))
            )
        if i < 6:
            with transaction(engine) as s:
                sent = send_followup(
                    s, settings, case_service.get_case(s, case_id), now=t0 + timedelta(days=5)
                )
            with transaction(engine) as s:
                answer_followup(
                    s, settings, sent.token, "10" if i < 3 else "4", now=t0 + timedelta(days=6)
                )
        elif i < 8:
            with transaction(engine) as s:
                cust = s.get(Customer, case_service.get_case(s, case_id).customer_id)
                cust.status, cust.churned_at = "churned", t0 + timedelta(days=20)
    result = loop_metrics(load_cases_frame(engine), by="team", now=t0 + timedelta(days=30))
    rows = {r["team"]: r for r in result.rows}
    assert "suppressed" in rows["tiny"]["note"] and "sla_attainment" not in rows["tiny"]
    fast_row = rows["fast"]
    assert fast_row["cases"] == 10 and fast_row["first_response_n"] == 10
    assert fast_row["first_response_h"] == pytest.approx(5.5)
    lo, hi = fast_row["first_response_ci"]
    assert lo <= 5.5 <= hi
    # first response: hours 1-4 met (4 of 10); resolution: 10h..100h vs 72h -> 7 of 10 met
    assert fast_row["sla_clocks"] == 20 and fast_row["sla_attainment"] == pytest.approx(11 / 20)
    # recovered: 3 promoters on follow-up + 2 who stayed (i=8,9); 3 answered 4 but stayed too
    assert fast_row["detractor_cases"] == 10
    assert fast_row["recovery_rate"] == pytest.approx(8 / 10)
    owner = loop_metrics(load_cases_frame(engine), by="owner", now=t0 + timedelta(days=30))
    assert {r["owner"] for r in owner.rows} == {"sam@shop.example", "(none)"}


def test_interval_helpers():
    lo, hi = wilson(8, 10)
    assert 0.44 < lo < 0.5 and 0.94 < hi < 0.97
    import numpy as np

    med, lo, hi = median_with_interval(np.arange(1.0, 101.0))
    assert med == 50.5 and lo < 50.5 < hi and hi - lo < 25
