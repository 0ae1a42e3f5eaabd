"""Trustpilot-style review-site export (Business > Reviews > Download)."""

from __future__ import annotations

from typing import ClassVar

from cxloop.ingest.profiles.base import Profile


class TrustpilotProfile(Profile):
    name = "trustpilot"
    description = (
        "review-site export: Review ID, Review Created (UTC), Review Stars, Review Content"
    )
    channel = "review"
    signature = ("review_stars",)
    columns: ClassVar[dict[str, str]] = {
        "review_id": "external_id",
        "review_created_utc": "received_at",
        "review_date": "received_at",
        "reference_id": "customer_id",
        "reference_email": "customer_id",
        "review_title": "title",
        "review_content": "text",
        "review_stars": "rating",
        "review_language": "language",
        "source_of_review": "touchpoint",
    }
