"""The generic profile: any file whose headers are the canonical names or common synonyms."""

from __future__ import annotations

from typing import Any, ClassVar

from cxloop.ingest.profiles.base import Profile

_FEEDBACK = {
    "external_id": (
        "external_id",
        "id",
        "feedback_id",
        "response_id",
        "responseid",
        "review_id",
        "ticket_id",
        "comment_id",
        "record_id",
    ),
    "received_at": (
        "received_at",
        "date",
        "created_at",
        "created",
        "submitted_at",
        "timestamp",
        "response_date",
        "review_date",
        "datetime",
        "time",
        "recorded_at",
    ),
    "customer_id": (
        "customer_id",
        "customer",
        "customer_ref",
        "client_id",
        "account_id",
        "user_id",
        "customer_external_id",
    ),
    "channel": ("channel", "medium"),
    "source": ("source", "source_name"),
    "title": ("title", "subject", "headline", "summary", "review_title"),
    "text": (
        "text",
        "comment",
        "comments",
        "verbatim",
        "feedback",
        "review",
        "review_text",
        "body",
        "message",
        "description",
        "content",
        "response",
        "answer",
        "note",
    ),
    "nps": ("nps", "nps_score", "likelihood_to_recommend", "ltr", "recommend_score"),
    "csat": ("csat", "csat_score", "satisfaction", "satisfaction_score"),
    "ces": ("ces", "ces_score", "effort", "effort_score", "customer_effort"),
    "rating": ("rating", "stars", "star_rating", "review_rating", "score"),
    "language": ("language", "lang", "locale"),
    "journey_stage": ("journey_stage", "stage", "journey"),
    "touchpoint": ("touchpoint", "touch_point"),
}

_CUSTOMERS = {
    "customer_id": ("customer_id", "id", "customerid", "external_id", "account_id", "client_id"),
    "name": ("name", "customer_name", "full_name", "company"),
    "email": ("email", "email_address", "e_mail"),
    "segment": ("segment", "tier", "plan", "customer_segment"),
    "region": ("region", "country", "area", "territory"),
    "revenue": ("revenue", "arr", "mrr", "annual_revenue", "total_charges", "value"),
    "status": ("status", "state", "customer_status"),
    "signup_at": (
        "signup_at",
        "signup_date",
        "signed_up_at",
        "created_at",
        "start_date",
        "customer_since",
        "joined_at",
    ),
    "churned_at": ("churned_at", "churn_date", "cancelled_at", "canceled_at", "end_date"),
    "churn_reason": ("churn_reason", "cancellation_reason", "exit_reason", "reason"),
}

_METRICS = {
    "period": ("period", "month", "date", "quarter", "period_start", "week", "day"),
    "name": ("name", "metric", "metric_name", "kpi"),
    "value": ("value", "amount", "metric_value"),
}


def _flatten(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for field, names in table.items():
        for name in names:
            out.setdefault(name, field)
    return out


class GenericProfile(Profile):
    name = "generic"
    description = "canonical field names or their common synonyms (any kind)"
    columns: ClassVar[dict[str, str]] = _flatten(_FEEDBACK)
    by_kind: ClassVar[dict[str, dict[str, str]]] = {
        "feedback": _flatten(_FEEDBACK),
        "customers": _flatten(_CUSTOMERS),
        "metrics": _flatten(_METRICS),
    }
    synonyms: ClassVar[dict[str, dict[str, tuple[str, ...]]]] = {
        "feedback": _FEEDBACK,
        "customers": _CUSTOMERS,
        "metrics": _METRICS,
    }

    def __init__(self, kind: str = "feedback") -> None:
        self.for_kind = kind

    def score(self, columns: list[str], lookahead: list[list[Any]]) -> float:
        return 0.1

    def mapping(self, columns: list[str], lookahead: list[list[Any]]) -> dict[str, str]:
        """Each field takes the column matching its earliest synonym (so ``id`` only wins
        ``external_id`` when no ``external_id`` column exists)."""
        from cxloop.ingest.profiles.base import normalise

        by_norm: dict[str, str] = {}
        for name_ in columns:
            by_norm.setdefault(normalise(name_), name_)
        out: dict[str, str] = {}
        for field, names in self.synonyms[self.for_kind].items():
            for name in names:
                col = by_norm.get(name)
                if col is not None and col not in out:
                    out[col] = field
                    break
        return out
