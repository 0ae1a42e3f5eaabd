"""``cxloop analyze``: honest CX numbers from the command line (table, JSON or CSV).

Each sub-command parses its options, calls :func:`cxloop.analytics.run_analysis` once and
renders the rows. JSON output is ``{"analysis", "params", "rows", "method", "caveats"}``.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from cxloop.analytics import AnalysisResult, run_analysis
from cxloop.cli.context import state
from cxloop.cli.output import FormatOption, OutputFormat, console, print_rows, progress_bar

analyze_app = typer.Typer(
    help="Understand the numbers: metrics, journey, themes, drivers, segments, churn, sales "
    "linkage, opportunities and anomalies, each with n, intervals and the method used.",
    no_args_is_help=True,
)

SinceOption = typer.Option(None, "--since", help="first day (YYYY-MM-DD), inclusive")
UntilOption = typer.Option(None, "--until", help="last day (YYYY-MM-DD), inclusive")
FilterOption = typer.Option(
    None,
    "--filter",
    help="e.g. \"segment = 'SMB' and region in ('North','South')\" (fields: channel, "
    "journey_stage, touchpoint, sentiment, nps, csat, ces, rating, segment, region, status, "
    "theme, any customer attribute)",
)
MinNOption = typer.Option(30, "--min-n", min=1, help="suppress groups with fewer answers")
LevelOption = typer.Option(
    "all",
    "--level",
    help="themes shown: all, top (no parent; each counts its sub-themes) or leaf (no sub-theme)",
)

#: Table columns left out when no row has a value (a taxonomy without sub-themes).
SHOWN_WHEN_SET = frozenset({"parent"})
#: The columns shown in a terminal table (JSON and CSV carry every field).
TABLE_COLUMNS: dict[str, list[str]] = {
    "metrics": [
        "group",
        "period",
        "n",
        "nps",
        "nps_ci_low",
        "nps_ci_high",
        "csat",
        "csat_ci_low",
        "csat_ci_high",
        "ces",
        "rating",
        "sentiment_index",
        "change_significant",
        "changed",
    ],
    "journey": [
        "stage",
        "touchpoint",
        "volume",
        "sentiment_index",
        "nps",
        "nps_ci_low",
        "nps_ci_high",
        "pain_points",
        "delights",
    ],
    "themes": [
        "theme",
        "parent",
        "volume",
        "share",
        "sentiment",
        "negative_share",
        "nps_impact",
        "nps_impact_ci_low",
        "nps_impact_ci_high",
        "trend_pct_per_month",
        "trend_p_value",
    ],
    "drivers": [
        "driver",
        "importance",
        "direction",
        "effect",
        "effect_ci_low",
        "effect_ci_high",
        "performance",
        "quadrant",
        "note",
    ],
    "segments": [
        "segment",
        "metric",
        "value",
        "baseline",
        "difference",
        "n",
        "p_value",
        "p_adjusted",
        "significant",
    ],
    "churn": [
        "section",
        "factor",
        "effect",
        "ci_low",
        "ci_high",
        "p_value",
        "n",
        "churn_rate",
        "share",
        "value",
        "auc",
        "note",
    ],
    "business": [
        "cx_metric",
        "business_metric",
        "lag",
        "n_pairs",
        "correlation",
        "ci_low",
        "ci_high",
        "p_value",
        "correlation_levels",
        "best",
        "lag_support",
    ],
    "opportunities": [
        "rank",
        "theme",
        "parent",
        "score",
        "scope",
        "severity",
        "value",
        "feasibility",
        "customers_affected",
        "negative_share",
        "nps_impact",
        "revenue_affected",
        "churn_lift",
        "effort",
    ],
    "anomalies": [
        "theme",
        "segment",
        "period_start",
        "observed",
        "expected",
        "ratio",
        "p_value",
        "p_adjusted",
        "significant",
    ],
}


def _table_rows(result: AnalysisResult) -> list[dict[str, Any]]:
    if result.analysis != "journey":
        return result.rows
    out = []
    for row in result.rows:
        r = dict(row)
        for key in ("pain_points", "delights"):
            if key in r:
                r[key] = "; ".join(f"{i['theme']} ({i['mentions']})" for i in r[key])
        out.append(r)
    return out


def show(result: AnalysisResult, fmt: OutputFormat) -> None:
    """Render a result: JSON envelope, CSV rows, or a table followed by method and caveats."""
    envelope = {
        "analysis": result.analysis,
        "params": result.params,
        "method": result.method,
        "caveats": result.caveats,
        **result.extra,
    }
    if fmt is OutputFormat.table:
        print_rows(
            _table_rows(result),
            fmt,
            title=f"{result.analysis}",
            columns=[
                c
                for c in TABLE_COLUMNS.get(result.analysis, [])
                if any(c in r for r in result.rows)
                and (c not in SHOWN_WHEN_SET or any(r.get(c) is not None for r in result.rows))
            ]
            or None,
        )
        console.print(f"[dim]method: {escape(result.method)}[/dim]")
        for caveat in result.caveats:
            console.print(f"[yellow]caveat:[/yellow] {escape(caveat)}")
        return
    print_rows(result.rows, fmt, envelope=envelope)


def _run(ctx: typer.Context, name: str, fmt: OutputFormat, **params: Any) -> None:
    engine = state(ctx).engine
    _first_build(engine, show=fmt is OutputFormat.table)
    result = run_analysis(engine, name, **params)
    show(result, fmt)


def _first_build(engine: Any, show: bool) -> None:
    """The first analysis of a workspace builds the roll-ups (about 25 s per million feedback
    rows), so it gets a progress bar; later analyses only apply what changed."""
    from sqlalchemy.exc import DBAPIError

    from cxloop.analytics import rollups

    st = rollups.state(engine)
    if st is None or st["built"] or st["building"]:
        return
    bar = progress_bar(
        "[bold]building analytics roll-ups[/bold] (first analysis only)", show=show, transient=True
    )
    with bar:
        task = bar.add_task("roll-ups", total=None)
        try:
            rollups.refresh(engine, progress=lambda d, t: bar.update(task, completed=d, total=t))
        except DBAPIError:
            return  # read-only or locked: the analysis answers from the rows (and says so)


@analyze_app.command("metrics")
def metrics(
    ctx: typer.Context,
    period: str = typer.Option("month", "--period", help="week, month, quarter or all"),
    by: str | None = typer.Option(
        None,
        "--by",
        help="segment, channel, journey_stage, touchpoint, theme, region, or any "
        "customer attribute",
    ),
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    filter: str | None = FilterOption,
    min_n: int = MinNOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """NPS, CSAT, CES, rating and sentiment per period and group, with 95% intervals.

    Example: cxloop analyze metrics --period quarter --by segment --format json
    """
    _run(
        ctx,
        "metrics",
        fmt,
        period=period,
        by=by,
        since=since,
        until=until,
        filter=filter,
        min_n=min_n,
    )


@analyze_app.command("journey")
def journey(
    ctx: typer.Context,
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    filter: str | None = FilterOption,
    min_n: int = MinNOption,
    level: str = LevelOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """The journey map: per stage and touchpoint, volume, sentiment, NPS, pain points and
    delights (themes at --level) with representative (redacted) verbatims.

    Example: cxloop analyze journey --since 2026-01-01 --level leaf --format json
    """
    _run(ctx, "journey", fmt, since=since, until=until, filter=filter, min_n=min_n, level=level)


@analyze_app.command("themes")
def themes(
    ctx: typer.Context,
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    filter: str | None = FilterOption,
    min_n: int = MinNOption,
    level: str = LevelOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """Per theme: volume, share, sentiment, NPS impact (mentioners vs the rest) and trend.
    A parent theme counts its sub-themes' feedback too.

    Example: cxloop analyze themes --filter "segment = 'SMB'" --level top
    """
    _run(ctx, "themes", fmt, since=since, until=until, filter=filter, min_n=min_n, level=level)


@analyze_app.command("drivers")
def drivers(
    ctx: typer.Context,
    outcome: str = typer.Option(
        "nps",
        "--outcome",
        help="nps, csat, ces, rating, sentiment, churn, revenue or a numeric customer attribute",
    ),
    attributes: str | None = typer.Option(
        None, "--attributes", help="also test these fields as drivers, e.g. segment,region"
    ),
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    filter: str | None = FilterOption,
    min_n: int = MinNOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """Key drivers of an outcome (relative weights for correlated drivers) with effect,
    performance and the importance-performance quadrant.

    Example: cxloop analyze drivers --outcome nps --attributes segment
    """
    _run(
        ctx,
        "drivers",
        fmt,
        outcome=outcome,
        attributes=attributes,
        since=since,
        until=until,
        filter=filter,
        min_n=min_n,
    )


@analyze_app.command("segments")
def segments(
    ctx: typer.Context,
    by: str = typer.Option("segment", "--by", help="the field whose values are compared"),
    correction: str = typer.Option("bh", "--correction", help="bh (FDR) or holm"),
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    filter: str | None = FilterOption,
    min_n: int = MinNOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """How each segment differs from the rest on metrics and themes, multiple-test corrected.

    Example: cxloop analyze segments --by region --correction holm
    """
    _run(
        ctx,
        "segments",
        fmt,
        by=by,
        correction=correction,
        since=since,
        until=until,
        filter=filter,
        min_n=min_n,
    )


@analyze_app.command("churn")
def churn(
    ctx: typer.Context,
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    filter: str | None = FilterOption,
    min_n: int = MinNOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """Lost customers: churn rates, churn drivers (hazard or odds ratios), exit reasons in
    customers' own words, and revenue at risk.

    Example: cxloop analyze churn --format json
    """
    _run(ctx, "churn", fmt, since=since, until=until, filter=filter, min_n=min_n)


@analyze_app.command("business")
def business(
    ctx: typer.Context,
    metric: str = typer.Option("revenue", "--metric", help="business metric name"),
    cx_metric: str = typer.Option("nps", "--cx-metric", help="nps, csat, ces or rating"),
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    filter: str | None = FilterOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """CX metric against a business metric per period: lagged correlation (lags 0..6), the
    best lag with its uncertainty, and the caveats.

    Example: cxloop analyze business --metric revenue
    """
    _run(
        ctx,
        "business",
        fmt,
        metric=metric,
        cx_metric=cx_metric,
        since=since,
        until=until,
        filter=filter,
    )


@analyze_app.command("opportunities")
def opportunities(
    ctx: typer.Context,
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    filter: str | None = FilterOption,
    min_n: int = MinNOption,
    level: str = LevelOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """Issues ranked by scope, severity, value and feasibility, with the score's parts.

    Example: cxloop analyze opportunities --since 2026-01-01 --level leaf
    """
    _run(
        ctx,
        "opportunities",
        fmt,
        since=since,
        until=until,
        filter=filter,
        min_n=min_n,
        level=level,
    )


@analyze_app.command("anomalies")
def anomalies(
    ctx: typer.Context,
    by: str = typer.Option("segment", "--by", help="field to split each theme by"),
    alpha: float = typer.Option(0.01, "--alpha", help="significance after correction"),
    correction: str = typer.Option("bh", "--correction", help="bh (FDR) or holm"),
    all_rows: bool = typer.Option(
        False, "--all", help="show every tested rise, not only significant ones"
    ),
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    filter: str | None = FilterOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """Spikes and emerging issues per theme and segment per week, against a trailing baseline.

    Example: cxloop analyze anomalies --since 2026-01-01 --alpha 0.01
    """
    _run(
        ctx,
        "anomalies",
        fmt,
        by=by,
        alpha=alpha,
        correction=correction,
        all_rows=all_rows,
        since=since,
        until=until,
        filter=filter,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(analyze_app, name="analyze")
