"""The authorization matrix: every route called by every role, against a real server.

The expectations below are the specification, written out by hand (not derived from the
permission table the app uses), so a change to the app's rules that breaks them fails here.
"""

from __future__ import annotations

import pytest

from conftest import csrf_of

ROLES = ("admin", "analyst", "manager", "agent", "viewer")
EVERYONE = dict.fromkeys(ROLES, 200)


def only(ok: int, allowed: tuple[str, ...], **others: int) -> dict[str, int]:
    """``ok`` for the allowed roles, 403 for the rest unless ``others`` says otherwise."""
    return {r: ok if r in allowed else others.get(r, 403) for r in ROLES}


CASE_READERS = ("admin", "analyst", "manager", "agent")
CASE_ACTORS = ("admin", "manager", "agent")


def page_routes(s) -> list[tuple[str, str, dict[str, int]]]:
    return [
        ("GET", "/", EVERYONE),
        ("GET", "/journey", EVERYONE),
        ("GET", "/themes", EVERYONE),
        ("GET", "/verbatims", EVERYONE),
        ("GET", "/verbatims?stage=Delivery", EVERYONE),
        ("GET", "/analysis/drivers", EVERYONE),
        ("GET", "/analysis/segments", EVERYONE),
        ("GET", "/analysis/opportunities", EVERYONE),
        ("GET", "/plans", EVERYONE),
        ("GET", "/plans/gaps", EVERYONE),
        ("GET", "/taxonomy", only(200, ("admin", "analyst"))),
        ("GET", "/cases", only(200, CASE_READERS)),
        ("GET", f"/cases/{s.case_a}", only(200, CASE_READERS)),
        # team B's case: outside a team-A manager's and agent's scope -> 404
        ("GET", f"/cases/{s.case_b}", only(200, ("admin", "analyst"), manager=404, agent=404)),
        ("GET", "/data", only(200, ("admin", "analyst"))),
        ("GET", "/data/quarantine", only(200, ("admin", "analyst"))),
        ("GET", "/data/jobs/no-such-job", only(404, ("admin", "analyst"))),
        ("GET", "/admin/users", only(200, ("admin",))),
        ("GET", "/admin/audit", only(200, ("admin",))),
    ]


def api_get_routes(s) -> list[tuple[str, str, dict[str, int]]]:
    return [
        ("GET", "/api/v1/me", EVERYONE),
        ("GET", "/api/v1/metrics", EVERYONE),
        ("GET", "/api/v1/metrics?by=segment", EVERYONE),
        ("GET", "/api/v1/themes", EVERYONE),
        ("GET", "/api/v1/journey", EVERYONE),
        ("GET", "/api/v1/verbatims", EVERYONE),
        ("GET", "/api/v1/drivers", EVERYONE),
        ("GET", "/api/v1/analyses/segments", EVERYONE),
        ("GET", "/api/v1/analyses/nonsense", dict.fromkeys(ROLES, 404)),
        ("GET", "/api/v1/actions", EVERYONE),
        ("GET", "/api/v1/cases", only(200, CASE_READERS)),
        ("GET", f"/api/v1/cases/{s.case_a}", only(200, CASE_READERS)),
        (
            "GET",
            f"/api/v1/cases/{s.case_b}",
            only(200, ("admin", "analyst"), manager=404, agent=404),
        ),
        ("GET", "/api/v1/cases/999999", only(404, CASE_READERS)),
    ]


def test_every_page_for_every_role(shared):
    failures = []
    for role in ROLES:
        client = shared.login(role)
        for method, path, expected in page_routes(shared.seeded):
            got = client.request(method, path).status_code
            if got != expected[role]:
                failures.append(f"{role} {method} {path}: {got} != {expected[role]}")
    assert not failures, "\n".join(failures)


