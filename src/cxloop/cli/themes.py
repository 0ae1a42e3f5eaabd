"""``cxloop themes discover|proposals|accept|reject|overlaps``: themes nobody defined."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.markup import escape

from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_object, print_rows
from cxloop.errors import InputError

themes_app = typer.Typer(help="Discover new themes and review the proposals.", no_args_is_help=True)


def _parse_since(since: str | None) -> datetime | None:
    if not since:
        return None
    try:
        value = datetime.fromisoformat(since)
    except ValueError as exc:
        raise InputError(f"--since '{since}' is not a date", hint="use YYYY-MM-DD") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@themes_app.command("discover")
def discover(
    ctx: typer.Context,
    since: str | None = typer.Option(None, help="only feedback received on or after this date"),
    min_size: int | None = typer.Option(None, "--min-size", help="smallest theme, in sentences"),
    backend: str = typer.Option("fast", help="fast (TF-IDF/LSA) or embedding (MiniLM)"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Find recurring subjects the taxonomy does not cover, and store them as proposals.

    Proposals are listed best first: new, distinctive, coherent subjects before loose or
    half-covered ones; clusters of opinion words with no subject ("love it") are set aside.
    The score's parts are in --format json (docs/learning.md explains them).

    Example: cxloop themes discover --since 2026-01-01 --min-size 30
    """
    from cxloop.text.proposals import discover_for_workspace

    encode = None
    if backend != "fast":
        from cxloop.text.backends import get_backend

        encode = get_backend(backend).encode
    with console.status("clustering feedback sentences..."):
        result, stored = discover_for_workspace(
            state(ctx).engine, since=_parse_since(since), min_size=min_size, encode=encode
        )
    rows = [
        {
            "rank": position,
            "id": p.id,
            "score": round(float((p.params or {}).get("rank", {}).get("score", 0.0)), 3),
            "label": p.label,
            "keywords": ", ".join(p.keywords),
            "size": p.size,
            "share": round(p.share, 4),
            "negative_share": p.negative_share,
            "trend": p.trend.get("direction"),
            "examples": [e["text"] for e in p.examples],
        }
        for position, p in enumerate(stored, start=1)
    ]
    params = {
        "since": since,
        "min_size": min_size,
        "backend": backend,
        "method": result.method,
        "feedback": result.n_feedback,
        "sentences": result.n_sentences,
        "clusters": result.n_clusters,
        "covered_by_taxonomy": len(result.covered_clusters),
        "generic_set_aside": len(result.generic_clusters),
    }
    if fmt is OutputFormat.table:
        console.print(
            f"{result.n_feedback} feedback, {result.n_sentences} sentences, {result.n_clusters} "
            f"clusters, {len(result.covered_clusters)} already covered by the taxonomy, "
            f"{len(result.generic_clusters)} generic (opinions with no subject) set aside; "
            "best first"
        )
        rows = [{k: v for k, v in r.items() if k != "examples"} for r in rows]
    print_rows(
        rows,
        fmt,
        title="proposed themes",
        envelope={"analysis": "themes-discover", "params": params},
    )
    if fmt is OutputFormat.table and rows:
        console.print(
            "review with 'cxloop themes show ID', then 'cxloop themes accept ID --name NAME'"
        )


@themes_app.command("proposals")
def proposals(
    ctx: typer.Context,
    status: str = typer.Option("proposed", help="proposed, accepted, rejected or all"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List stored proposals. Example: cxloop themes proposals --status all --format json"""
    from cxloop.text.proposals import list_proposals

    rows = list_proposals(state(ctx).engine, None if status == "all" else status)
    if fmt is OutputFormat.table:
        rows = [{k: v for k, v in r.items() if k != "examples"} for r in rows]
    print_rows(rows, fmt, title="theme proposals")


@themes_app.command("show")
def show(ctx: typer.Context, proposal_id: int, fmt: OutputFormat = FormatOption) -> None:
    """One proposal with its representative verbatims. Example: cxloop themes show 3"""
    from cxloop.errors import NotFoundError
    from cxloop.text.proposals import list_proposals

    found = [r for r in list_proposals(state(ctx).engine, None) if r["id"] == proposal_id]
    if not found:
        raise NotFoundError(
            f"no theme proposal {proposal_id}", hint="see 'cxloop themes proposals'"
        )
    row = dict(found[0])
    if fmt is OutputFormat.table:
        row["examples"] = "\n".join(f"- {e['text']}" for e in row["examples"])
    print_object(row, fmt, title=f"proposal {proposal_id}")


@themes_app.command("accept")
def accept(
    ctx: typer.Context,
    proposal_id: int,
    name: str | None = typer.Option(None, help="theme name (default: the proposal's label)"),
    parent: str | None = typer.Option(None, help="parent theme in the taxonomy"),
) -> None:
    """Turn a proposal into a taxonomy theme with its examples.

    Example: cxloop themes accept 3 --name "Packaging waste" --parent "Product quality"
    """
    from cxloop.text.proposals import accept_proposal

    theme = accept_proposal(state(ctx).engine, proposal_id, name=name, parent=parent)
    console.print(
        f"[green]theme '{escape(theme.name)}' added[/green]; run 'cxloop enrich' to apply it"
    )


@themes_app.command("reject")
def reject(ctx: typer.Context, proposal_id: int) -> None:
    """Reject a proposal; similar clusters are not proposed again.

    Example: cxloop themes reject 4
    """
    from cxloop.text.proposals import reject_proposal

    reject_proposal(state(ctx).engine, proposal_id)
    console.print(f"proposal {proposal_id} rejected")


@themes_app.command("overlaps")
def overlaps(
    ctx: typer.Context,
    threshold: float = typer.Option(0.35, help="similarity from which two themes overlap"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Themes whose definitions or assignments overlap heavily.

    Example: cxloop themes overlaps --format json
    """
    from cxloop.text.proposals import workspace_overlaps

    print_rows(workspace_overlaps(state(ctx).engine, threshold), fmt, title="overlapping themes")


def register(app: typer.Typer) -> None:
    app.add_typer(themes_app, name="themes")
