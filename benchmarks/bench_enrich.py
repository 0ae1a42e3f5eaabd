"""Throughput of the whole text enrichment (issue 3 target: fast >= 5,000 feedback/s and
embedding >= 250/s on 2 CPU cores, whole-file scoring of 15,000 short texts, start-up included).

What is timed, per backend and worker count: the wall clock of ``cxloop text score`` run as a
fresh process on a 15,000-row CSV of real short texts (the first 15,000 of TweetEval test +
BANKING77 test from ../shared/datasets), so Python start-up, imports, model loading, theme
classifier fitting, reading, all analysis (sentiment, themes with aspect sentiment, journey,
signals, PII, language, sentences) and writing are included. It also reports:

- ``in-process``: the same analysis inside a running process (start-up excluded), which shows
  where start-up time goes;
- ``rules only``: the rule-based part alone (clean-up, PII, language, sentences, signals,
  journey) per text, with a constant stand-in backend;
- ``enrich``: ``cxloop enrich`` into a fresh SQLite workspace of the same 15,000 texts
  (database reads and writes included), cold and then again with the engine cache filled;
  ``--hierarchy`` first files the default themes under four parents, so each batch also
  writes its parent rows (``cxloop.text.theme_rollup``).

``cold`` runs start with an empty engine cache (the backend is loaded and its theme
classifier fitted for the taxonomy); ``warm`` runs reuse the engine cached by an earlier run
(see ``cxloop.text.engine_cache``), which is what every run after the first one sees.

Usage: .venv/bin/python benchmarks/bench_enrich.py [--backends fast,embedding] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bench_workspace import workspace_with_texts

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
N_TEXTS = 15_000
CLI = [sys.executable, "-m", "cxloop"]


def load_texts(n: int = N_TEXTS) -> list[str]:
    """The first ``n`` of TweetEval test + BANKING77 test; fewer than 15,000 keep the same
    mix (half tweets, half banking queries) so short runs measure the same kind of text."""
    tweets = (DATASETS / "tweeteval_sentiment" / "test_text.txt").read_text().splitlines()
    banking = pd.read_csv(DATASETS / "banking77" / "test.csv")["text"].tolist()
    texts = [t.strip() for t in tweets + banking]
    if len(texts) < n:
        raise SystemExit(f"need {n} texts, found {len(texts)} in {DATASETS}")
    if n >= N_TEXTS:
        return texts[:n]
    tweets = [t.strip() for t in tweets]
    banking = [t.strip() for t in banking]
    return tweets[: n - n // 2] + banking[: n // 2]


def cli_score(
    csv_path: Path, out: Path, backend: str, workers: int, cache_home: Path
) -> dict[str, float]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(
        [
            *CLI,
            "text",
            "score",
            str(csv_path),
            "--text-column",
            "text",
            "--output",
            str(out),
            "--backend",
            backend,
            "--workers",
            str(workers),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"text score failed: {proc.stderr.strip()}")
    report = json.loads(proc.stdout)
    rows = len(pd.read_csv(out, usecols=["sentiment_label"]))
    assert rows == report["rows"], f"{rows} rows written, {report['rows']} reported"
    cpu = _children_cpu() - cpu_before
    return {
        "wall_s": wall,
        "per_s": rows / wall,
        "inner_s": report["seconds"],
        "cpu_s": cpu,
        "per_cpu_s": rows / cpu,
    }


def _children_cpu() -> float:
    """CPU seconds (user + system) used by finished child processes so far. Under a shared,
    overloaded machine this, not the wall clock, says what the work costs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def in_process(texts: list[str], backend: str) -> dict[str, float]:
    from cxloop.text.pipeline import TextEngine, TextItem

    t0 = time.perf_counter()
    engine = TextEngine(backend)
    engine.analyze([TextItem(text="warm up the theme classifier")])
    load = time.perf_counter() - t0
    items = [TextItem(text=t) for t in texts]
    t0, c0 = time.perf_counter(), time.process_time()
    engine.analyze(items)
    run, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"load_s": load, "run_s": run, "per_s": len(texts) / run, "per_cpu_s": len(texts) / cpu}


def rules_only(texts: list[str]) -> dict[str, float]:
    from cxloop.text.pipeline import TextEngine, TextItem
    from cxloop.text.types import Sentiment

    class Constant:
        """Stand-in backend with no cost, so only the rule-based steps are timed."""

        name = "constant"
        version = "constant"

        def analyse(self, batch, taxonomy):
            return [Sentiment("neutral", 0.0, 0.5)] * len(batch), [[] for _ in batch]

    engine = TextEngine(Constant())  # type: ignore[arg-type]
    engine.analyze([TextItem(text="Посылка так и не пришла")])  # langdetect loaded: steady state
    items = [TextItem(text=t) for t in texts]
    t0, c0 = time.perf_counter(), time.process_time()
    engine.analyze(items)
    run, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "us_per_text": run / len(texts) * 1e6,
        "per_s": len(texts) / run,
        "cpu_us_per_text": cpu / len(texts) * 1e6,
    }


#: Parents over the default themes for ``--hierarchy`` (every default theme gets one).
PARENTS = {
    "Buying": ["Price and value", "Billing and refunds"],
    "Fulfilment": ["Delivery", "Returns"],
    "Service": ["Customer service", "Wait time", "Communication"],
    "Product and app": ["Product quality", "Website and app", "Onboarding"],
}


