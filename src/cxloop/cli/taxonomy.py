"""``cxloop taxonomy import|export|list``: the workspace's theme taxonomy as YAML."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_rows

taxonomy_app = typer.Typer(
    help="The theme taxonomy (YAML import and export).", no_args_is_help=True
)


@taxonomy_app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="taxonomy YAML (themes: [{name, description, ...}])"),
    replace: bool = typer.Option(
        False, "--replace", help="deactivate themes that are not in the file"
    ),
) -> None:
    """Create or update themes from a YAML file (matched by name).

    Example: cxloop taxonomy import my_themes.yaml --replace
    """
    from cxloop.text.taxonomy import import_taxonomy, parse_taxonomy

    if not file.is_file():
        from cxloop.errors import InputError

        raise InputError(f"taxonomy file not found: {file}", hint="check the path")
    parsed = parse_taxonomy(file.read_text(encoding="utf-8"), source=str(file))
    result = import_taxonomy(state(ctx).engine, parsed, replace=replace, source=str(file))
    console.print(
        f"[green]taxonomy imported[/green]: {result.created} created, {result.updated} updated, "
        f"{result.deactivated} deactivated. Run 'cxloop enrich' to apply it."
    )


@taxonomy_app.command("export")
def export_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(Path("-"), help="output YAML file, or - for the screen"),
) -> None:
    """Write the active taxonomy as YAML (edit it, then import it again).

    Example: cxloop taxonomy export themes.yaml
    """
    from cxloop.text.taxonomy import export_taxonomy

    text = export_taxonomy(state(ctx).engine)
    if str(file) == "-":
        sys.stdout.write(text)
        return
    file.write_text(text, encoding="utf-8")
    console.print(f"taxonomy written to {file}")


@taxonomy_app.command("list")
def list_cmd(
    ctx: typer.Context,
    include_inactive: bool = typer.Option(False, "--all", help="include deactivated themes"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List themes as a tree (each sub-theme under its parent) with keyword and example
    counts, the examples taught ('cxloop text teach'; they live in the active theme version),
    the texts a correction removed the theme from ('taught_not': its counter-examples) and
    the feedback about it (a parent's includes its sub-themes').

    Example: cxloop taxonomy list --format json
    """
    from cxloop.text.taxonomy import list_themes

    rows = list_themes(state(ctx).engine, include_inactive=include_inactive)
    columns = None
    if fmt is OutputFormat.table:
        # Narrow terminals cut names first, so the table keeps to what varies: the tree shows
        # the parent, 'taught' columns appear once something was taught, 'active' with --all
        # (JSON and CSV carry every field, descriptions included).
        rows = as_tree(rows)
        columns = ["name", "keywords", "examples"]
        columns += [c for c in ("taught", "taught_not") if any(r.get(c) for r in rows)]
        columns += ["feedback", "effort", "origin"] + (["active"] if include_inactive else [])
    print_rows(rows, fmt, title="themes", columns=columns)


def as_tree(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in taxonomy order for people: each sub-theme right under its parent, its name
    indented by its depth (the ``parent`` column still names the parent). A parent that is
    not listed (inactive, without ``--all``) leaves its children at the top level."""
    listed = {r["name"] for r in rows}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        parent = row.get("parent") if row.get("parent") in listed else None
        children.setdefault(parent, []).append(row)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(parent: str | None, depth: int) -> None:
        for row in children.get(parent, []):
            if row["name"] in seen:  # a cycle in a hand-edited database: list it once
                continue
            seen.add(row["name"])
            out.append({**row, "name": "  " * depth + ("└ " if depth else "") + row["name"]})
            visit(row["name"], depth + 1)

    visit(None, 0)
    out.extend(r for r in rows if r["name"] not in seen)
    return out


def register(app: typer.Typer) -> None:
    app.add_typer(taxonomy_app, name="taxonomy")
