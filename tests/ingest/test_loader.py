"""ingest_file / ingest_records on real SQLite and PostgreSQL: idempotency, updates,
metadata, customer links, every bad-input case, and whole-file errors writing nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.errors import InputError
from cxloop.ingest.loader import ingest_file, ingest_records
from cxloop.storage.models import BusinessMetric, Customer, Feedback, IngestRun, Source

HEADER = ["id", "date", "customer", "comment", "nps", "country"]


def _count(engine, model) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_first_load_then_reingest_changes_nothing(engine, write_csv, stored):
    path = write_csv(
        "survey.csv",
        [
            HEADER,
            ["r1", "2025-01-02T09:30:00+02:00", "C1", 'Great, "really"\nnice', "9", "FR"],
            ["r2", "2025-01-03", "C2", "Slow delivery", "3", "DE"],
        ],
    )
    first = ingest_file(engine, path, "feedback")
    assert (first.read, first.inserted, first.unchanged, first.quarantined) == (2, 2, 0, 0)
    second = ingest_file(engine, path, "feedback")
    assert (second.read, second.inserted, second.updated, second.unchanged) == (2, 0, 0, 2)
    rows = stored()
    assert len(rows) == 2
    r1 = rows[0]
    assert r1.external_id == "r1" and r1.nps == 9
    assert r1.text == 'Great, "really"\nnice'
    assert r1.received_at == datetime(2025, 1, 2, 7, 30, tzinfo=UTC)
    assert r1.extra == {"country": "FR"}, "unmapped columns are kept as metadata"
    assert r1.customer_ref == "C1"
    with Session(engine) as s:
        runs = list(s.scalars(select(IngestRun).order_by(IngestRun.id)))
        assert [r.status for r in runs] == ["completed", "completed"]
        assert runs[0].inserted == 2 and runs[1].unchanged == 2
        assert s.scalar(select(Source.name)) == "survey"


def test_changed_row_updates_in_place(engine, write_csv, stored):
    rows = [HEADER, ["r1", "2025-01-02", "C1", "ok", "7", "FR"]]
    ingest_file(engine, write_csv("s.csv", rows), "feedback", source="s")
    before = stored()[0]
    rows[1][3] = "actually great"
    rows[1][4] = "10"
    summary = ingest_file(engine, write_csv("s.csv", rows), "feedback", source="s")
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 0)
    after = stored()
    assert len(after) == 1 and after[0].id == before.id
    assert after[0].text == "actually great" and after[0].nps == 10


def test_rows_without_external_id_dedupe_by_content(engine, write_csv, stored):
    path = write_csv("reviews.csv", [["comment", "stars"], ["Lovely", "5"], ["Meh", "2"]])
    ingest_file(engine, path, "feedback")
    again = ingest_file(engine, path, "feedback")
    assert again.unchanged == 2 and again.inserted == 0
    assert all(r.dedup_key.startswith("h:") for r in stored())
    assert {r.rating for r in stored()} == {5.0, 2.0}


def test_each_bad_row_is_quarantined_with_row_number_and_reason(engine, write_csv, quarantined):
    path = write_csv(
        "bad.csv",
        [
            HEADER,
            ["1", "2025-01-02", "C1", "fine", "9", "FR"],  # row 2 ok
            ["2", "2025-01-03", "C2", "too high", "11", "DE"],  # row 3 out of range
            ["3", "yesterday-ish", "C3", "meh", "5", "UK"],  # row 4 bad date
            ["4", "2025-01-04", "C4", "", "", "US"],  # row 5 nothing to analyse
            ["5", "2025-01-05", "C1", "ok", "7", "US", "surplus"],  # row 6 malformed line
            ["6", "2025-01-06", "C1", "ok", "seven", "US"],  # row 7 not a number
            ["7", "2025-01-06", "C1", "ok", "7.5", "US"],  # row 8 not whole
        ],
    )
    summary = ingest_file(engine, path, "feedback")
    assert (summary.read, summary.inserted, summary.quarantined) == (7, 1, 6)
    entries = {q.row_number: q for q in quarantined()}
    assert set(entries) == {3, 4, 5, 6, 7, 8}
    assert "outside 0–10 for NPS" in entries[3].reason and entries[3].field == "nps"
    assert "'yesterday-ish' is not a date" in entries[4].reason
    assert "neither text nor any score" in entries[5].reason
    assert "7 fields but the header has 6" in entries[6].reason
    assert "'seven' is not a number" in entries[7].reason
    assert "not a whole number" in entries[8].reason
    assert entries[3].raw["nps"] == "11" and entries[3].raw["comment"] == "too high"
    again = ingest_file(engine, path, "feedback")
    assert again.quarantined == 6
    assert len(quarantined()) == 6, "re-ingesting does not duplicate quarantine entries"


def test_undecodable_byte_is_quarantined_rest_of_utf8_file_loads(engine, tmp_path, quarantined):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "id,comment,nps\n1,Très bien,9\n2,Café froid,4\n".encode()
        + b"3,broken \xff byte,5\n"
        + "4,Ça va,7\n".encode()
    )
    summary = ingest_file(engine, path, "feedback")
    assert (summary.inserted, summary.quarantined) == (3, 1)
    (entry,) = quarantined()
    assert entry.row_number == 4
    assert "0xFF" in entry.reason and "utf-8" in entry.reason
    assert "\\xff" in entry.raw["comment"]


def test_latin1_file_is_read_as_latin1(engine, tmp_path, stored):
    path = tmp_path / "latin.csv"
    path.write_bytes("id;comment;nps\n1;Très déçu;2\n2;Génial;10\n".encode("latin-1"))
    summary = ingest_file(engine, path, "feedback")
    assert summary.inserted == 2 and summary.encoding in ("cp1252", "latin-1")
    assert [r.text for r in stored()] == ["Très déçu", "Génial"]


def test_missing_required_column_writes_nothing(engine, write_csv):
    path = write_csv("x.csv", [["id", "date", "country"], ["1", "2025-01-01", "FR"]])
    with pytest.raises(InputError, match="no column holds feedback text"):
        ingest_file(engine, path, "feedback")
    for model in (Feedback, IngestRun, Source):
        assert _count(engine, model) == 0


def test_unreadable_files_raise_input_error(engine, tmp_path):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match="Parquet"):
        ingest_file(engine, broken, "feedback")
    with pytest.raises(InputError, match="not found"):
        ingest_file(engine, tmp_path / "nope.csv", "feedback")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('[{"text": "a"}, {"text": ')
    with pytest.raises(InputError, match="not valid JSON"):
        ingest_file(engine, bad_json, "feedback")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        ingest_file(engine, empty, "feedback")
    assert _count(engine, Feedback) == 0 and _count(engine, IngestRun) == 0


def test_mapping_errors_name_the_problem(engine, write_csv):
    path = write_csv("m.csv", [["Score", "Why"], ["9", "good"]])
    with pytest.raises(InputError, match="names column 'Scor', which is not in the file"):
        ingest_file(engine, path, "feedback", mapping={"Scor": "nps"})
    with pytest.raises(InputError, match="not a feedback field"):
        ingest_file(engine, path, "feedback", mapping={"Score": "happiness"})
    summary = ingest_file(engine, path, "feedback", mapping={"Score": "nps", "Why": "text"})
    assert summary.inserted == 1


def test_customer_link_both_orders(engine, write_csv, stored):
    fb = write_csv(
        "fb.csv",
        [
            HEADER,
            ["1", "2025-01-01", "C1", "hi", "8", ""],
            ["2", "2025-01-01", "C9", "yo", "6", ""],
        ],
    )
    ingest_file(engine, fb, "feedback")
    assert all(r.customer_id is None for r in stored())
    cust = write_csv(
        "customers.csv",
        [
            ["customer_id", "segment", "revenue", "churn_date", "plan_tier"],
            ["C1", "SMB", "1200.5", "2025-06-30", "gold"],
        ],
    )
    summary = ingest_file(engine, cust, "customers")
    assert summary.inserted == 1
    with Session(engine) as s:
        c1 = s.scalar(select(Customer))
        assert c1.external_id == "C1" and c1.revenue == 1200.5
        assert c1.status == "churned" and c1.churned_at == datetime(2025, 6, 30, tzinfo=UTC)
        assert c1.attributes == {"plan_tier": "gold"}
    linked = {r.customer_ref: r.customer_id for r in stored()}
    assert linked["C1"] == c1.id and linked["C9"] is None
    fb2 = write_csv("fb2.csv", [HEADER, ["3", "2025-01-02", "C1", "again", "9", ""]])
    ingest_file(engine, fb2, "feedback")
    assert stored()[-1].customer_id == c1.id, "feedback loaded after customers links at once"


def test_metrics_long_and_wide(engine, write_csv):
    long = write_csv(
        "sales.csv",
        [
            ["period", "name", "value", "region"],
            ["2025-01", "sales", "100", "North"],
            ["2025-Q1", "sales", "300", "North"],
            ["2025-02-15", "orders", "7", ""],
        ],
    )
    s1 = ingest_file(engine, long, "metrics")
    assert s1.inserted == 3 and s1.quarantined == 0
    wide = write_csv(
        "wide.csv",
        [
            ["month", "revenue", "orders", "region"],
            ["2025-01", "1,000", "12", "North"],
            ["2025-13", "5", "1", "South"],
        ],
    )
    s2 = ingest_file(engine, wide, "metrics")
    assert s2.inserted == 2 and s2.quarantined == 1
    again = ingest_file(engine, long, "metrics")
    assert again.unchanged == 3 and again.inserted == 0
    with Session(engine) as s:
        q1 = s.scalar(select(BusinessMetric).where(BusinessMetric.grain == "quarter"))
        assert (q1.period_start, q1.period_end) == (date(2025, 1, 1), date(2025, 3, 31))
        assert q1.dimensions == {"region": "North"}
        rev = s.scalar(select(BusinessMetric).where(BusinessMetric.name == "revenue"))
        assert rev.value == 1000.0 and rev.grain == "month"


def test_ingest_records_reports_item_errors_and_stores_valid(engine, stored):
    records = [
        {"external_id": "a1", "text": "Great app", "rating": 5, "plan": "pro"},
        {"external_id": "a2", "text": "Crashes", "nps": 42},
        {"external_id": "a3", "received_at": "2025-02-01T10:00:00Z", "csat": 2},
    ]
    summary = ingest_records(engine, records, "feedback", source="api")
    assert (summary.inserted, summary.quarantined) == (2, 1)
    assert [(e.index, e.field) for e in summary.errors] == [(1, "nps")]
    assert "outside 0–10" in summary.errors[0].message
    assert {r.external_id: r.extra for r in stored()}["a1"] == {"plan": "pro"}
    again = ingest_records(engine, records[:1], "feedback", source="api")
    assert again.unchanged == 1 and again.inserted == 0
    with pytest.raises(InputError, match="limit"):
        ingest_records(engine, [{"text": "x"}] * 1001, "feedback", source="api")


def test_json_jsonl_xlsx_parquet_load_the_same_rows(engine, tmp_path, stored):
    import pandas as pd

    frame = pd.DataFrame(
        {
            "id": ["x1", "x2"],
            "text": ["Bonjour\nmonde", "Hi"],
            "nps": [9, 3],
            "date": ["2025-03-01T10:00:00Z", "2025-03-02T11:00:00Z"],
            "tier": ["a", "b"],
        }
    )
    (tmp_path / "f.json").write_text(json.dumps(frame.to_dict("records")))
    frame.to_json(tmp_path / "f.jsonl", orient="records", lines=True)
    frame.to_excel(tmp_path / "f.xlsx", index=False)
    frame.to_parquet(tmp_path / "f.parquet")
    for name in ("f.json", "f.jsonl", "f.xlsx", "f.parquet"):
        summary = ingest_file(engine, tmp_path / name, "feedback", source=name)
        assert (summary.inserted, summary.quarantined) == (2, 0), name
    by_source: dict[int, list[tuple]] = {}
    for r in stored():
        by_source.setdefault(r.source_id, []).append(
            (r.external_id, r.text, r.nps, r.received_at, r.extra)
        )
    values = list(by_source.values())
    assert len(values) == 4 and all(v == values[0] for v in values)
    assert values[0][0] == (
        "x1",
        "Bonjour\nmonde",
        9,
        datetime(2025, 3, 1, 10, tzinfo=UTC),
        {"tier": "a"},
    )


def test_jsonl_bad_line_is_quarantined(engine, tmp_path, quarantined):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "ok", "nps": 8}\n{"text": "broken\n{"text": "fine"}\n')
    summary = ingest_file(engine, path, "feedback")
    assert summary.inserted == 2 and summary.quarantined == 1
    assert "not valid JSON" in quarantined()[0].reason


def test_per_row_source_column(engine, write_csv):
    path = write_csv("mix.csv", [["source", "text"], ["shop", "a"], ["app", "b"], ["", "c"]])
    summary = ingest_file(engine, path, "feedback", source="default")
    assert summary.inserted == 3
    with Session(engine) as s:
        names = set(s.scalars(select(Source.name)))
    assert {"shop", "app", "default"} <= names


@pytest.mark.parametrize("batch_size", [1, 7, 5000])
def test_undecodable_byte_deep_in_a_big_file_is_caught(engine, tmp_path, batch_size):
    path = tmp_path / "late.csv"
    lines = [b"id,comment,nps\n"]
    lines += [f"{i},caf\u00e9 {i},5\n".encode() for i in range(600)]
    lines[500] = b"499,bad \xff,5\n"
    path.write_bytes(b"".join(lines))
    summary = ingest_file(engine, path, "feedback", batch_size=batch_size)
    assert (summary.inserted, summary.quarantined) == (599, 1)
