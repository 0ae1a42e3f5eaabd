"""Sign-in, sessions, CSRF, rate limiting and API tokens against a real server."""

from __future__ import annotations

import re

from web_seed import PASSWORD

from conftest import csrf_of


def _login_token(client):
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_pages_redirect_to_login_and_back(shared):
    client = shared.client()
    resp = client.get("/themes?channel=email")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=%2Fthemes%3Fchannel%3Demail"


def test_session_cookie_is_http_only_and_same_site(shared):
    client = shared.client()
    token = _login_token(client)
    resp = client.post(
        "/login",
        data={
            "email": "admin@example.com",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/journey",
        },
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/journey"
    cookie = [h for h in resp.headers.get_list("set-cookie") if h.startswith("cxloop_session=")]
    assert cookie, resp.headers
    assert "httponly" in cookie[0].lower() and "samesite=lax" in cookie[0].lower()
    assert client.get("/journey").status_code == 200


def test_login_refuses_wrong_password_and_forged_form(live):
    client = live.client()
    token = _login_token(client)
    wrong = client.post(
        "/login",
        data={"email": "admin@example.com", "password": "nope-nope-1", "csrf_token": token},
    )
    assert wrong.status_code == 401
    assert "wrong e-mail or password" in wrong.text
    assert "cxloop_session" not in client.cookies
    forged = live.client().post(
        "/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": "x" * 30}
    )
    assert forged.status_code == 403


def test_login_is_rate_limited_per_email(live):
    client = live.client()
    for _ in range(5):
        token = _login_token(client)
        resp = client.post(
            "/login",
            data={"email": "viewer@example.com", "password": "wrong-password", "csrf_token": token},
        )
        assert resp.status_code == 401
    token = _login_token(client)
    blocked = client.post(
        "/login", data={"email": "viewer@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert "too many failed sign-ins" in blocked.text
    # another account from the same address is still allowed
    live.login("analyst")


def test_open_redirect_is_refused(shared):
    client = shared.client()
    token = _login_token(client)
    resp = client.post(
        "/login",
        data={
            "email": "admin@example.com",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert resp.headers["location"] == "/"


def test_forms_without_csrf_token_are_refused(shared):
    client = shared.login("admin")
    html = client.get("/admin/users").text
    token = csrf_of(html)
    no_token = client.post("/admin/teams", data={"name": "Sneaky"})
    assert no_token.status_code == 403
    bad_token = client.post("/admin/teams", data={"name": "Sneaky", "csrf_token": "forged"})
    assert bad_token.status_code == 403
    ok = client.post("/admin/teams", data={"name": "Real team", "csrf_token": token})
    assert ok.status_code == 303
    listing = client.get("/admin/users").text
    assert "Real team" in listing and "Sneaky" not in listing


def test_logout_ends_the_session_server_side(shared):
    client = shared.login("viewer")
    cookie = client.cookies.get("cxloop_session")
    token = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    replay = shared.client()
    replay.cookies.set("cxloop_session", cookie)
    assert replay.get("/").status_code == 303  # back to the sign-in page


def test_api_status_codes_for_credentials(shared):
    anon = shared.client()
    resp = anon.get("/api/v1/metrics")
    assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
    assert resp.json()["error"]
    bad = shared.client()
    bad.headers["Authorization"] = "Bearer cxl_not-a-token"
    assert bad.get("/api/v1/metrics").status_code == 401
    reader = shared.api("analyst", scope="read")
    assert reader.get("/api/v1/metrics").status_code == 200
    denied = reader.post("/api/v1/feedback", json={"source": "x", "items": [{"text": "hi"}]})
    assert denied.status_code == 403
    assert "read-only" in denied.json()["error"]


def test_revoked_token_stops_working(live, cli):
    from cxloop.storage.db import make_engine, transaction
    from cxloop.storage.models.web import ApiToken

    result = cli("tokens", "create", "--user", "analyst@example.com", "--scope", "read")
    assert result.exit_code == 0, result.stderr
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("cxl_")
    client = live.client()
    client.headers["Authorization"] = f"Bearer {secret}"
    assert client.get("/api/v1/me").json()["email"] == "analyst@example.com"
    engine = make_engine(live.settings.resolved_database_url)
    with transaction(engine) as db:
        row = db.query(ApiToken).filter(ApiToken.prefix == secret[:12]).one()
        assert secret not in (row.token_hash, row.prefix + "x")
        token_id = row.id
    engine.dispose()
    listed = cli("tokens", "list", "--format", "json")
    assert secret not in listed.stdout and f'"id": {token_id}' in listed.stdout
    assert cli("tokens", "revoke", str(token_id)).exit_code == 0
    assert client.get("/api/v1/me").status_code == 401
