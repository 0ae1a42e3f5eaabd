"""Tool exports are recognised from their headers and mapped as documented."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cxloop.errors import InputError
from cxloop.ingest.loader import ingest_file
from cxloop.ingest.mapping import resolve_mapping

QUALTRICS = [
    [
        "StartDate",
        "EndDate",
        "Status",
        "Progress",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "ExternalReference",
        "DistributionChannel",
        "UserLanguage",
        "Q1",
        "Q1_NPS_GROUP",
        "Q2",
        "Q3",
    ],
    [
        "Start Date",
        "End Date",
        "Response Type",
        "Progress",
        "Finished",
        "Recorded Date",
        "Response ID",
        "External Data Reference",
        "Distribution Channel",
        "User Language",
        "How likely are you to recommend us to a friend or colleague?",
        "NPS group",
        "Why did you give that score?",
        "Which store do you shop at?",
    ],
    [
        '{"ImportId":"startDate"}',
        '{"ImportId":"endDate"}',
        '{"ImportId":"status"}',
        '{"ImportId":"progress"}',
        '{"ImportId":"finished"}',
        '{"ImportId":"recordedDate"}',
        '{"ImportId":"_recordId"}',
        '{"ImportId":"externalDataReference"}',
        '{"ImportId":"distributionChannel"}',
        '{"ImportId":"userLanguage"}',
        '{"ImportId":"QID1"}',
        '{"ImportId":"QID1_NPS_GROUP"}',
        '{"ImportId":"QID2_TEXT"}',
        '{"ImportId":"QID3"}',
    ],
    [
        "2025-03-01 10:00:00",
        "2025-03-01 10:02:00",
        "IP Address",
        "100",
        "True",
        "2025-03-01 10:02:05",
        "R_abc123",
        "C77",
        "email",
        "EN",
        "3",
        "1",
        "Delivery was late, twice.",
        "Paris",
    ],
    [
        "2025-03-02 11:00:00",
        "2025-03-02 11:01:00",
        "IP Address",
        "100",
        "True",
        "2025-03-02 11:01:30",
        "R_def456",
        "",
        "anonymous",
        "FR",
        "10",
        "3",
        "",
        "Lyon",
    ],
]
ZENDESK = [
    [
        "Id",
        "Requester",
        "Requester id",
        "Requester external id",
        "Assignee",
        "Group",
        "Subject",
        "Description",
        "Status",
        "Ticket type",
        "Priority",
        "Via",
        "Created at",
        "Satisfaction Score",
        "Tags",
    ],
    [
        "4512",
        "Ann",
        "901",
        "C1",
        "Bob",
        "Support",
        "Refund missing",
        "I was promised a refund two weeks ago.",
        "solved",
        "incident",
        "high",
        "Mail",
        "2025-04-01T08:00:00Z",
        "Bad",
        "refund billing",
    ],
    [
        "4513",
        "Joe",
        "902",
        "",
        "Bob",
        "Support",
        "Thanks",
        "Quick fix, thank you!",
        "solved",
        "question",
        "low",
        "Web form",
        "2025-04-02T09:00:00Z",
        "Good",
        "",
    ],
]
TRUSTPILOT = [
    [
        "Review Created (UTC)",
        "Review ID",
        "Review Title",
        "Review Content",
        "Review Stars",
        "Source Of Review",
        "Review Language",
        "Domain URL",
        "Reference Id",
    ],
    [
        "2025-05-01 12:00:00",
        "tp-1",
        "Love it",
        "Fast shipping and great support.",
        "5",
        "Organic",
        "en",
        "shop.example",
        "C5",
    ],
]
GOOGLE_PLAY = [
    [
        "Package Name",
        "App Version Code",
        "App Version Name",
        "Reviewer Language",
        "Device",
        "Review Submit Date and Time",
        "Review Submit Millis Since Epoch",
        "Star Rating",
        "Review Title",
        "Review Text",
        "Review Link",
    ],
    [
        "com.example.app",
        "42",
        "4.2.0",
        "en",
        "pixel7",
        "2025-06-01T10:00:00Z",
        "1748772000000",
        "2",
        "",
        "Crashes when I open the basket",
        "https://play/r/1",
    ],
]
APP_STORE = [
    ["Date", "Rating", "Title", "Review", "Version", "Territory", "Nickname"],
    ["2025-06-03", "4", "Nice", "Good app, slow login", "4.2", "FR", "zed"],
]


def test_qualtrics_multi_row_header_is_detected_and_skipped(engine, write_csv, stored):
    path = write_csv("survey_export.csv", QUALTRICS)
    summary = ingest_file(engine, path, "feedback")
    assert summary.profile == "qualtrics"
    assert summary.mapping["Q1"] == "nps" and summary.mapping["Q2"] == "text"
    assert (summary.read, summary.inserted, summary.quarantined) == (2, 2, 0)
    first, second = stored()
    assert (first.external_id, first.nps, first.text, first.customer_ref) == (
        "R_abc123",
        3,
        "Delivery was late, twice.",
        "C77",
    )
    assert first.received_at == datetime(2025, 3, 1, 10, 2, 5, tzinfo=UTC)
    assert first.channel == "survey" and first.language == "EN"
    assert first.extra["Q3"] == "Paris" and first.extra["Q1_NPS_GROUP"] == "1"
    assert second.nps == 10 and second.text is None


@pytest.mark.parametrize(
    ("rows", "profile", "expected"),
    [
        (
            ZENDESK,
            "zendesk",
            {
                "Id": "external_id",
                "Subject": "title",
                "Description": "text",
                "Satisfaction Score": "csat",
                "Created at": "received_at",
                "Requester external id": "customer_id",
                "Via": "channel",
            },
        ),
        (
            TRUSTPILOT,
            "trustpilot",
            {
                "Review ID": "external_id",
                "Review Stars": "rating",
                "Review Content": "text",
                "Reference Id": "customer_id",
            },
        ),
        (
            GOOGLE_PLAY,
            "app_store",
            {
                "Star Rating": "rating",
                "Review Text": "text",
                "Review Link": "external_id",
                "Review Submit Date and Time": "received_at",
            },
        ),
        (APP_STORE, "app_store", {"Rating": "rating", "Review": "text", "Date": "received_at"}),
    ],
)
def test_tool_profiles_are_detected(rows, profile, expected):
    res = resolve_mapping("feedback", rows[0], rows[1:])
    assert res.profile.name == profile
    for column, field in expected.items():
        assert res.mapping[column] == field


def test_zendesk_satisfaction_words_become_csat(engine, write_csv, stored):
    summary = ingest_file(engine, write_csv("tickets.csv", ZENDESK), "feedback")
    assert summary.inserted == 2
    rows = {r.external_id: r for r in stored()}
    assert rows["4512"].csat == 1 and rows["4513"].csat == 5
    assert rows["4512"].title == "Refund missing" and rows["4512"].channel == "Mail"
    assert json.dumps(rows["4512"].extra["Tags"]) == '"refund billing"'


def test_named_profile_and_wrong_kind(write_csv):
    with pytest.raises(InputError, match="unknown profile"):
        resolve_mapping("feedback", ["a"], [], profile="surveymonkey")
    with pytest.raises(InputError, match="reads feedback, not customers"):
        resolve_mapping("customers", ["customer_id"], [], profile="zendesk")
    res = resolve_mapping("feedback", TRUSTPILOT[0], [], profile="trustpilot")
    assert res.mapping["Review Title"] == "title"
