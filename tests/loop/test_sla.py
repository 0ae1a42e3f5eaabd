"""SLA clocks on business hours, and escalation to the manager when a deadline passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cxloop.errors import ValidationError
from cxloop.loop import cases as case_service
from cxloop.loop.sla import add_business_time, business_seconds_between, parse_duration, run_timers
from cxloop.people.hours import BusinessHours
from cxloop.people.teams import create_team
from cxloop.people.users import create_user
from cxloop.storage.db import transaction
from cxloop.storage.models.loop import CaseEvent

PARIS = BusinessHours.parse("Mon-Fri 09:00-17:00 Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_four_hours_on_friday_afternoon_lands_on_monday():
    # Friday 2026-03-06 16:00 Paris (15:00 UTC): 1 h left on Friday, 3 h on Monday -> 12:00 Paris
    due = add_business_time(utc(2026, 3, 6, 15), parse_duration("4h"), PARIS)
    assert due == utc(2026, 3, 9, 11)


def test_outside_hours_the_clock_starts_next_morning():
    due = add_business_time(utc(2026, 3, 7, 10), parse_duration("30m"), PARIS)  # Saturday
    assert due == utc(2026, 3, 9, 8, 30)  # Monday 09:30 Paris


def test_days_are_working_days():
    due = add_business_time(utc(2026, 3, 5, 8), parse_duration("3d"), PARIS)  # Thu 09:00 Paris
    assert due == utc(2026, 3, 9, 16)  # end of Monday, 17:00 Paris (Thu, Fri, Mon)


def test_daylight_saving_change_is_respected():
    # Europe/Paris moves to summer time on 2026-03-29; 09:00 local is 07:00 UTC from then on.
    due = add_business_time(utc(2026, 3, 27, 15), parse_duration("2h"), PARIS)  # Fri 16:00 CET
    assert due == utc(2026, 3, 30, 8)  # Mon 10:00 CEST


def test_around_the_clock_team():
    assert add_business_time(utc(2026, 3, 7, 10), parse_duration("1d"), BusinessHours()) == utc(
        2026, 3, 8, 10
    )


@pytest.mark.parametrize("bad", ["4", "h", "-2h", "0h", "4 hours", "3w"])
def test_bad_durations(bad):
    with pytest.raises(ValidationError, match="duration"):
        parse_duration(bad)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    minutes=st.integers(1, 60 * 24 * 10),
)
def test_business_time_round_trips(start, minutes):
    due = add_business_time(start, parse_duration(f"{minutes}m"), PARIS)
    assert abs(business_seconds_between(start, due, PARIS) - minutes * 60) < 1e-6
    assert due > start


def _team_case(s, *, at, fr="4h", res="3d"):
    boss = create_user(s, email="boss@example.com", role="manager")
    team = create_team(s, "logistics", manager_email=boss.email, hours=PARIS)
    return case_service.open_case(
        s, title="late parcel", team=team, sla_first_response=fr, sla_resolution=res, at=at
    )


def test_tick_escalates_once_to_the_manager_with_an_email(engine):
    opened = utc(2026, 3, 6, 15)  # Friday 16:00 Paris; first response due Monday 12:00 Paris
    with transaction(engine) as s:
        case = _team_case(s, at=opened)
        case_id = case.id
        assert case.first_response_due_at == utc(2026, 3, 9, 11)
    with transaction(engine) as s:  # Monday 11:59 Paris: not yet
        assert run_timers(s, clock=lambda: utc(2026, 3, 9, 10, 59)).count == 0
    with transaction(engine) as s:
        result = run_timers(s, clock=lambda: utc(2026, 3, 9, 11, 1))
        assert [(e["clock"], e["manager"]) for e in result.escalated] == [
            ("first_response", "boss@example.com")
        ]
    with transaction(engine) as s:  # a second tick does not escalate again
        assert run_timers(s, clock=lambda: utc(2026, 3, 9, 12)).count == 0
        events = s.scalars(select(CaseEvent).where(CaseEvent.kind == "escalated")).all()
        assert len(events) == 1 and events[0].to_value == "boss@example.com"
        assert events[0].at == utc(2026, 3, 9, 11, 1)
        from cxloop.storage.models.delivery import OutboxMessage

        mail = s.scalars(select(OutboxMessage)).one()
        assert mail.channel == "email" and mail.target == "boss@example.com"
        assert mail.idempotency_key == f"case:{case_id}:breach:first_response"
        assert "CX-" in mail.payload["subject"]


def test_responding_in_time_stops_the_clock(engine):
    with transaction(engine) as s:
        case = _team_case(s, at=utc(2026, 3, 6, 15))
        case_service.acknowledge(s, case, "agent", at=utc(2026, 3, 9, 9))
        result = run_timers(s, clock=lambda: utc(2026, 3, 20))
        # first response met; the resolution clock (3 working days) did breach
        assert [e["clock"] for e in result.escalated] == ["resolution"]
        assert case_service.describe(s, case, now=utc(2026, 3, 20))["first_response_sla"] == "met"


def test_resolved_cases_never_escalate(engine):
    with transaction(engine) as s:
        case = _team_case(s, at=utc(2026, 3, 6, 15))
        case_service.resolve(
            s, case, "agent", resolution_code="refund-issued", at=utc(2026, 3, 6, 15, 30)
        )
        assert run_timers(s, clock=lambda: utc(2026, 4, 1)).count == 0


def test_breach_without_a_manager_is_recorded(engine):
    with transaction(engine) as s:
        team = create_team(s, "nomanager")
        case = case_service.open_case(
            s, title="x", team=team, sla_first_response="1h", at=utc(2026, 3, 2, 9)
        )
        result = run_timers(s, clock=lambda: utc(2026, 3, 2, 11))
        assert result.escalated[0]["manager"] is None
        event = case_service.history(s, case)[-1]
        assert event.kind == "escalated" and "no manager" in event.body


def test_cli_tick_with_injected_time(cli, engine):
    assert cli("init").exit_code == 0
    with transaction(engine) as s:
        _team_case(s, at=utc(2026, 3, 6, 15))
    import json

    out = cli("loop", "tick", "--now", "2026-03-09T12:00:00+00:00", "--format", "json")
    assert out.exit_code == 0, out.stderr
    assert [r["clock"] for r in json.loads(out.stdout)] == ["first_response"]
    assert cli("loop", "tick", "--now", "yesterday").exit_code != 0
    _ = timedelta


def test_waiting_on_the_customer_pauses_the_resolution_clock(engine):
    # Opened Monday 2026-03-09 09:00 Paris with 1 working day to resolve: due Monday 17:00 Paris.
    with transaction(engine) as s:
        case = _team_case(s, at=utc(2026, 3, 9, 8), res="1d")
        assert case.resolution_due_at == utc(2026, 3, 9, 16)
        case_service.start(s, case, "agent", at=utc(2026, 3, 9, 9))  # 10:00 Paris
        # 13:00 Paris: 4 working hours left when the agent asks the customer a question
        case_service.wait_on_customer(s, case, "agent", at=utc(2026, 3, 9, 12))
        view = case_service.describe(s, case, now=utc(2026, 3, 11, 9))
        assert view["resolution_sla"] == "paused"
        # Two days of waiting: the timers do not escalate a paused case
        assert run_timers(s, clock=lambda: utc(2026, 3, 11, 9)).count == 0
        # The customer answers Wednesday 10:00 Paris: the 4 hours left run from then on
        event = case_service.start(s, case, "customer", at=utc(2026, 3, 11, 9))
        assert case.resolution_due_at == utc(2026, 3, 11, 13)  # Wednesday 14:00 Paris
        assert event.data == {"resolution_due_at": "2026-03-11T13:00:00+00:00"}
        assert case_service.describe(s, case, now=utc(2026, 3, 11, 10))["resolution_sla"] == (
            "running"
        )
        result = run_timers(s, clock=lambda: utc(2026, 3, 11, 13, 1))
        assert [e["clock"] for e in result.escalated] == ["resolution"]


def test_a_deadline_missed_before_the_pause_stays_missed(engine):
    with transaction(engine) as s:
        case = _team_case(s, at=utc(2026, 3, 9, 8), res="1h")  # due 10:00 Paris
        case_service.start(s, case, "agent", at=utc(2026, 3, 9, 8, 30))
        case_service.wait_on_customer(s, case, "agent", at=utc(2026, 3, 9, 12))  # after due
        assert case_service.describe(s, case, now=utc(2026, 3, 9, 13))["resolution_sla"] == (
            "breached"
        )
        case_service.start(s, case, "customer", at=utc(2026, 3, 10, 9))
        assert case.resolution_due_at == utc(2026, 3, 9, 9)
