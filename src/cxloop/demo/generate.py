"""Write the demo company as the files a user would load: customers, metrics, one per source.

Files are CSV (UTF-8, the format most exports come in) and are written chunk by chunk, so
memory stays flat for a million rows. Each file is written under a ``.part`` name and renamed
when complete, so an interrupted run never leaves a half file that looks finished. A sidecar
``feedback_truth.csv`` records what was planted in every item (themes and polarity, segment,
crash exposure, spike week, packaging); it is not ingested and exists for accuracy checks.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from cxloop.demo.feedback import (
    COLUMNS,
    SOURCES,
    TRUTH_COLUMNS,
    feedback_chunks,
    monthly_mood,
)
from cxloop.demo.population import (
    CUSTOMER_COLUMNS,
    Population,
    customer_rows,
    simulate_population,
)
from cxloop.demo.sales import MonthlyNps, monthly_metrics
from cxloop.errors import InputError

ProgressCallback = Callable[[str, int], None]

MAX_CUSTOMERS = 5_000_000
MAX_FEEDBACK = 50_000_000


@dataclass(frozen=True)
class DemoFile:
    """One generated file and what to ingest it as."""

    kind: str  # customers|metrics|feedback
    path: Path
    rows: int
    source: str | None = None


@dataclass
class DemoFiles:
    folder: Path
    files: list[DemoFile] = field(default_factory=list)
    truth: Path | None = None
    seed: int = 0


@dataclass
class Company:
    """The simulated company: customers and the monthly mood behind satisfaction and sales."""

    population: Population
    mood: np.ndarray
    seed: int


def build_company(customers: int, seed: int) -> Company:
    """Simulate the customer base for ``seed``; every later step derives from it."""
    if customers < 10 or customers > MAX_CUSTOMERS:
        raise InputError(
            f"--customers {customers} is outside 10..{MAX_CUSTOMERS:,}",
            hint="pick a number of customers such as 4000",
        )
    rng = np.random.default_rng([seed, 1])
    population = simulate_population(customers, rng)
    mood = monthly_mood(np.random.default_rng([seed, 2]))
    return Company(population=population, mood=mood, seed=seed)


class _PartFile:
    """A CSV file written under ``name.part`` and renamed into place when closed cleanly."""

    def __init__(self, path: Path, columns: tuple[str, ...]) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self.handle: IO[str] = self.part.open("w", newline="", encoding="utf-8")
        self.writer = csv.DictWriter(self.handle, fieldnames=columns, extrasaction="ignore")
        self.writer.writeheader()
        self.rows = 0

    def write(self, row: dict[str, object]) -> None:
        self.writer.writerow(row)
        self.rows += 1

    def commit(self) -> None:
        self.handle.close()
        os.replace(self.part, self.path)

    def abandon(self) -> None:
        self.handle.close()
        self.part.unlink(missing_ok=True)


def generate_files(
    folder: Path,
    *,
    customers: int = 4000,
    feedback: int = 20_000,
    seed: int = 7,
    on_progress: ProgressCallback | None = None,
) -> DemoFiles:
    """Generate the demo company's files into ``folder`` (replacing earlier demo files)."""
    if feedback < 0 or feedback > MAX_FEEDBACK:
        raise InputError(
            f"--feedback {feedback} is outside 0..{MAX_FEEDBACK:,}",
            hint="pick a number of feedback items such as 20000",
        )
    folder.mkdir(parents=True, exist_ok=True)
    company = build_company(customers, seed)
    result = DemoFiles(folder=folder, seed=seed)

    cust_file = _PartFile(folder / "customers.csv", CUSTOMER_COLUMNS)
    opened: list[_PartFile] = [cust_file]
    try:
        rows = customer_rows(company.population)
        for row in rows:
            cust_file.write(row)
        base_revenue = float(company.population.revenue.sum()) / 12.0
        del rows
        if on_progress:
            on_progress("customers", customers)

        writers = {
            spec.key: _PartFile(folder / f"feedback_{spec.key}.csv", COLUMNS + spec.extra_columns)
            for spec in SOURCES
        }
        opened.extend(writers.values())
        truth = _PartFile(folder / "feedback_truth.csv", ("external_id", "source", *TRUTH_COLUMNS))
        opened.append(truth)
        nps = MonthlyNps()
        by_name = {spec.name: spec.key for spec in SOURCES}
        for chunk in feedback_chunks(company.population, company.mood, seed, feedback):
            for row in chunk:
                writers[by_name[str(row["source"])]].write(row)
                truth.write(row)
                if row["nps"] != "":
                    nps.add(int(row["_month"]), int(row["nps"]))  # type: ignore[call-overload]
            if on_progress:
                on_progress("feedback", len(chunk))

        metrics_file = _PartFile(folder / "metrics.csv", ("period", "name", "value"))
        opened.append(metrics_file)
        for row in monthly_metrics(
            nps.series(), company.mood, base_revenue, np.random.default_rng([seed, 3])
        ):
            metrics_file.write(row)
    except BaseException:
        for f in opened:
            f.abandon()
        raise
    for f in opened:
        f.commit()

    result.files.append(DemoFile("customers", cust_file.path, cust_file.rows))
    result.files.append(DemoFile("metrics", metrics_file.path, metrics_file.rows))
    for spec in SOURCES:
        w = writers[spec.key]
        result.files.append(DemoFile("feedback", w.path, w.rows, source=spec.name))
    result.truth = truth.path
    return result
