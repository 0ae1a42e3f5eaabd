"""Case lifecycle on real databases: the state machine, assignment, notes, codes, history."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from cxloop.errors import ConflictError, NotFoundError, ValidationError
from cxloop.loop import cases as cs
from cxloop.people.teams import create_team
from cxloop.people.users import create_user
from cxloop.storage.db import transaction
from cxloop.storage.models.loop import Case

T = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def people(engine):
    with transaction(engine) as s:
        boss = create_user(s, email="boss@example.com", role="manager")
        create_team(s, "logistics", manager_email=boss.email)
        create_team(s, "billing")
        create_user(s, email="ana@example.com", role="agent", team="logistics")
        create_user(s, email="bob@example.com", role="agent", team="billing")
    return engine


def test_full_lifecycle_and_history(people):
    with transaction(people) as s:
        ana = s.scalars(cs.select(cs.User).where(cs.User.email == "ana@example.com")).one()
        case = cs.open_case(s, title="late parcel", priority="high", at=T)
        ref = case.reference
        assert ref == f"CX-{case.id:06d}" and cs.parse_reference(ref) == case.id
        cs.acknowledge(s, case, ana, at=T.replace(hour=10))
        cs.start(s, case, ana, at=T.replace(hour=11))
        cs.wait_on_customer(s, case, ana, reason="asked for order number", at=T.replace(hour=12))
        cs.transition(
            s, case, "in_progress", "customer", reason="customer answered", at=T.replace(hour=13)
        )
        cs.add_note(s, case, "carrier confirmed the delay", ana, at=T.replace(hour=14))
        cs.resolve(
            s,
            case,
            ana,
            resolution_code="Refund-Issued",
            root_cause="carrier-delay",
            at=T.replace(hour=15),
        )
        cs.close(s, case, ana, at=T.replace(hour=16))
    with transaction(people) as s:
        case = cs.get_case(s, ref)
        assert case.status == "closed"
        assert (case.resolution_code, case.root_cause) == ("refund-issued", "carrier-delay")
        assert case.first_response_at == T.replace(hour=10)
        assert case.resolved_at == T.replace(hour=15) and case.closed_at == T.replace(hour=16)
        steps = [
            (e.kind, e.actor, e.from_value, e.to_value, e.at.hour) for e in cs.history(s, case)
        ]
        assert steps == [
            ("created", "system", None, "new", 9),
            ("status", "ana@example.com", "new", "acknowledged", 10),
            ("status", "ana@example.com", "acknowledged", "in_progress", 11),
            ("status", "ana@example.com", "in_progress", "waiting_on_customer", 12),
            ("status", "customer", "waiting_on_customer", "in_progress", 13),
            ("note", "ana@example.com", None, None, 14),
            ("status", "ana@example.com", "in_progress", "resolved", 15),
            ("status", "ana@example.com", "resolved", "closed", 16),
        ]
        assert cs.history(s, case)[1].actor_user_id is not None
        cs.reopen(s, case, "customer", reason="still broken")
        assert case.status == "in_progress" and case.closed_at is None and case.resolved_at is None
        assert cs.history(s, case)[-1].kind == "reopened"


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ((), "closed"),
        ((), "new"),
        (("acknowledged",), "acknowledged"),
        (("in_progress",), "new"),
        (("in_progress",), "closed"),
    ],
)
def test_transitions_that_are_not_allowed(people, path, target):
    with transaction(people) as s:
        case = cs.open_case(s, title="x")
        for step in path:
            cs.transition(s, case, step, "agent")
        before = len(cs.history(s, case))
        with pytest.raises(ConflictError, match=f"cannot go from {case.status} to {target}"):
            cs.transition(s, case, target, "agent")
        assert len(cs.history(s, case)) == before


def test_resolution_needs_a_code_and_codes_are_checked(people):
    with transaction(people) as s:
        case = cs.open_case(s, title="x")
        with pytest.raises(ConflictError, match="resolution code"):
            cs.transition(s, case, "resolved", "agent")
        with pytest.raises(ValidationError, match="short code"):
            cs.resolve(s, case, "agent", resolution_code="refund issued; DROP TABLE")
        assert case.status == "new" and case.resolution_code is None
        with pytest.raises(ValidationError, match="unknown case status"):
            cs.transition(s, case, "done", "agent")
        with pytest.raises(ConflictError, match="only resolved or closed"):
            cs.reopen(s, case, "agent")


def test_assignment_and_reassignment(people):
    with transaction(people) as s:
        from cxloop.people.teams import get_team
        from cxloop.people.users import get_user

        ana, bob = get_user(s, "ana@example.com"), get_user(s, "bob@example.com")
        case = cs.open_case(s, title="x", team=get_team(s, "logistics"))
        cs.assign(s, case, "lead", user=ana)
        assert case.assignee_id == ana.id
        event = cs.assign(s, case, "lead", user=bob)  # bob is in billing: the case moves there
        assert case.team_id == get_team(s, "billing").id
        assert (event.from_value, event.to_value) == (
            "ana@example.com / team logistics",
            "bob@example.com / team billing",
        )
        cs.assign(s, case, "lead", team=get_team(s, "logistics"))  # back to a queue, unassigned
        assert case.assignee_id is None and case.team_id == get_team(s, "logistics").id
        with pytest.raises(ValidationError):
            cs.assign(s, case, "lead")


def test_unknown_case_and_bad_reference(people):
    with transaction(people) as s:
        with pytest.raises(NotFoundError, match="no case"):
            cs.get_case(s, "CX-999999")
        with pytest.raises(ValidationError, match="case reference"):
            cs.get_case(s, "ticket-7")


def test_a_rule_opens_at_most_one_case_per_feedback_in_the_database(world, engine):
    from cxloop.storage.models.loop import Rule

    fid = world.add_feedback("f1", nps=2)
    with transaction(engine) as s:
        rule = Rule(name="r", when_expr="nps <= 6", actions={})
        s.add(rule)
        s.flush()
        s.add(Case(title="a", rule_id=rule.id, feedback_id=fid))
    with pytest.raises(IntegrityError), transaction(engine) as s:
        s.add(Case(title="b", rule_id=rule.id, feedback_id=fid))


def test_cli_case_commands(cli, people):
    with transaction(people) as s:
        ref = cs.open_case(s, title="late parcel", sla_first_response="4h").reference
    assert cli("cases", "ack", ref, "--as", "ana@example.com").exit_code == 0
    assert cli("cases", "start", ref).exit_code == 0
    assert cli("cases", "note", ref, "called the carrier", "--as", "ana@example.com").exit_code == 0
    out = cli("cases", "assign", ref, "--to", "ghost@example.com")
    assert out.exit_code != 0 and "no user with e-mail 'ghost@example.com'" in out.stderr
    assert cli("cases", "assign", ref, "--to", "bob@example.com").exit_code == 0
    bad = cli("cases", "close", ref)
    assert bad.exit_code != 0 and "cannot go from in_progress to closed" in bad.stderr
    assert "allowed next: waiting_on_customer, resolved" in bad.stderr
    assert (
        cli(
            "cases", "resolve", ref, "--code", "carrier-refund", "--root-cause", "carrier-delay"
        ).exit_code
        == 0
    )
    assert cli("cases", "close", ref).exit_code == 0
    assert cli("cases", "reopen", ref, "--reason", "customer wrote again").exit_code == 0
    shown = json.loads(cli("cases", "show", ref, "--format", "json").stdout)
    assert shown["status"] == "in_progress" and shown["assignee"] == "bob@example.com"
    assert shown["resolution_code"] == "carrier-refund"
    assert [h["kind"] for h in shown["history"]] == [
        "created",
        "status",
        "status",
        "note",
        "assigned",
        "status",
        "status",
        "reopened",
    ]
    assert shown["history"][1]["actor"] == "ana@example.com"
    listed = json.loads(cli("cases", "list", "--status", "open", "--format", "json").stdout)
    assert [c["reference"] for c in listed] == [ref]
    assert json.loads(cli("cases", "list", "--status", "closed", "--format", "json").stdout) == []
    assert cli("cases", "show", "CX-000999").exit_code != 0
