"""The REST API against a real server: batches, idempotency, per-item errors, status codes,
figures with n and intervals, OpenAPI."""

from __future__ import annotations

from sqlalchemy import func, select

from cxloop.storage.db import make_engine, transaction
from cxloop.storage.models import Feedback, Source


def _count(live, source: str) -> int:
    engine = make_engine(live.settings.resolved_database_url)
    with transaction(engine) as db:
        n = db.scalar(
            select(func.count()).select_from(Feedback).join(Source).where(Source.name == source)
        )
    engine.dispose()
    return int(n or 0)


def test_feedback_batch_is_idempotent_with_per_item_errors(shared):
    client = shared.api("analyst")
    items = [
        {
            "external_id": f"api-{i}",
            "text": f"item {i}",
            "nps": i % 11,
            "received_at": "2026-06-01T10:00:00Z",
            "channel": "app",
        }
        for i in range(20)
    ]
    items[3]["nps"] = 14  # out of range
    items[7]["received_at"] = "not a date"
    first = client.post("/api/v1/feedback", json={"source": "app-store", "items": items})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["received"] == 20 and body["inserted"] == 18
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(3, "nps"), (7, "received_at")]
    assert "14" in body["errors"][0]["message"]
    assert _count(shared, "app-store") == 18
    again = client.post("/api/v1/feedback", json={"source": "app-store", "items": items}).json()
    assert again["inserted"] == 0 and again["unchanged"] == 18
    assert _count(shared, "app-store") == 18
    items[0]["text"] = "item 0, edited"
    edited = client.post("/api/v1/feedback", json={"source": "app-store", "items": items}).json()
    assert edited["updated"] == 1 and edited["inserted"] == 0


def test_bad_payloads_get_422_with_fields(shared):
    client = shared.api("admin")
    too_many = [{"external_id": str(i), "text": "x"} for i in range(1001)]
    resp = client.post("/api/v1/feedback", json={"source": "s", "items": too_many})
    assert resp.status_code == 422
    assert any(d["field"] == "items" for d in resp.json()["details"])
    resp = client.post("/api/v1/feedback", json={"items": [{"text": "x"}]})
    assert resp.status_code == 422 and resp.json()["details"][0]["field"] == "source"
    resp = client.post(
        "/api/v1/feedback", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 422
    resp = client.get("/api/v1/metrics", params={"since": "yesterday"})
    assert resp.status_code == 422 and "since" in resp.json()["error"]
    resp = client.get("/api/v1/metrics", params={"by": "colour"})
    assert resp.status_code == 422
    resp = client.post(f"/api/v1/cases/{shared.seeded.case_a}/status", json={"status": "flying"})
    assert resp.status_code == 422
    resp = client.post(f"/api/v1/cases/{shared.seeded.case_b}/status", json={"status": "closed"})
    assert resp.status_code == 409  # not allowed from "new"
    assert "allowed next" in resp.json()["hint"]


def test_metrics_carry_n_and_interval_and_match_the_data(shared):
    client = shared.api("viewer", scope="read")
    rows = client.get("/api/v1/metrics", params={"by": "stage"}).json()["rows"]
    by_stage = {r["stage"]: r for r in rows}
    delivery = by_stage["Delivery"]["nps"]
    # seeded Delivery answers are all 0-6 (detractors), plus the <script> one (nps 2)
    assert delivery["value"] == -100.0 and delivery["n"] >= 41
    support = by_stage["Support"]["nps"]
    assert support["low"] < support["value"] < support["high"] and support["n"] == 40
    monthly = client.get("/api/v1/metrics").json()
    assert monthly["method"].startswith("NPS normal approximation")
    assert all({"month", "volume", "nps", "csat", "ces"} <= set(r) for r in monthly["rows"])


def test_themes_and_journey_link_numbers_to_n(shared):
    client = shared.api("viewer", scope="read")
    themes = client.get("/api/v1/themes").json()["rows"]
    delivery = next(t for t in themes if t["theme"] == "Delivery")
    assert delivery["mentions"] == 40 and delivery["nps_impact"]["value"] < 0
    assert delivery["nps_impact"]["high"] < 0  # significantly below the rest
    cells = client.get("/api/v1/journey").json()["rows"]
    assert {c["stage"] for c in cells} >= {"Purchase", "Delivery", "Support"}
    assert all(c["nps"]["n"] >= 0 for c in cells)


def test_openapi_and_docs_are_served_offline(shared):
    client = shared.client()
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/v1/feedback",
        "/api/v1/metrics",
        "/api/v1/cases/{case_id}/reply",
        "/api/v1/mail/inbound",
        "/api/v1/followups",
    ):
        assert path in spec["paths"], path
    docs = client.get("/docs").text
    assert "/static/vendor/swagger/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert client.get("/static/vendor/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/vendor/echarts.min.js").status_code == 200


