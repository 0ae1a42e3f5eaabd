"""End to end through the CLI: a rule opens a case and notifies; the worker delivers over real
HTTP and SMTP; the agent replies; the customer's answer threads back and reopens the case."""

from __future__ import annotations

import json

from delivery_fixtures import SmtpServer, WebhookReceiver
from sqlalchemy import update

from cxloop.storage.db import transaction
from cxloop.storage.models.core import Customer

RULES = """
rules:
  - name: detractor-delivery
    when: "nps <= 6 and 'Delivery' in themes"
    then:
      open_case: {priority: high, sla_first_response: 4h, sla_resolution: 3d}
      notify: ["email:ops-lead@example.com", "webhook:ops"]
"""


def test_rule_to_notification_to_dialogue(cli, world, engine, tmp_path, monkeypatch):
    smtp = SmtpServer().start()
    receiver = WebhookReceiver(secret="s3cret").start()
    monkeypatch.setenv("CXLOOP_SMTP_URL", smtp.url)
    try:
        with transaction(engine) as s:
            s.execute(
                update(Customer)
                .where(Customer.external_id == "C2")
                .values(email="bob@example.com", name="Bob")
            )
        world.add_feedback(
            "f1",
            customer="C2",
            nps=2,
            text="late again",
            themes={"Delivery": "negative"},
            sentiment="negative",
        )
        world.add_feedback("f2", customer="C3", nps=9, themes={"Delivery": "positive"})
        added = cli(
            "outbox",
            "webhooks",
            "add",
            "ops",
            receiver.url,
            "--secret",
            "s3cret",
            "--style",
            "slack",
        )
        assert added.exit_code == 0, added.stderr
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES)
        assert cli("rules", "import", str(rules)).exit_code == 0
        ran = cli("loop", "run", "--format", "json")
        assert ran.exit_code == 0, ran.stderr
        assert json.loads(ran.stdout)["cases_opened"] == 1
        queued = json.loads(cli("outbox", "list", "--format", "json").stdout)
        assert sorted(m["channel"] for m in queued) == ["email", "webhook"]
        assert cli("loop", "run").exit_code == 0  # re-run: nothing new queued
        assert len(json.loads(cli("outbox", "list", "--format", "json").stdout)) == 2

        worker = cli("worker", "--once", "--format", "json")
        assert json.loads(worker.stdout)["delivered"] == 2, worker.stdout
        [hook] = receiver.bodies.values()
        assert "CX-000001" in hook["text"] and hook["blocks"][0]["type"] == "section"
        [note] = smtp.messages
        assert note["To"] == "ops-lead@example.com" and "CX-000001" in note["Subject"]

        reply = cli(
            "cases",
            "reply",
            "CX-000001",
            "--body",
            "Sorry Bob, a new parcel is on its way.",
            "--wait",
        )
        assert reply.exit_code == 0, reply.stderr
        assert json.loads(cli("worker", "--once", "--format", "json").stdout)["delivered"] == 1
        answer = smtp.messages[-1]
        assert answer["To"] == "bob@example.com"
        body = next(p for p in answer.walk() if p.get_content_type() == "text/plain")
        assert "Hello Bob," in body.get_payload(decode=True).decode()

        from test_dialogue import answer_email

        eml = tmp_path / "bob.eml"
        eml.write_bytes(answer_email(f"Re: {answer['Subject']}", in_reply_to=answer["Message-ID"]))
        threaded = cli("cases", "inbound", str(eml), "--format", "json")
        assert json.loads(threaded.stdout)[0]["status"] == "threaded"
        shown = json.loads(cli("cases", "show", "CX-000001", "--format", "json").stdout)
        assert shown["status"] == "in_progress"
        kinds = [e["kind"] for e in shown["history"]]
        assert kinds.index("reply_sent") < kinds.index("reply_received")
        assert shown["first_response_at"] is not None
    finally:
        receiver.stop()
        smtp.stop()
