"""The real ``cxloop`` commands: ingest, quarantine list/show/retry/discard, export."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq

TEXTS = [
    "Plain text",
    'Quotes "inside", commas, and\nnewlines\r\nwith CRLF',
    "  leading and trailing spaces  ",
    "Unicode: café, 日本語, emoji 🙂, RTL עברית",
    "Tab\tseparated\tand a backslash \\",
]


def _init(cli) -> None:
    assert cli("init").exit_code == 0


def test_ingest_summary_json_and_exit_codes(cli, write_csv):
    _init(cli)
    path = write_csv("s.csv", [["id", "comment", "nps"], ["1", "good", "9"], ["2", "bad", "12"]])
    result = cli("ingest", path, "--kind", "feedback", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["read"], data["inserted"], data["quarantined"]) == (2, 1, 1)
    assert data["profile"] == "generic"
    bad = write_csv("nocol.csv", [["id", "country"], ["1", "FR"]])
    failed = cli("ingest", bad, "--kind", "feedback")
    assert failed.exit_code == 2
    assert "no column holds feedback text" in failed.stderr and "--map" in failed.stderr
    table = cli("ingest", path)
    assert table.exit_code == 0 and "unchanged" in table.stdout
    runs = json.loads(cli("ingest-runs", "--format", "json").stdout)
    assert [r["status"] for r in runs][:2] == ["completed", "completed"]
    profiles = json.loads(cli("ingest-profiles", "--format", "json").stdout)
    assert {p["profile"] for p in profiles} >= {
        "generic",
        "qualtrics",
        "zendesk",
        "trustpilot",
        "app_store",
    }


def test_quarantine_list_show_retry_with_corrected_mapping(cli, write_csv):
    _init(cli)
    # "score" is a 1-5 star rating, but the user first maps it to NPS... then fixes it.
    path = write_csv(
        "reviews.csv",
        [["id", "comment", "score"], ["1", "great", "5"], ["2", "", "4.5"], ["3", "", "five"]],
    )
    first = json.loads(cli("ingest", path, "--map", "score=nps", "-f", "json").stdout)
    assert (first["inserted"], first["quarantined"]) == (1, 2)
    listed = json.loads(cli("quarantine", "list", "--format", "json").stdout)
    assert [e["row"] for e in listed] == [3, 4]
    shown = json.loads(cli("quarantine", "show", str(listed[0]["id"]), "-f", "json").stdout)
    assert shown["raw"]["score"] == "4.5" and "whole number" in shown["reason"]
    retried = cli(
        "quarantine",
        "retry",
        "--run",
        str(first["run_id"]),
        "--map",
        "score=rating",
        "--format",
        "json",
    )
    report = json.loads(retried.stdout)
    assert (report["stored"], report["still_failing"]) == (1, 1)
    still = json.loads(cli("quarantine", "list", "-f", "json").stdout)
    assert len(still) == 1 and still[0]["row"] == 4
    assert "'five' is not a number for rating" in still[0]["reason"]
    assert cli("quarantine", "discard", str(still[0]["id"])).exit_code == 0
    assert json.loads(cli("quarantine", "list", "-f", "json").stdout) == []
    missing = cli("quarantine", "show", "999")
    assert missing.exit_code != 0 and "no quarantine entry 999" in missing.stderr


def test_export_gives_text_back_byte_for_byte(cli, write_csv, tmp_path):
    _init(cli)
    rows = [["id", "text", "nps", "segment"]]
    rows += [[f"t{i}", t, str(i), "SMB"] for i, t in enumerate(TEXTS)]
    assert cli("ingest", write_csv("t.csv", rows)).exit_code == 0

    out_csv = tmp_path / "out.csv"
    assert cli("export", "feedback", "--format", "csv", "-o", out_csv).exit_code == 0
    with out_csv.open(newline="", encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert [r["text"] for r in exported] == TEXTS
    assert json.loads(exported[0]["extra"]) == {"segment": "SMB"}

    out_jsonl = tmp_path / "out.jsonl"
    assert cli("export", "feedback", "--format", "jsonl", "-o", out_jsonl).exit_code == 0
    lines = [json.loads(x) for x in out_jsonl.read_text(encoding="utf-8").splitlines()]
    assert [x["text"] for x in lines] == TEXTS and lines[1]["nps"] == 1
    assert lines[0]["extra"] == {"segment": "SMB"}

    out_pq = tmp_path / "out.parquet"
    assert cli("export", "feedback", "--format", "parquet", "-o", out_pq).exit_code == 0
    table = pq.read_table(out_pq)
    assert table.column("text").to_pylist() == TEXTS
    assert [t.encode() for t in table.column("text").to_pylist()] == [t.encode() for t in TEXTS]


def test_export_to_stdout_and_customers(cli, write_csv):
    _init(cli)
    cust = write_csv("c.csv", [["customer_id", "name", "colour"], ["C1", "Zoë Ltd", "gold"]])
    assert cli("ingest", cust, "--kind", "customers").exit_code == 0
    result = cli("export", "customers", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["customer_id"] == "C1" and rows[0]["name"] == "Zoë Ltd"
    assert json.loads(rows[0]["attributes"]) == {"colour": "gold"}


def test_quarantine_retry_for_metrics_and_customers(cli, write_csv):
    _init(cli)
    sales = write_csv(
        "sales.csv",
        [["period", "name", "value"], ["2025-01", "sales", "10"], ["Jan 2025", "sales", "12"]],
    )
    run = json.loads(cli("ingest", sales, "--kind", "metrics", "-f", "json").stdout)
    assert (run["inserted"], run["quarantined"]) == (1, 1)
    (entry,) = json.loads(cli("quarantine", "list", "--kind", "metrics", "-f", "json").stdout)
    assert entry["row"] == 3 and "not a period" in entry["reason"]
    report = json.loads(cli("quarantine", "retry", str(entry["id"]), "-f", "json").stdout)
    assert report["still_failing"] == 1, "an unfixable value stays open"
    customers = write_csv("c.csv", [["id", "signup"], ["C1", "2025-01-01"], ["C2", "soon"]])
    run = json.loads(
        cli(
            "ingest", customers, "--kind", "customers", "--map", "signup=signup_at", "-f", "json"
        ).stdout
    )
    assert (run["inserted"], run["quarantined"]) == (1, 1)
    report = json.loads(
        cli(
            "quarantine",
            "retry",
            "--run",
            str(run["run_id"]),
            "--map",
            "signup=extra",
            "-f",
            "json",
        ).stdout
    )
    assert (report["stored"], report["still_failing"]) == (1, 0)
    exported = cli("export", "customers", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x)["customer_id"] for x in exported] == ["C1", "C2"]
    assert json.loads(exported[1])["attributes"] == {"signup": "soon"}


def test_retried_row_is_not_duplicated_by_re_ingesting_its_file(cli, write_csv):
    """A row with no external id, stored by a quarantine retry, keeps the identity it had in
    its file: ingesting the same file again (now with the right mapping) finds it instead of
    adding it a second time."""
    _init(cli)
    path = write_csv("noid.csv", [["comment", "score"], ["great", "5"], ["fine", "4.5"]])
    first = json.loads(cli("ingest", path, "--map", "score=nps", "-f", "json").stdout)
    assert (first["inserted"], first["quarantined"]) == (1, 1)
    retried = cli("quarantine", "retry", "--run", str(first["run_id"]), "--map", "score=rating")
    assert retried.exit_code == 0, retried.stderr
    again = json.loads(cli("ingest", path, "--map", "score=rating", "-f", "json").stdout)
    assert again["quarantined"] == 0 and again["inserted"] == 0, again
    exported = cli("export", "feedback", "--format", "jsonl")
    rows = [json.loads(x) for x in exported.stdout.splitlines()]
    assert sorted(r["text"] for r in rows) == ["fine", "great"], rows
    assert {r["text"]: r["rating"] for r in rows} == {"fine": 4.5, "great": 5}
