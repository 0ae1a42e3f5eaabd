"""Time and peak memory of ``cxloop demo --feedback 1000000``, and the planted effects at that size.

Runs the real CLI in a child process into a fresh SQLite workspace twice: ``--files-only``
(generation alone) and the full command (generation + ingestion). Peak memory is the child's
maximum resident set size. Then it re-reads the generated files in chunks and checks that the
planted effects are still there at a million rows (driver, spike, segment, packaging share).

Usage: .venv/bin/python benchmarks/bench_demo.py [--feedback 1000000] [--customers 4000]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from cxloop.demo import planted

CXLOOP = [str(Path(sys.executable).with_name("cxloop"))]


def run_child(args: list[str], home: Path) -> tuple[float, float]:
    """Run ``cxloop ARGS``; return (wall seconds, peak RSS MiB of the child)."""
    env = {**os.environ, "CXLOOP_HOME": str(home)}
    env.pop("CXLOOP_DATABASE_URL", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([*CXLOOP, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children so far: run the larger job last
    return wall, max(peak, before) / 1024.0


def check_effects(folder: Path) -> dict[str, object]:
    """Planted effects in the generated files, read in chunks (constant memory)."""
    truth_cols = ["external_id", "_themes", "_segment", "_packaging"]
    nps_parts = []
    for chunk in pd.read_csv(
        folder / "feedback_nps.csv",
        usecols=["external_id", "nps", "text"],
        dtype=str,
        keep_default_na=False,
        chunksize=200_000,
    ):
        nps_parts.append(chunk)
    nps = pd.concat(nps_parts)
    weeks: pd.Series | None = None
    packaging = commented = 0  # commented: all rows, with or without text
    truth_parts = []
    for chunk in pd.read_csv(
        folder / "feedback_truth.csv", dtype=str, keep_default_na=False, chunksize=200_000
    ):
        part = chunk[chunk["external_id"].str.startswith("NPS-")][truth_cols]
        truth_parts.append(part)
        packaging += int((chunk["_packaging"] == "True").sum())
        commented += len(chunk)
        truth = pd.concat(truth_parts)
    rows = nps.merge(truth, on="external_id")
    rows = rows[rows["text"] != ""]
    score = rows["nps"].astype(int)
    effects: dict[str, object] = {}
    diffs = {}
    for theme in planted.DEFAULT_THEMES:
        has = rows["_themes"].str.contains(f"{theme}:", regex=False)
        diffs[theme] = float(score[has].mean() - score[~has].mean())
    ranked = sorted(diffs, key=lambda t: diffs[t])
    effects["driver_first"] = ranked[0]
    effects["driver_gap_points"] = round(diffs[ranked[0]], 2)
    seg = (
        rows.assign(s=score)
        .groupby("_segment")["s"]
        .apply(lambda s: 100 * ((s >= 9).mean() - (s <= 6).mean()))
    )
    effects["nps_by_segment"] = {k: round(float(v), 1) for k, v in seg.items()}
    effects["packaging_share"] = round(packaging / max(commented, 1), 4)
    # spike: weekly double-charge complaints over all sources (time from the files)
    for f in folder.glob("feedback_*.csv"):
        if f.name == "feedback_truth.csv":
            continue
        for chunk in pd.read_csv(
            f, usecols=["received_at", "text"], dtype=str, keep_default_na=False, chunksize=200_000
        ):
            hit = chunk["text"].str.contains(r"twice|double", case=False, regex=True)
            week = pd.to_datetime(chunk.loc[hit, "received_at"], utc=True).dt.tz_localize(None)
            counts = week.dt.to_period("W-SUN").dt.start_time.value_counts()
            weeks = counts if weeks is None else weeks.add(counts, fill_value=0)
    assert weeks is not None
    weeks = weeks.sort_index().iloc[1:-1]
    spike = pd.Timestamp(planted.SPIKE_WEEK_START)
    effects["spike_ratio"] = round(float(weeks[spike] / weeks.drop(spike).median()), 2)
    effects["next_highest_week_ratio"] = round(
        float(weeks.drop(spike).max() / weeks.drop(spike).median()), 2
    )
    effects["spike_week_is_max"] = bool(weeks.idxmax() == spike)
    return effects


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feedback", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    opts = parser.parse_args()
    size = ["--customers", str(opts.customers), "--feedback", str(opts.feedback)]
    size += ["--seed", str(opts.seed), "--format", "json"]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start (shared with other jobs)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        gen_home = Path(tmp) / "gen"
        gen_wall, gen_peak = run_child(["demo", *size, "--files-only"], gen_home)
        print(f"generate only : {gen_wall:7.1f} s, peak RSS {gen_peak:6.0f} MiB")
        full_home = Path(tmp) / "full"
        subprocess.run(
            [*CXLOOP, "init"],
            env={**os.environ, "CXLOOP_HOME": str(full_home)},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        full_wall, full_peak = run_child(["demo", *size], full_home)
        print(f"demo (gen+ingest into SQLite): {full_wall:7.1f} s, peak RSS {full_peak:6.0f} MiB")
        files = sorted((gen_home / "demo").glob("*.csv"))
        total_mb = sum(f.stat().st_size for f in files) / 2**20
        print(f"files: {len(files)} CSV, {total_mb:.0f} MiB")
        db = full_home / "cxloop.db"
        print(f"database: {db.stat().st_size / 2**20:.0f} MiB")
        effects = check_effects(gen_home / "demo")
        for key, value in effects.items():
            print(f"  {key}: {value}")
        ok = (
            effects["driver_first"] == planted.DRIVER_THEME
            and effects["spike_week_is_max"]
            and 0.006 < float(effects["packaging_share"]) < 0.015  # type: ignore[arg-type]
        )
        print(f"planted effects present at {opts.feedback:,} rows: {'yes' if ok else 'NO'}")
        print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
