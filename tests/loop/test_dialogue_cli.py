"""The dialogue commands driven through the real CLI: reply, worker, inbound, thread, follow-up."""

from __future__ import annotations

import json

from delivery_fixtures import SmtpServer
from sqlalchemy import select
from test_dialogue import answer_email, make_case

from cxloop.config import Settings
from cxloop.storage.db import engine_for, transaction
from cxloop.storage.models.core import QuarantinedRow


def test_reply_inbound_thread_followup_metrics(cli, tmp_path, monkeypatch):
    smtp = SmtpServer().start()
    monkeypatch.setenv("CXLOOP_SMTP_URL", smtp.url)
    try:
        assert cli("init").exit_code == 0
        engine = engine_for(Settings())
        case_id = make_case(engine)
        ref = f"CX-{case_id:06d}"
        assert (
            cli("users", "create", "--email", "sam@shop.example", "--role", "agent").exit_code == 0
        )
        replied = cli(
            "cases",
            "reply",
            ref,
            "--body",
            "We are sending a new parcel.",
            "--wait",
            "--as",
            "sam@shop.example",
            "--format",
            "json",
        )
        assert replied.exit_code == 0, replied.stderr
        assert json.loads(replied.stdout)["case_status"] == "waiting_on_customer"
        unknown = cli("cases", "reply", ref, "--body", "x", "--as", "nobody@x.com")
        assert unknown.exit_code != 0 and "users create" in unknown.stderr
        empty = cli("cases", "reply", ref, "--body", "  ")
        assert empty.exit_code != 0 and "empty" in empty.stderr
        assert cli("worker", "--once").exit_code == 0
        [sent] = smtp.messages
        assert sent["From"].endswith("<cx@cxloop.local>")

        good = tmp_path / "answer.eml"
        good.write_bytes(answer_email(f"Re: {sent['Subject']}", in_reply_to=sent["Message-ID"]))
        forged = tmp_path / "forged.eml"
        forged.write_bytes(
            answer_email(f"Re: [{ref}.0000000000000000]", message_id="<forged@evil.example>")
        )
        result = cli("cases", "inbound", str(good), str(forged), "--format", "json")
        assert result.exit_code == 0, result.stderr
        rows = json.loads(result.stdout)
        assert [(r["status"], r["case"], r["reopened"]) for r in rows] == [
            ("threaded", ref, True),
            ("quarantined", None, False),
        ]
        with transaction(engine) as s:
            q = s.scalars(select(QuarantinedRow)).one()
            assert q.kind == "email" and "does not verify" in q.reason

        thread = cli("cases", "thread", ref, "--format", "json")
        assert [m["direction"] for m in json.loads(thread.stdout)] == ["out", "in"]
        assert cli("cases", "resolve", ref, "--code", "reshipped").exit_code == 0
        fu = cli("cases", "followup", ref, "--format", "json")
        assert fu.exit_code == 0, fu.stderr
        link = json.loads(fu.stdout)[0]["link"]
        token = link.split("token=", 1)[1]
        answered = cli("cases", "followup-answer", token, "10", "--format", "json")
        assert answered.exit_code == 0 and json.loads(answered.stdout)["resolved"] is True
        again = cli("cases", "followup-answer", token, "3")
        assert again.exit_code != 0 and "already answered" in again.stderr
        metrics = cli("cases", "metrics", "--by", "all", "--format", "json")
        assert metrics.exit_code == 0, metrics.stderr
        doc = json.loads(metrics.stdout)
        assert doc["analysis"] == "loop_metrics" and doc["rows"][0]["cases"] == 1
        assert "suppressed" in doc["rows"][0]["note"]
        engine.dispose()
    finally:
        smtp.stop()
