"""Benchmark: N feedback rows from CSV into SQLite through the real ``cxloop ingest`` command.

Targets (issue 2): 1,000,000 rows in <= 60 s on 2 cores with peak memory <= 1 GiB; the ratio
against the ``sqlite3`` command-line ``.import`` of the same file, measured in the same run;
re-ingesting the unchanged file in <= 50% of the first run's time.

Each timed step is a separate process, so wall time includes interpreter start-up, and peak
memory is the child's maximum resident set size (``wait4``). CPU time is reported next to
wall time because the machine may be shared: wall >> CPU means the process waited for a core.

Usage: python benchmarks/bench_ingest.py [--rows 1000000] [--workdir .bench] [--json]
The generated file and databases live in the work folder (never committed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest_data import write_feedback_csv

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd``; wall seconds, CPU seconds and peak RSS (MiB) of that process alone."""
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if proc.stdout is not None:
        out = proc.stdout.read()
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{err[-2000:]}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "load_avg_1m": round((load_before + os.getloadavg()[0]) / 2, 2),
        "stdout": out.decode(errors="replace"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()

    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"feedback_{args.rows}.csv"
    if not data.exists():
        t = time.perf_counter()
        write_feedback_csv(data, args.rows)
        print(f"generated {data} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    size_mib = data.stat().st_size / 2**20

    # Baseline: the sqlite3 shell's .import of the same file into a plain table.
    base_db = work / "baseline.db"
    base_db.unlink(missing_ok=True)
    sqlite3 = shutil.which("sqlite3")
    baseline = None
    if sqlite3:
        baseline = _run([sqlite3, str(base_db), ".mode csv", f".import {data} feedback_raw"])

    home = work / "ws"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "CXLOOP_HOME": str(home)}
    env.pop("CXLOOP_DATABASE_URL", None)
    cxloop = [sys.executable, "-m", "cxloop"]
    _run([*cxloop, "init"], env)
    first = _run([*cxloop, "ingest", str(data), "--kind", "feedback", "--format", "json"], env)
    again = _run([*cxloop, "ingest", str(data), "--kind", "feedback", "--format", "json"], env)
    s1, s2 = json.loads(first.pop("stdout")), json.loads(again.pop("stdout"))
    if s1["inserted"] != args.rows or s2["unchanged"] != args.rows:
        raise SystemExit(f"wrong counts: first {s1}, re-ingest {s2}")

    result = {
        "rows": args.rows,
        "file_mib": round(size_mib, 1),
        "cores": os.cpu_count(),
        "first_ingest": first,
        "reingest_unchanged": again,
        "reingest_ratio": round(again["wall_s"] / first["wall_s"], 3),
        "sqlite3_import": {k: v for k, v in (baseline or {}).items() if k != "stdout"},
        "ratio_vs_sqlite3_import": (
            round(first["wall_s"] / baseline["wall_s"], 2) if baseline else None
        ),
        "targets": {"first_ingest_s": 60, "peak_mib": 1024, "reingest_ratio": 0.5},
    }
    result["meets"] = {
        "time": first["wall_s"] <= 60 * args.rows / 1_000_000,
        "memory": first["peak_rss_mib"] <= 1024,
        "reingest": result["reingest_ratio"] <= 0.5,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"rows {args.rows:,}  file {size_mib:.0f} MiB  cores {os.cpu_count()}")
    if baseline:
        print(
            f"sqlite3 .import      wall {baseline['wall_s']:7.2f} s  cpu {baseline['cpu_s']:7.2f} s"
        )
    for name, r in (("cxloop ingest", first), ("re-ingest unchanged", again)):
        print(
            f"{name:<20} wall {r['wall_s']:7.2f} s  cpu {r['cpu_s']:7.2f} s  "
            f"peak {r['peak_rss_mib']:7.1f} MiB  load {r['load_avg_1m']}"
        )
    print(
        f"ratio vs sqlite3 .import: {result['ratio_vs_sqlite3_import']}x; "
        f"re-ingest / first: {result['reingest_ratio']:.2f}"
    )
    print(f"meets targets: {result['meets']}")


if __name__ == "__main__":
    main()
