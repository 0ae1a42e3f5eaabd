"""The demo company at the default ``make run`` size, generated once per test session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from cxloop.demo import planted
from cxloop.demo.generate import DemoFiles, build_company, generate_files
from cxloop.demo.population import Population

CUSTOMERS = 4000
FEEDBACK = 20_000
SEED = 7


@dataclass
class DemoData:
    files: DemoFiles
    feedback: pd.DataFrame  # every feedback file joined with the truth sidecar
    customers: pd.DataFrame
    metrics: pd.DataFrame
    population: Population


def load_feedback(files: DemoFiles) -> pd.DataFrame:
    frames = [
        pd.read_csv(f.path, dtype=str, keep_default_na=False)
        for f in files.files
        if f.kind == "feedback"
    ]
    fb = pd.concat(frames, ignore_index=True)
    assert files.truth is not None
    truth = pd.read_csv(files.truth, dtype=str, keep_default_na=False)
    fb = fb.merge(truth, on=["external_id", "source"], validate="one_to_one")
    for theme in planted.DEFAULT_THEMES:
        fb[f"m:{theme}"] = fb["_themes"].str.contains(f"{theme}:", regex=False)
        fb[f"neg:{theme}"] = fb["_themes"].str.contains(f"{theme}:negative", regex=False)
    fb["ts"] = pd.to_datetime(fb["received_at"], utc=True)
    return fb


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    folder: Path = tmp_path_factory.mktemp("demo")
    files = generate_files(folder, customers=CUSTOMERS, feedback=FEEDBACK, seed=SEED)
    return DemoData(
        files=files,
        feedback=load_feedback(files),
        customers=pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False),
        metrics=pd.read_csv(folder / "metrics.csv"),
        population=build_company(CUSTOMERS, SEED).population,
    )
