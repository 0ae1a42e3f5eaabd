"""Customer words render as text (never markup) and personal data is redacted."""

from __future__ import annotations


def test_script_in_a_verbatim_renders_as_text(shared):
    client = shared.login("admin")
    page = client.get("/verbatims?stage=Delivery&q=alert")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(" in page.text
    assert "<script>alert(" not in page.text


def test_script_in_a_case_thread_renders_as_text(shared):
    client = shared.login("agent")
    page = client.get(f"/cases/{shared.seeded.case_a}")
    assert page.status_code == 200
    assert "&lt;script&gt;" in page.text and "<script>alert(" not in page.text


def test_phone_number_is_redacted_where_shown(shared):
    client = shared.login("viewer")
    page = client.get("/verbatims?q=parcel+came+late")
    assert "7946 0958" not in page.text
    api = shared.api("viewer", scope="read")
    rows = api.get("/api/v1/verbatims", params={"q": "parcel came late"}).json()["rows"]
    assert rows and all("7946" not in (r["text"] or "") for r in rows)


def test_pages_send_a_content_security_policy(shared):
    resp = shared.login("viewer").get("/")
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    assert resp.headers["x-frame-options"] == "DENY"