def test_every_api_read_for_every_role(shared):
    failures = []
    for role in ROLES:
        client = shared.api(role, scope="read")
        for method, path, expected in api_get_routes(shared.seeded):
            resp = client.request(method, path)
            if resp.status_code != expected[role]:
                failures.append(f"{role} {method} {path}: {resp.status_code} != {expected[role]}")
            if resp.status_code >= 400:
                assert "error" in resp.json(), (path, resp.text)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_every_api_write_for_every_role(shared, role):
    s = shared.seeded
    client = shared.api(role, scope="write")
    item = {
        "external_id": f"matrix-{role}",
        "text": "matrix check",
        "nps": 7,
        "received_at": "2026-05-01",
    }
    writes = [
        (
            "POST",
            "/api/v1/feedback",
            {"source": "matrix", "items": [item]},
            only(200, ("admin", "analyst")),
        ),
        (
            "POST",
            "/api/v1/customers",
            {"source": "matrix", "items": [{"external_id": f"mc-{role}", "segment": "SMB"}]},
            only(200, ("admin", "analyst")),
        ),
        (
            "POST",
            "/api/v1/metrics",
            {
                "source": "matrix",
                "items": [{"name": f"sales_{role}", "period": "2026-01", "value": 10}],
            },
            only(200, ("admin", "analyst")),
        ),
        (
            "POST",
            f"/api/v1/cases/{s.case_a}/notes",
            {"body": f"note by {role}"},
            only(200, CASE_ACTORS),
        ),
        (
            "POST",
            f"/api/v1/cases/{s.case_b}/notes",
            {"body": f"note by {role}"},
            only(200, ("admin",), manager=404, agent=404),
        ),
        (
            "POST",
            f"/api/v1/cases/{s.case_a}/priority",
            {"priority": "high"},
            only(200, CASE_ACTORS),
        ),
    ]
    failures = []
    for method, path, body, expected in writes:
        resp = client.request(method, path, json=body)
        if resp.status_code != expected[role]:
            failures.append(
                f"{role} {method} {path}: {resp.status_code} != {expected[role]} {resp.text[:200]}"
            )
    raw = (
        b"From: someone@example.org\r\nTo: cx@cxloop.local\r\nSubject: hello\r\n"
        b"Message-ID: <m-" + role.encode() + b"@example.org>\r\n\r\nno reference here\r\n"
    )
    resp = client.post(
        "/api/v1/mail/inbound", content=raw, headers={"Content-Type": "message/rfc822"}
    )
    expected_mail = only(200, CASE_READERS)[role]
    if resp.status_code != expected_mail:
        failures.append(f"{role} POST /api/v1/mail/inbound: {resp.status_code} {resp.text[:200]}")
    elif resp.status_code == 200:
        assert resp.json()["status"] == "quarantined"
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_every_form_for_every_role(shared, role):
    s = shared.seeded
    client = shared.login(role)
    token = csrf_of(client.get("/").text)
    forms = [
        (f"/cases/{s.case_a}/note", {"body": f"form note by {role}"}, only(303, CASE_ACTORS)),
        (
            f"/cases/{s.case_b}/note",
            {"body": f"form note by {role}"},
            only(303, ("admin",), manager=404, agent=404),
        ),
        (f"/cases/{s.case_a}/assign", {"assignee": "agent@example.com"}, only(303, CASE_ACTORS)),
        ("/admin/teams", {"name": f"Team of {role}"}, only(303, ("admin",))),
        ("/taxonomy/proposals/999999", {"decision": "reject"}, only(404, ("admin", "analyst"))),
        ("/data/quarantine/999999/discard", {}, only(404, ("admin", "analyst"))),
        ("/data/upload", {"kind": "feedback"}, only(422, ("admin", "analyst"))),  # no file
    ]
    failures = []
    for path, data, expected in forms:
        got = client.post(path, data={**data, "csrf_token": token}).status_code
        if got != expected[role]:
            failures.append(f"{role} POST {path}: {got} != {expected[role]}")
    assert not failures, "\n".join(failures)


def test_segment_scope_narrows_every_figure(shared):
    everyone = shared.api("viewer", scope="read").get("/api/v1/metrics?by=segment").json()
    scoped = shared.api("smb_viewer", scope="read").get("/api/v1/metrics?by=segment").json()
    assert {r["segment"] for r in everyone["rows"]} >= {"SMB", "Enterprise"}
    assert [r["segment"] for r in scoped["rows"]] == ["SMB"]
    smb_all = next(r for r in everyone["rows"] if r["segment"] == "SMB")
    assert scoped["rows"][0]["nps"] == smb_all["nps"]
    total_scoped = shared.api("smb_viewer", scope="read").get("/api/v1/metrics").json()
    assert sum(r["volume"] for r in total_scoped["rows"]) == smb_all["volume"]
