"""``cxloop serve`` helpers: demo detection and the demo login; ``tokens`` errors."""

from __future__ import annotations

from cxloop.cli.serve import demo_login, is_demo
from cxloop.people.passwords import verify_password
from cxloop.people.users import find_user
from cxloop.storage.db import transaction
from cxloop.storage.models import Source


def test_demo_login_is_created_once_and_signs_in(engine, tmp_path):
    assert not is_demo(engine, tmp_path)
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "customers.csv").write_text("customer_id\n1\n")
    with transaction(engine) as db:
        db.add(Source(name="nps-survey", kind="file"))
    assert is_demo(engine, tmp_path)
    first = demo_login(engine)
    assert demo_login(engine) == first
    with transaction(engine) as db:
        user = find_user(db, first["email"])
        assert user is not None and user.role == "admin"
        assert verify_password(user.password_hash, first["password"])


def test_tokens_create_refuses_unknown_user_and_scope(cli):
    unknown = cli("tokens", "create", "--user", "nobody@example.com", "--scope", "read")
    assert unknown.exit_code != 0 and "no user" in unknown.stderr
    assert cli("tokens", "revoke", "424242").exit_code != 0
