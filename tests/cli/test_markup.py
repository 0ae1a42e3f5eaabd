"""What a user typed or wrote is printed as written: Rich markup in the CLI's own text only.

Rich reads "[...]" in a printed string as a style tag: an error quoting "keywords: [a, b]"
lost the example, and a team or comment holding "[/b]" stopped the command with a markup
error instead of printing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxloop.cli import output


def test_an_error_quoting_brackets_prints_them(cli, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("comment\nlate again\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes:\n  - name: A\n    keywords: a, b\n")
    result = cli("text", "score", src, "-t", "comment", "-o", tmp_path / "o.csv", "--taxonomy", bad)
    assert result.exit_code == 2
    assert "e.g. keywords: [a, b]" in result.stderr
    assert "line 3" in result.stderr


def test_a_name_that_looks_like_a_closing_tag_is_printed(cli) -> None:
    result = cli("teams", "create", "[/ops]")
    assert result.exit_code == 0, result.stderr
    assert "created team [/ops]" in result.stdout
    listed = cli("teams", "list")
    assert "[/ops]" in listed.stdout


def test_table_cells_keep_brackets(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setattr(output.console, "width", 200)
    rows = [{"[col]": "charged me [twice] and [/b] again", "n": 2}]
    output.print_rows(rows, output.OutputFormat.table, title="[bold]title[/bold]")
    printed = capsys.readouterr().out
    assert "charged me [twice] and [/b] again" in printed
    assert "[col]" in printed and "[bold]title[/bold]" in printed


def test_an_error_quoting_a_closing_tag_prints_it(cli, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: '[/vip] detractors'\n    when: nps <= 2\n    then: {}\n")
    result = cli("rules", "import", rules)
    assert result.exit_code == 2
    assert "rule 1 ([/vip] detractors), field 'name'" in result.stderr
