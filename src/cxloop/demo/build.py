"""Build the demo workspace: generate the company's files, then load them like a user would.

Loading goes through :func:`cxloop.ingest.loader.ingest_file` (the code path behind
``cxloop ingest``), customers first so feedback links to them, then metrics, then one file
per feedback source. Re-running with the same seed changes nothing (ingestion is idempotent);
a different seed or size rewrites the files and updates rows in place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from cxloop.demo import planted
from cxloop.demo.generate import DemoFiles, ProgressCallback, generate_files


@dataclass
class DemoResult:
    """What was generated and loaded, with timings (seconds)."""

    files: DemoFiles
    loaded: list[dict[str, Any]] = field(default_factory=list)
    generate_seconds: float = 0.0
    ingest_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.files.folder),
            "seed": self.files.seed,
            "truth_file": str(self.files.truth) if self.files.truth else None,
            "generate_seconds": round(self.generate_seconds, 2),
            "ingest_seconds": round(self.ingest_seconds, 2),
            "files": self.loaded
            or [
                {"kind": f.kind, "source": f.source, "file": f.path.name, "rows": f.rows}
                for f in self.files.files
            ],
            "planted": planted_effects(),
        }


def planted_effects() -> list[dict[str, Any]]:
    """The planted effects in words, so a user knows what the analyses should find."""
    return [
        {
            "effect": "key driver",
            "detail": f"complaints about '{planted.DRIVER_THEME}' cost about "
            f"{planted.DRIVER_NPS_PENALTY:g} NPS points: the strongest driver of NPS",
        },
        {
            "effect": "spike",
            "detail": f"'{planted.SPIKE_THEME}' complaints (double charges) jump about "
            f"{planted.SPIKE_MULTIPLIER:g}x in the week of {planted.SPIKE_WEEK_START}",
        },
        {
            "effect": "different segment",
            "detail": f"'{planted.DIFFERENT_SEGMENT}' has markedly lower NPS/CSAT and far more "
            f"'{planted.DIFFERENT_SEGMENT_THEME}' complaints (account management)",
        },
        {
            "effect": "churn driver",
            "detail": f"from {planted.CHURN_PROBLEM_START} app crashes ('{planted.CHURN_THEME}') "
            f"raise the churn hazard of customers who hit them about "
            f"{planted.CHURN_HAZARD_RATIO:g}x; exit reasons name the app",
        },
        {
            "effect": "sales linkage",
            "detail": f"monthly revenue follows monthly NPS "
            f"{planted.SALES_LAG_MONTHS} months later",
        },
        {
            "effect": "undefined theme",
            "detail": f"about {planted.UNDEFINED_THEME_PREVALENCE:.0%} of comments are about "
            f"{planted.UNDEFINED_THEME_LABEL}, a theme not in the taxonomy",
        },
    ]


def ingest_demo_files(engine: Engine, result: DemoResult, *, progress: bool = False) -> None:
    """Load generated files through the user's ingestion path; fills ``result.loaded``."""
    from cxloop.ingest.loader import ingest_file

    started = time.perf_counter()
    result.loaded = []
    for f in result.files.files:
        summary = ingest_file(engine, f.path, f.kind, source=f.source, progress=progress)
        result.loaded.append(
            {
                "kind": f.kind,
                "source": f.source,
                "file": f.path.name,
                "rows": f.rows,
                "inserted": summary.inserted,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "quarantined": summary.quarantined,
                "seconds": summary.seconds,
            }
        )
    result.ingest_seconds = time.perf_counter() - started


def build_demo(
    engine: Engine | None,
    folder: Path,
    *,
    customers: int = 4000,
    feedback: int = 20_000,
    seed: int = 7,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> DemoResult:
    """Generate the demo company into ``folder`` and load it (only generate without engine)."""
    started = time.perf_counter()
    files = generate_files(
        folder, customers=customers, feedback=feedback, seed=seed, on_progress=on_progress
    )
    result = DemoResult(files=files, generate_seconds=time.perf_counter() - started)
    if engine is not None:
        ingest_demo_files(engine, result, progress=progress)
    return result
