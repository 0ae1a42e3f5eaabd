"""Taxonomy YAML: validation that names the line, the default taxonomy, workspace storage."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from cxloop.demo.planted import DEFAULT_THEMES
from cxloop.storage.db import transaction
from cxloop.storage.models import Theme
from cxloop.text.taxonomy import (
    TaxonomyError,
    check_hierarchy,
    default_taxonomy,
    ensure_taxonomy,
    import_taxonomy,
    list_themes,
    load_taxonomy,
    load_taxonomy_file,
    parse_taxonomy,
    taxonomy_fingerprint,
    taxonomy_to_yaml,
)

GOOD = textwrap.dedent(
    """\
    themes:
      - name: Fulfilment
        description: everything between order and doorstep
        keywords: [fulfilment]
      - name: Delivery
        description: orders arriving late, lost or damaged
        keywords: [delivery, courier, parcel]
        examples: ["my package never came"]
        parent: Fulfilment
        effort: high
    """
)


def test_default_taxonomy_has_the_planted_names_with_content() -> None:
    themes = default_taxonomy()
    assert [t.name for t in themes] == list(DEFAULT_THEMES)
    for theme in themes:
        assert theme.description
        assert len(theme.keywords) >= 3
        assert 2 <= len(theme.examples) <= 5


def test_parse_good_file() -> None:
    parsed = parse_taxonomy(GOOD)
    delivery = parsed.themes[1]
    assert delivery.parent == "Fulfilment"
    assert delivery.keywords == ("delivery", "courier", "parcel")
    assert delivery.examples == ("my package never came",)
    assert parsed.lines == {"Fulfilment": 2, "Delivery": 5}
    assert parsed.efforts == {"Delivery": "high"}


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("themes:\n  - name: A\n    keywords: [a\n", 4, "not valid YAML"),
        ("themes:\n  - name: A\n    colour: red\n", 3, "unknown field 'colour'"),
        ("themes:\n  - description: x\n", 2, "without a 'name'"),
        (
            "themes:\n  - name: A\n    keywords: [a]\n  - name: A\n    keywords: [b]\n",
            4,
            "defined twice (first on line 2)",
        ),
        ("themes:\n  - name: A\n    keywords: a, b\n", 3, "keywords must be a list"),
        ("themes:\n  - name: A\n", 2, "needs a description, keywords or examples"),
        ("themes:\n  - name: A\n    keywords: [a]\n    effort: huge\n", 4, "effort must be"),
        ("themes: []\n", 1, "list is empty"),
        ("topics:\n  - name: A\n", 1, "unknown top-level key 'topics'"),
        ("", 1, "the file is empty"),
        ("themes:\n  - just a string\n", 2, "must be a mapping"),
        ("themes:\n  - name: A\n    keywords: [a]\n    parent: A\n", 2, "its own parent"),
    ],
)
def test_errors_name_the_line_and_problem(text: str, line: int, problem: str) -> None:
    with pytest.raises(TaxonomyError) as info:
        parse_taxonomy(text, source="t.yaml")
    assert f"t.yaml line {line}:" in info.value.message
    assert problem in info.value.message
    assert info.value.details["line"] == line


def test_unknown_parent_and_cycles_name_the_line() -> None:
    parsed = parse_taxonomy("themes:\n  - name: A\n    keywords: [a]\n    parent: Nope\n")
    with pytest.raises(TaxonomyError, match="line 2: parent 'Nope'"):
        check_hierarchy(parsed)
    cyclic = parse_taxonomy(
        "themes:\n  - name: A\n    keywords: [a]\n    parent: B\n"
        "  - name: B\n    keywords: [b]\n    parent: A\n"
    )
    with pytest.raises(TaxonomyError, match="parent cycle"):
        check_hierarchy(cyclic)


def test_yaml_round_trip(tmp_path: Path) -> None:
    parsed = parse_taxonomy(GOOD)
    path = tmp_path / "t.yaml"
    path.write_text(taxonomy_to_yaml(parsed.themes, parsed.efforts))
    again = load_taxonomy_file(path)
    assert again.themes == parsed.themes
    assert again.efforts == parsed.efforts
    assert taxonomy_fingerprint(again.themes) == taxonomy_fingerprint(parsed.themes)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not found"):
        load_taxonomy_file(tmp_path / "nope.yaml")


def test_workspace_gets_the_default_once(engine) -> None:
    assert ensure_taxonomy(engine) is True
    assert ensure_taxonomy(engine) is False
    names = [t.name for t in load_taxonomy(engine)]
    assert names == list(DEFAULT_THEMES)
    with transaction(engine) as session:
        origins = set(session.scalars(select(Theme.origin)))
    assert origins == {"default"}


def test_import_updates_creates_and_replaces(engine) -> None:
    ensure_taxonomy(engine)
    result = import_taxonomy(engine, parse_taxonomy(GOOD))
    assert (result.created, result.updated, result.deactivated) == (1, 1, 0)
    themes = {t.name: t for t in load_taxonomy(engine)}
    assert themes["Delivery"].parent == "Fulfilment"
    assert themes["Delivery"].examples == ("my package never came",)
    assert "Returns" in themes  # merge keeps the rest
    result = import_taxonomy(engine, parse_taxonomy(GOOD), replace=True)
    assert result.deactivated == len(DEFAULT_THEMES) - 1
    assert [t.name for t in load_taxonomy(engine)] == ["Delivery", "Fulfilment"]
    rows = {r["name"]: r for r in list_themes(engine, include_inactive=True)}
    assert rows["Returns"]["active"] is False
    assert rows["Delivery"]["effort"] == "high"
    assert rows["Delivery"]["parent"] == "Fulfilment"


def test_import_accepts_parent_already_in_workspace(engine) -> None:
    ensure_taxonomy(engine)
    child = parse_taxonomy(
        "themes:\n  - name: Late delivery\n    keywords: [late]\n    parent: Delivery\n"
    )
    import_taxonomy(engine, child)
    assert {t.name: t.parent for t in load_taxonomy(engine)}["Late delivery"] == "Delivery"
    with pytest.raises(TaxonomyError, match="parent 'Delivery'"):
        import_taxonomy(engine, child, replace=True)


def test_cli_import_export_list(cli, settings, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    listed = cli("taxonomy", "list", "--format", "json")
    assert listed.exit_code == 0
    assert '"Delivery"' in listed.stdout
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD)
    result = cli("taxonomy", "import", str(path))
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "out.yaml"
    assert cli("taxonomy", "export", str(out)).exit_code == 0
    assert "parent: Fulfilment" in out.read_text()
    table = cli("taxonomy", "list").stdout.splitlines()
    at = next(i for i, line in enumerate(table) if "│ Fulfilment" in line)
    assert "│   └ Delivery" in table[at + 1]  # the sub-theme right under its parent
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes:\n  - name: A\n    colour: red\n")
    result = cli("taxonomy", "import", str(bad))
    assert result.exit_code == 2
    assert "line 3: unknown field 'colour'" in result.stderr.replace("\n", " ")


def test_taxonomy_table_order_nests_sub_themes_and_survives_odd_parents() -> None:
    from cxloop.cli.taxonomy import as_tree

    rows = [
        {"name": "Late", "parent": "Delivery"},
        {"name": "Price", "parent": None},
        {"name": "Delivery", "parent": "Fulfilment"},
        {"name": "Fulfilment", "parent": None},
        {"name": "Orphan", "parent": "Inactive"},
        {"name": "A", "parent": "B"},
        {"name": "B", "parent": "A"},
    ]
    names = [r["name"] for r in as_tree(rows)]
    assert names == ["Price", "Fulfilment", "  └ Delivery", "    └ Late", "Orphan", "A", "B"]
    assert [r["parent"] for r in as_tree(rows)][2] == "Fulfilment"