def import_hierarchy(engine: Any) -> None:
    """The default taxonomy with each theme under one of :data:`PARENTS`."""
    from dataclasses import replace

    from cxloop.text.taxonomy import (
        default_taxonomy,
        import_taxonomy,
        parse_taxonomy,
        taxonomy_to_yaml,
    )
    from cxloop.text.types import ThemeDefinition

    parent_of = {child: parent for parent, kids in PARENTS.items() for child in kids}
    themes = [
        ThemeDefinition(name, ", ".join(kids), (name.lower(),)) for name, kids in PARENTS.items()
    ] + [replace(t, parent=parent_of[t.name]) for t in default_taxonomy()]
    import_taxonomy(engine, parse_taxonomy(taxonomy_to_yaml(themes)), replace=True)


def cli_enrich(
    texts: list[str], backend: str, workers: int, *, hierarchy: bool = False
) -> dict[str, float]:
    from sqlalchemy import delete, func, select

    from cxloop.storage.db import make_engine, transaction
    from cxloop.storage.models import Enrichment, FeedbackTheme

    home = Path(tempfile.mkdtemp(prefix="bench_enrich_"))
    url, engine = workspace_with_texts(home, texts)
    if hierarchy:
        import_hierarchy(engine)
    engine.dispose()
    env = {**os.environ, "CXLOOP_HOME": str(home), "CXLOOP_DATABASE_URL": url}
    results: dict[str, float] = {}
    for run in ("cold", "warm"):
        if run == "warm":  # same workspace, engine cache filled: redo all rows
            engine = make_engine(url)
            with transaction(engine) as session:
                session.execute(delete(FeedbackTheme))
                session.execute(delete(Enrichment))
            engine.dispose()
        started = time.perf_counter()
        cpu_before = _children_cpu()
        proc = subprocess.run(
            [*CLI, "enrich", "--backend", backend, "--workers", str(workers), "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"enrich failed: {proc.stderr.strip()}")
        report = json.loads(proc.stdout)
        assert report["enriched"] == len(texts)
        results[f"{run}_wall_s"] = wall
        results[f"{run}_cpu_s"] = _children_cpu() - cpu_before
        results[f"{run}_per_s"] = len(texts) / wall
        results[f"{run}_inner_per_s"] = report["per_second"]
    engine = make_engine(url)
    with transaction(engine) as session:
        results["theme_rows"] = session.scalar(select(func.count()).select_from(FeedbackTheme))
    if hierarchy:  # what an import that changes the hierarchy adds: every parent row rewritten
        from cxloop.text.theme_rollup import roll_up_to_parents

        started = time.perf_counter()
        with transaction(engine) as session:
            results["parent_rows"] = roll_up_to_parents(session)
        results["rollup_s"] = time.perf_counter() - started
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="fast")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--skip-enrich", action="store_true")
    parser.add_argument(
        "--hierarchy", action="store_true", help="enrich with the default themes under parents"
    )
    parser.add_argument(
        "--texts", type=int, default=N_TEXTS, help="how many texts (the target uses 15,000)"
    )
    args = parser.parse_args()
    texts = load_texts(args.texts)
    load = os.getloadavg()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average at start {load[0]:.1f}; python {platform.python_version()}"
    )
    print(f"data: {len(texts):,} texts, mean {sum(map(len, texts)) / len(texts):.0f} chars")
    rules = rules_only(texts)
    print(
        f"rules only (PII, language, sentences, signals, journey): "
        f"{rules['us_per_text']:.0f} us/text wall, {rules['cpu_us_per_text']:.0f} us/text CPU"
    )
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "texts.csv"
        pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(csv_path, index=False)
        for backend in args.backends.split(","):
            inner = in_process(texts, backend)
            print(
                f"[{backend}] in-process: load+fit {inner['load_s']:.1f}s, analysis "
                f"{inner['run_s']:.2f}s = {inner['per_s']:,.0f}/s wall, "
                f"{inner['per_cpu_s']:,.0f} per CPU-second"
            )
            cache_home = Path(tmp) / f"cache_{backend}"
            for workers in (int(w) for w in args.workers.split(",")):
                for run in ("cold", "warm"):
                    if run == "cold" and workers > 1:
                        continue  # the cold start is measured once, with one worker
                    res = cli_score(
                        csv_path, Path(tmp) / f"out_{backend}.csv", backend, workers, cache_home
                    )
                    print(
                        f"[{backend}] text score, {workers} worker(s), {run} engine cache, "
                        f"start-up included: {res['wall_s']:.1f}s wall = "
                        f"{res['per_s']:,.0f} feedback/s (in the command {res['inner_s']:.1f}s); "
                        f"CPU {res['cpu_s']:.1f}s = {res['per_cpu_s']:,.0f} feedback per CPU-second"
                    )
                if not args.skip_enrich:
                    enr = cli_enrich(texts, backend, workers, hierarchy=args.hierarchy)
                    print(
                        f"[{backend}] enrich into SQLite"
                        f"{' (themes under parents)' if args.hierarchy else ''}, "
                        f"{workers} worker(s), {enr['theme_rows']:,.0f} theme rows: cold "
                        f"{enr['cold_wall_s']:.1f}s = {enr['cold_per_s']:,.0f}/s "
                        f"(CPU {enr['cold_cpu_s']:.1f}s), warm cache "
                        f"{enr['warm_wall_s']:.1f}s = {enr['warm_per_s']:,.0f}/s "
                        f"(CPU {enr['warm_cpu_s']:.1f}s; loop alone "
                        f"{enr['warm_inner_per_s']:,.0f}/s)"
                    )
                    if "rollup_s" in enr:
                        print(
                            f"[{backend}] all {enr['parent_rows']:,.0f} parent rows rewritten "
                            f"(a hierarchy change at import) in {enr['rollup_s']:.2f}s"
                        )
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
