"""People service and CLI on real databases: accounts, roles, passwords, teams, hours."""

from __future__ import annotations

import io
import json
from datetime import time

import pytest
from sqlalchemy import select

from cxloop.errors import ConflictError, NotFoundError, ValidationError
from cxloop.people.hours import BusinessHours
from cxloop.people.teams import create_team, get_team, manager_of
from cxloop.people.users import authenticate, create_user, get_user, set_active
from cxloop.storage.db import transaction
from cxloop.storage.models.people import User


def test_create_user_hashes_password_and_authenticates(engine):
    with transaction(engine) as s:
        create_user(s, email="Ana@Example.com", role="agent", password="correct horse battery")
    with transaction(engine) as s:
        stored = s.scalars(select(User)).one()
        assert stored.email == "ana@example.com"
        assert stored.password_hash.startswith("$argon2id$")
        assert "correct horse" not in stored.password_hash
        assert authenticate(s, "ANA@example.com", "correct horse battery").id == stored.id
        assert authenticate(s, "ana@example.com", "wrong password!!") is None
        assert authenticate(s, "nobody@example.com", "correct horse battery") is None
        set_active(s, stored, False)
        assert authenticate(s, "ana@example.com", "correct horse battery") is None


def test_user_without_password_cannot_sign_in(engine):
    with transaction(engine) as s:
        create_user(s, email="bot@example.com", role="viewer")
        assert authenticate(s, "bot@example.com", "") is None


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"email": "not-an-email", "role": "agent"}, ValidationError, "e-mail"),
        ({"email": "a@example.com", "role": "wizard"}, ValidationError, "unknown role"),
        ({"email": "a@example.com", "role": "agent", "team": "ghosts"}, NotFoundError, "ghosts"),
        (
            {"email": "a@example.com", "role": "agent", "password": "short"},
            ValidationError,
            "shorter",
        ),
    ],
)
def test_bad_user_input_is_a_clear_error(engine, kwargs, error, words):
    with pytest.raises(error, match=words), transaction(engine) as s:
        create_user(s, **kwargs)
    with transaction(engine) as s:
        assert s.scalars(select(User)).all() == []


def test_duplicate_email_conflicts(engine):
    with transaction(engine) as s:
        create_user(s, email="a@example.com", role="agent")
    with pytest.raises(ConflictError), transaction(engine) as s:
        create_user(s, email="A@example.com", role="admin")


def test_team_with_manager_and_hours(engine):
    with transaction(engine) as s:
        create_user(s, email="boss@example.com", role="manager")
        team = create_team(
            s,
            "logistics",
            manager_email="boss@example.com",
            hours=BusinessHours.parse("Mon-Fri 09:00-17:00 Europe/Paris"),
        )
        assert team.business_hours == {
            "tz": "Europe/Paris",
            "days": [0, 1, 2, 3, 4],
            "start": "09:00",
            "end": "17:00",
        }
    with transaction(engine) as s:
        assert manager_of(s, get_team(s, "LOGISTICS")).email == "boss@example.com"
        with pytest.raises(ConflictError):
            create_team(s, "Logistics")
        with pytest.raises(NotFoundError, match="cxloop users create"):
            create_team(s, "support", manager_email="ghost@example.com")


def test_business_hours_parsing():
    hours = BusinessHours.parse("sat-mon 10:00-14:30 UTC")
    assert hours.days == (0, 5, 6) and hours.start == time(10) and hours.end == time(14, 30)
    assert hours.seconds_per_day == 4.5 * 3600
    assert BusinessHours.parse("24x7").always
    assert BusinessHours.from_dict(hours.to_dict()) == hours
    for bad, words in (
        ("Mon-Fri 9-5", "form"),
        ("Mon-Fri 17:00-09:00 UTC", "ends"),
        ("Mon-Fri 09:00-17:00 Mars/Olympus", "time zone"),
        ("Moon-Fri 09:00-17:00", "form|day"),
    ):
        with pytest.raises(ValidationError, match=words):
            BusinessHours.parse(bad)


def test_cli_users_and_teams(cli, monkeypatch):
    assert cli("init").exit_code == 0
    assert cli("users", "create", "--email", "boss@example.com", "--role", "manager").exit_code == 0
    result = cli(
        "teams",
        "create",
        "logistics",
        "--manager",
        "boss@example.com",
        "--hours",
        "Mon-Fri 09:00-17:00 Europe/Paris",
    )
    assert result.exit_code == 0, result.stderr
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    result = cli(
        "users",
        "create",
        "--email",
        "ana@example.com",
        "--role",
        "agent",
        "--team",
        "logistics",
        "--password-stdin",
    )
    assert result.exit_code == 0, result.stderr
    users = json.loads(cli("users", "list", "--format", "json").stdout)
    ana = next(u for u in users if u["email"] == "ana@example.com")
    assert ana["team"] == "logistics" and ana["can_sign_in"] is True
    teams = json.loads(cli("teams", "list", "--format", "json").stdout)
    assert teams == [
        {
            "name": "logistics",
            "manager": "boss@example.com",
            "business_hours": "Mon,Tue,Wed,Thu,Fri 09:00-17:00 Europe/Paris",
            "members": 1,
        }
    ]
    bad = cli("users", "create", "--email", "x@example.com", "--role", "wizard")
    assert bad.exit_code != 0 and "unknown role" in bad.stderr


def test_cli_routing_table(cli):
    cli("init")
    cli("teams", "create", "logistics")
    cli("users", "create", "--email", "eve@example.com", "--role", "agent")
    assert cli("routing", "add", "theme", "Delivery", "--team", "logistics").exit_code == 0
    assert (
        cli("routing", "add", "segment", "Enterprise", "--user", "eve@example.com").exit_code == 0
    )
    rows = json.loads(cli("routing", "list", "--format", "json").stdout)
    assert [(r["dimension"], r["value"], r["team"], r["user"]) for r in rows] == [
        ("theme", "Delivery", "logistics", None),
        ("segment", "Enterprise", None, "eve@example.com"),
    ]
    bad = cli("routing", "add", "planet", "Mars", "--team", "logistics")
    assert bad.exit_code != 0 and "unknown routing dimension" in bad.stderr
    bad = cli("routing", "add", "theme", "Billing", "--user", "ghost@example.com")
    assert bad.exit_code != 0 and "ghost@example.com" in bad.stderr


def test_get_user_unknown_says_how_to_create(engine):
    with pytest.raises(NotFoundError, match="cxloop users create"), transaction(engine) as s:
        get_user(s, "nobody@example.com")
