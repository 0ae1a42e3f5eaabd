"""App-store review exports: Google Play Console's review CSV and App Store Connect style."""

from __future__ import annotations

from typing import Any, ClassVar

from cxloop.ingest.profiles.base import Profile, normalise


class AppStoreProfile(Profile):
    name = "app_store"
    description = "app review export: Star Rating, Review Text, Review Submit Date and Time (Google Play) or Rating, Title, Review, Territory (App Store)"  # noqa: E501
    channel = "app_store"
    columns: ClassVar[dict[str, str]] = {
        "review_link": "external_id",
        "review_id": "external_id",
        "review_submit_date_and_time": "received_at",
        "date": "received_at",
        "last_modified": "received_at",
        "review_title": "title",
        "title": "title",
        "review_text": "text",
        "review": "text",
        "body": "text",
        "star_rating": "rating",
        "rating": "rating",
        "reviewer_language": "language",
        "app_version_name": "touchpoint",
        "version": "touchpoint",
        "app_version": "touchpoint",
    }

    def score(self, columns: list[str], lookahead: list[list[Any]]) -> float:
        present = {normalise(c) for c in columns}
        if {"package_name", "star_rating"} <= present:
            return 2.0  # Google Play
        apple = {"territory", "store_front", "storefront", "app_version", "version", "nickname"}
        if {"rating", "review"} <= present and (apple & present):
            return 1.5
        return 0.0