def test_case_reply_through_the_api_queues_mail_and_is_audited(shared):
    client = shared.api("agent")
    case = shared.seeded.case_a
    resp = client.post(f"/api/v1/cases/{case}/reply", json={"body": "We are on it."})
    assert resp.status_code == 200, resp.text
    assert resp.json()["outbox_id"]
    thread = client.get(f"/api/v1/cases/{case}").json()["thread"]
    assert any(t["kind"] == "message" and t["body"] == "We are on it." for t in thread)
    audit = shared.login("admin").get("/admin/audit?action=case.reply").text
    assert "agent@example.com" in audit


def test_followup_answer_needs_a_valid_token(shared):
    client = shared.client()
    resp = client.post("/api/v1/followups", json={"token": "forged-token-123", "answer": "9"})
    assert resp.status_code == 403
    page = client.get("/followup?token=forged-token-123")
    assert page.status_code == 200 and "Did we fix it?" in page.text


def test_analyses_take_the_cli_filter_and_keep_the_scope(shared):
    client = shared.api("smb_viewer", scope="read")
    resp = client.get("/api/v1/analyses/alerts", params={"filter": "channel = 'email'"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert "segment in ('SMB')" in body["params"]["filter"]
    assert "channel = 'email'" in body["params"]["filter"]
    bad = client.get("/api/v1/drivers", params={"filter": "channel ~ 'x'"})
    assert bad.status_code == 422 and bad.json()["error"]


def test_themes_show_a_parent_with_its_sub_themes_feedback(live):
    from cxloop.storage.models import Theme
    from cxloop.text.theme_rollup import roll_up_to_parents

    engine = make_engine(live.settings.resolved_database_url)
    with transaction(engine) as db:
        parent = Theme(name="Fulfilment", description="getting orders to customers")
        db.add(parent)
        db.flush()
        db.get(Theme, live.seeded.theme_delivery).parent_id = parent.id
        db.flush()
        assert roll_up_to_parents(db) == 40
    engine.dispose()
    rows = live.api("viewer", scope="read").get("/api/v1/themes").json()["rows"]
    by_name = {t["theme"]: t for t in rows}
    assert by_name["Fulfilment"]["mentions"] == by_name["Delivery"]["mentions"] == 40
    assert by_name["Delivery"]["parent"] == "Fulfilment" and by_name["Fulfilment"]["parent"] is None
    browser = live.login("viewer")
    page = browser.get("/themes").text
    assert 'Delivery</a> <span class="muted">in Fulfilment</span>' in page
    top = browser.get("/themes?level=top").text
    assert ">Fulfilment</a>" in top and ">Delivery</a>" not in top
    assert '<strong aria-current="page">top-level themes</strong>' in top
    leaf = browser.get("/themes?level=leaf").text
    assert ">Delivery</a>" in leaf and ">Fulfilment</a>" not in leaf
    assert browser.get("/themes?level=middle").status_code == 422
    api = live.api("viewer", scope="read")
    ranked = {
        lvl: {
            r["theme"]
            for r in api.get(f"/api/v1/analyses/opportunities?level={lvl}").json()["rows"]
        }
        for lvl in ("all", "top", "leaf")
    }
    assert {"Fulfilment", "Delivery"} <= ranked["all"]
    assert "Delivery" not in ranked["top"] and "Fulfilment" not in ranked["leaf"]
    assert api.get("/api/v1/analyses/drivers?level=top").status_code in (400, 422)
    page = browser.get("/analysis/opportunities?level=leaf").text
    assert '<strong aria-current="page">most specific themes</strong>' in page
    table = page.split("<table", 1)[1]
    assert "<td>Delivery</td><td>Fulfilment</td>" in table  # the parent column
    assert table.count("<td>Fulfilment</td>") == 1  # and no row of its own
    assert 'aria-label="Theme level"' not in browser.get("/analysis/segments").text
