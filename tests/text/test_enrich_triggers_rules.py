"""End to end through the CLI: with automatic rules on, enrichment opens the cases."""

from __future__ import annotations

import json


def test_enrich_runs_rules_when_auto_is_on(cli, tmp_path):
    assert cli("init").exit_code == 0
    data = tmp_path / "survey.csv"
    data.write_text(
        "external_id,received_at,nps,text\n"
        "a1,2026-05-01,2,My parcel never arrived and nobody answers the phone\n"
        "a2,2026-05-02,10,Lovely quality and fast delivery\n"
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - name: unhappy\n"
        "    when: \"nps <= 6 and sentiment == 'negative'\"\n"
        "    then:\n"
        "      open_case: {priority: high}\n"
    )
    assert cli("ingest", data, "--kind", "feedback", "--source", "survey").exit_code == 0
    assert cli("rules", "import", rules).exit_code == 0
    assert cli("loop", "auto", "--on").exit_code == 0
    result = cli("enrich")
    assert result.exit_code == 0, result.stderr
    cases = json.loads(cli("cases", "list", "--format", "json").stdout)
    rows = cases["rows"] if isinstance(cases, dict) else cases
    assert len(rows) == 1
