"""The journey map: per stage and touchpoint, volume, sentiment, NPS, pain points and delights.

Pain points are the themes with the most negative mentions in a stage, delights the themes
with the most positive mentions. The top pain point and the top delight of each stage come with
representative verbatims (feedback id and the *redacted* text, never the original).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from cxloop.analytics.metrics import estimates
from cxloop.analytics.result import AnalysisResult
from cxloop.errors import NotEstimable

METHOD = (
    "Per stage/touchpoint: volume, sentiment index (100 x mean score, t interval), NPS "
    "(trinomial 95% interval). Pain points: themes with the most negative aspect mentions in "
    "the stage; delights: most positive. Cells below min_n are suppressed."
)

VerbatimFinder = Callable[[str, int, str], list[dict[str, Any]]]


def journey_map(
    stats: pd.DataFrame,
    stage_themes: pd.DataFrame,
    themes: pd.DataFrame,
    find_verbatims: VerbatimFinder | None = None,
    *,
    min_n: int = 30,
    top: int = 3,
    stage_order: list[str] | None = None,
    params: dict[str, Any] | None = None,
) -> AnalysisResult:
    """One row per stage (touchpoint ``(all)``) and per stage x touchpoint."""
    if stats.empty or stats["n"].sum() == 0:
        raise NotEstimable("no feedback in the selected range and filter")
    names = dict(zip(themes["theme_id"], themes["theme"], strict=False))
    stat_cols = [c for c in stats.columns if c not in ("stage", "touchpoint")]
    by_stage = stats.groupby("stage", as_index=False)[stat_cols].sum()
    by_stage["touchpoint"] = "(all)"
    cells = pd.concat([by_stage, stats], ignore_index=True)
    order = {s: i for i, s in enumerate(stage_order or [])}
    cells["_o"] = cells["stage"].map(lambda s: order.get(s, len(order)))
    cells["_t"] = cells["touchpoint"] != "(all)"
    cells = cells.sort_values(["_o", "stage", "_t", "touchpoint"])
    rows: list[dict[str, Any]] = []
    suppressed = 0
    for _, c in cells.iterrows():
        if c["n"] < min_n:
            suppressed += 1
            continue
        e = estimates(c)
        row: dict[str, Any] = {
            "stage": c["stage"],
            "touchpoint": c["touchpoint"],
            "volume": int(c["n"]),
            "sentiment_index": e["sentiment_index"].value,
            "sentiment_ci_low": e["sentiment_index"].low,
            "sentiment_ci_high": e["sentiment_index"].high,
            "nps": e["nps"].value if c["nps_n"] >= min_n else None,
            "nps_ci_low": e["nps"].low if c["nps_n"] >= min_n else None,
            "nps_ci_high": e["nps"].high if c["nps_n"] >= min_n else None,
            "nps_n": int(c["nps_n"]),
        }
        if c["touchpoint"] == "(all)":
            st = stage_themes[stage_themes["stage"] == c["stage"]]
            for kind, label in (("pain_points", "negative"), ("delights", "positive")):
                part = st[st["sentiment_label"] == label].sort_values(
                    ["count", "theme_id"], ascending=[False, True], kind="stable"
                )
                items = []
                for rank, (_, t) in enumerate(part.head(top).iterrows()):
                    item: dict[str, Any] = {
                        "theme": names.get(t["theme_id"], str(t["theme_id"])),
                        "mentions": int(t["count"]),
                    }
                    if find_verbatims is not None and rank == 0:
                        item["verbatims"] = find_verbatims(c["stage"], int(t["theme_id"]), label)
                    items.append(item)
                row[kind] = items
        rows.append(row)
    caveats = (
        [f"{suppressed} stage/touchpoint cell(s) with n < {min_n} suppressed"]
        if (suppressed)
        else []
    )
    return AnalysisResult("journey", params or {}, rows, METHOD, caveats)
