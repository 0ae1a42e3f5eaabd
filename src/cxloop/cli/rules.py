"""``cxloop rules import|export|list|test|enable|disable``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.markup import escape

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_json, print_rows
from cxloop.errors import InputError, NotFoundError
from cxloop.loop import rules as rule_service
from cxloop.loop.engine import preview_rule
from cxloop.loop.expressions import compile_expression
from cxloop.storage.db import transaction
from cxloop.storage.models.loop import Rule

rules_app = typer.Typer(
    help="Rules that turn feedback into cases and notifications.", no_args_is_help=True
)


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    return path.read_text(encoding="utf-8")


@rules_app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="rules YAML file ('-' for standard input)"),
    replace: bool = typer.Option(False, "--replace", help="remove stored rules not in the file"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Check and store rules (all or nothing). Example: cxloop rules import rules.yaml"""
    specs = rule_service.parse_rules_yaml(_read(file), source=str(file))
    with transaction(state(ctx).engine) as s:
        result = rule_service.import_rules(s, specs, replace=replace)
    summary = {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "removed": result.removed,
    }
    if fmt is OutputFormat.json:
        print_json(summary)
        return
    for key, names in summary.items():
        if names:
            console.print(f"{escape(key)}: {escape(', '.join(names))}")


@rules_app.command("export")
def export(
    ctx: typer.Context,
    file: Path | None = typer.Argument(None, help="write here (default: standard output)"),
) -> None:
    """Write the stored rules as YAML. Example: cxloop rules export rules.yaml"""
    with transaction(state(ctx).engine) as s:
        text = rule_service.export_rules(s)
    if file is None:
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
        console.print(f"wrote {escape(str(file))}")


@rules_app.command("list")
def list_(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
    """List the stored rules in evaluation order. Example: cxloop rules list --format json"""
    with transaction(state(ctx).engine) as s:
        rows = [
            {
                "name": r.name,
                "enabled": r.enabled,
                "when": r.when_expr,
                "actions": ", ".join(k for k, v in (r.actions or {}).items() if v),
                "then": r.actions,
            }
            for r in rule_service.list_rules(s)
        ]
    columns = ["name", "enabled", "when", "actions"] if fmt is OutputFormat.table else None
    print_rows(rows, fmt, title="rules", columns=columns)


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--since {value!r} is not a date like 2026-01-31") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@rules_app.command("test")
def test(
    ctx: typer.Context,
    rule: str = typer.Argument(..., help="rule name (stored, or in --file)"),
    since: str | None = typer.Option(None, "--since", help="only feedback received since DATE"),
    file: Path | None = typer.Option(None, "--file", help="take the rule from this YAML file"),
    limit: int = typer.Option(20, "--limit", help="show at most this many matches"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Show what a rule would catch, without acting.

    Example: cxloop rules test detractor-delivery --since 2026-01-01
    """
    since_at = _parse_date(since)
    with transaction(state(ctx).engine) as s:
        if file is not None:
            specs = {
                sp.name: sp for sp in rule_service.parse_rules_yaml(_read(file), source=str(file))
            }
            if rule not in specs:
                raise NotFoundError(f"{file} has no rule named {rule!r}")
            spec = specs[rule]
            rule_service.check_references(s, spec)
            stored = Rule(
                name=spec.name, when_expr=spec.when, actions=spec.then.model_dump(exclude_none=True)
            )
            compiled = rule_service.CompiledRule(stored, spec, compile_expression(spec.when))
        else:
            compiled = rule_service.compile_rule(rule_service.get_rule(s, rule))
        result = preview_rule(s, compiled, since=since_at, limit=limit)
    envelope = {
        "rule": result.rule,
        "since": since_at,
        "evaluated": result.evaluated,
        "matched": result.matched,
        "already_matched": result.already_matched,
        "would_act_on": result.matched - result.already_matched,
    }
    if fmt is OutputFormat.json:
        print_json({**envelope, "rows": result.rows})
        return
    print_rows(result.rows, fmt, title=f"{rule}: first {min(limit, result.matched)} matches")
    if fmt is OutputFormat.table:
        console.print(
            f"{result.matched} of {result.evaluated} feedback items match; "
            f"{result.matched - result.already_matched} not yet acted on"
        )


@rules_app.command("enable")
def enable(ctx: typer.Context, name: str = typer.Argument(..., help="rule name")) -> None:
    """Switch a rule on. Example: cxloop rules enable detractor-delivery"""
    with transaction(state(ctx).engine) as s:
        rule_service.set_enabled(s, name, True)
    console.print(f"{name} enabled")


@rules_app.command("disable")
def disable(ctx: typer.Context, name: str = typer.Argument(..., help="rule name")) -> None:
    """Switch a rule off (it stays stored). Example: cxloop rules disable detractor-delivery"""
    with transaction(state(ctx).engine) as s:
        rule_service.set_enabled(s, name, False)
    console.print(f"{name} disabled")


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
