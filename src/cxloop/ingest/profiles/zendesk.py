"""Zendesk-style help-desk ticket export (Support > Views > Export as CSV)."""

from __future__ import annotations

from typing import Any, ClassVar

from cxloop.ingest.profiles.base import Profile, normalise


class ZendeskProfile(Profile):
    name = "zendesk"
    description = "help-desk ticket export: Id, Subject, Description, Requester, Via, Satisfaction"
    channel = "support"
    columns: ClassVar[dict[str, str]] = {
        "id": "external_id",
        "ticket_id": "external_id",
        "created_at": "received_at",
        "requester_external_id": "customer_id",
        "requester_id": "customer_id",
        "requester_email": "customer_id",
        "via": "channel",
        "subject": "title",
        "description": "text",
        "satisfaction_score": "csat",
        "satisfaction_rating": "csat",
        "requester_language": "language",
        "language": "language",
    }
    #: Zendesk's satisfaction is binary: Good counts as 5, Bad as 1, so that CSAT's top-2-box
    #: share equals Zendesk's own satisfaction percentage. Offered/Unoffered mean "no answer".
    value_maps: ClassVar[dict[str, dict[str, str]]] = {
        "csat": {
            "good": "5",
            "good, i'm satisfied": "5",
            "bad": "1",
            "bad, i'm unsatisfied": "1",
            "offered": "",
            "unoffered": "",
            "not offered": "",
        }
    }

    def score(self, columns: list[str], lookahead: list[list[Any]]) -> float:
        present = {normalise(c) for c in columns}
        has_id = bool({"id", "ticket_id"} & present)
        ticket_words = {"requester", "requester_id", "assignee", "via", "group", "ticket_type"}
        if has_id and "subject" in present and len(ticket_words & present) >= 2:
            return 2.0 + len(ticket_words & present) / 100
        return 0.0
