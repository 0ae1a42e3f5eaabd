"""The thread of a case as people read it: events, notes and messages in time order.

Customer words are shown redacted (the text engine's redaction), staff notes as written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.storage.models import Enrichment, Feedback
from cxloop.storage.models.delivery import CaseMessage
from cxloop.storage.models.loop import Case, CaseEvent
from cxloop.web.redaction import redact_for_display


def thread_for(db: Session, case: Case) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if case.feedback_id is not None:
        fb = db.get(Feedback, case.feedback_id)
        enr = db.get(Enrichment, case.feedback_id)
        if fb is not None:
            text = (enr.redacted_text if enr is not None and enr.redacted_text else None) or (
                redact_for_display(fb.text)
            )
            items.append(
                {
                    "kind": "feedback",
                    "at": fb.received_at or fb.created_at,
                    "direction": "in",
                    "author": "customer",
                    "body": text,
                    "nps": fb.nps,
                    "csat": fb.csat,
                }
            )
    for msg in db.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id)):
        body = redact_for_display(msg.body) if msg.direction == "in" else msg.body
        items.append(
            {
                "kind": "message",
                "at": msg.created_at,
                "direction": msg.direction,
                "author": msg.author if msg.direction == "out" else "customer",
                "subject": msg.subject,
                "body": body,
            }
        )
    for ev in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)):
        if ev.kind in ("reply_sent", "reply_received"):
            continue
        items.append(
            {
                "kind": ev.kind,
                "at": ev.at,
                "direction": "note" if ev.kind == "note" else "event",
                "author": ev.actor,
                "body": ev.body,
                "from": ev.from_value,
                "to": ev.to_value,
            }
        )
    items.sort(key=lambda i: (i["at"] is None, i["at"]))
    return items
