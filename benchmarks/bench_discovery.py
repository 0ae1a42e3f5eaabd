"""Theme discovery on 100,000 demo feedback items (issue 4 target: <= 5 minutes on 2 cores,
and the planted 1% theme is found).

Steps, each a fresh ``cxloop`` process in a new SQLite workspace:

1. set-up (timed, but not the target): ``cxloop demo --customers 20000 --feedback 100000
   --seed 7`` generates and ingests the demo company; about 1% of its comments carry the
   planted undefined theme (``planted.UNDEFINED_THEME_LABEL``, plastic packaging), recorded
   per row in the generator's ``feedback_truth.csv``;
2. the measurement: ``cxloop themes discover --format json`` (default fast method, TF-IDF/LSA
   + HDBSCAN), wall clock and peak resident memory of the process (sampled every 0.1 s with
   psutil, children included);
3. the check: proposals come ranked best first (``proposal_ranking``); a proposal
   *matches* the planted theme when at least one of its keywords is a
   planted keyword and at least 80% of the feedback behind its representative verbatims is
   truly planted (ground truth from ``feedback_truth.csv``). Recall of the match = planted
   feedback items in the proposal's size / all planted items with text is reported as an
   estimate from the proposal's size and precision. The rank of the match is what a reviewer
   reading the list from the top experiences (the target: among the first few).

A second check of the *ranking* on real text nobody wrote for cxloop (``--public``): the
SemEval-2014 restaurant and laptop review sentences (6,086) with a taxonomy of six obvious
aspects (food, service, price, ambience, battery, screen), into which 1.2% BANKING77 queries
of one intent are planted (eight intents in turn: a subject that is certainly new there).
Reported: the planted subject's rank among the proposals and its rank by size.

Usage: .venv/bin/python benchmarks/bench_discovery.py [--feedback 100000] [--keep DIR]
       .venv/bin/python benchmarks/bench_discovery.py --public
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
import psutil

from cxloop.demo import planted

CXLOOP = [str(Path(sys.executable).with_name("cxloop"))]


CPU_USED: dict[str, float] = {}


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``cxloop ARGS``; (wall seconds, peak RSS MiB incl. children, stdout).

    The CPU seconds (user + system) the child used are left in ``CPU_USED[args[0]]``: on a
    machine shared with other jobs that is what the work costs, whatever the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*CXLOOP, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0.0
    ps = psutil.Process(proc.pid)
    out_parts: list[str] = []
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(
                c.memory_info().rss for c in ps.children(recursive=True)
            )
            peak = max(peak, rss / 2**20)
        except psutil.Error:
            pass
        time.sleep(0.1)
    out, err = proc.communicate()
    out_parts.append(out)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_USED[args[0]] = usage.ru_utime + usage.ru_stime - cpu_before
    if proc.returncode != 0:
        raise SystemExit(f"cxloop {' '.join(args)} failed: {err.strip()[-2000:]}")
    return wall, peak, "".join(out_parts)


PUBLIC_INTENTS = (
    "card_arrival",
    "lost_or_stolen_card",
    "exchange_rate",
    "pending_top_up",
    "cash_withdrawal_charge",
    "passcode_forgotten",
    "atm_support",
    "beneficiary_not_allowed",
)


def public_check() -> dict[str, Any]:
    """Rank of a planted subject among the proposals on real review sentences (see above)."""
    import numpy as np

    from cxloop.text.corpora import banking_frame, datasets_dir, semeval_sentences
    from cxloop.text.discovery import DiscoveryInput, discover_themes
    from cxloop.text.proposals import opinion_words
    from cxloop.text.types import ThemeDefinition

    root = datasets_dir()
    reviews = [
        s.text
        for f in ("Restaurants_Train.xml", "Laptop_Train.xml")
        for s in semeval_sentences(root, f)
    ]
    taxonomy = [
        ThemeDefinition("Food", "", ("food", "dish", "menu", "taste")),
        ThemeDefinition("Service", "", ("service", "staff", "waiter")),
        ThemeDefinition("Price", "", ("price", "expensive", "cheap")),
        ThemeDefinition("Ambience", "", ("atmosphere", "ambience", "decor")),
        ThemeDefinition("Battery", "", ("battery",)),
        ThemeDefinition("Screen", "", ("screen", "display")),
    ]
    bank = banking_frame(root, "train")
    rows: list[dict[str, Any]] = []
    for intent in PUBLIC_INTENTS:
        queries = bank[bank.category == intent].text.tolist()
        k = int(0.012 * len(reviews))
        planted = list(
            np.random.default_rng(0).choice(queries, size=min(k, len(queries)), replace=False)
        )
        items = [DiscoveryInput(i, t) for i, t in enumerate(reviews + planted)]
        started = time.perf_counter()
        result = discover_themes(items, taxonomy, is_opinion=opinion_words)

        def is_planted(p: object) -> bool:
            return sum(e["feedback_id"] >= len(reviews) for e in p.examples) >= 4  # type: ignore[attr-defined]

        ranked = [i + 1 for i, p in enumerate(result.proposals) if is_planted(p)]
        by_size = sorted(result.proposals, key=lambda p: -p.size)
        size_rank = [i + 1 for i, p in enumerate(by_size) if is_planted(p)]
        rows.append(
            {
                "planted_intent": intent,
                "planted_items": len(planted),
                "proposals": len(result.proposals),
                "rank": ranked[0] if ranked else None,
                "rank_by_size": size_rank[0] if size_rank else None,
                "top5": [p.label for p in result.proposals[:5]],
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    found = [int(r["rank"]) for r in rows if r["rank"] is not None]
    summary: dict[str, Any] = {
        "corpus": f"SemEval-2014 restaurants + laptops, {len(reviews)} sentences",
        "found": f"{len(found)} of {len(rows)}",
        "median_rank_when_found": float(np.median(found)) if found else None,
        "in_top_10": sum(r <= 10 for r in found),
        "rows": rows,
    }
    out = Path(".bench") / "bench_discovery_public.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}, indent=1))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feedback", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=planted.DEFAULT_SEED)
    parser.add_argument("--keep", type=Path, default=None, help="workspace folder to (re)use")
    parser.add_argument("--setup-only", action="store_true", help="only build the workspace")
    parser.add_argument("--public", action="store_true", help="ranking check on public reviews")
    args = parser.parse_args()
    if args.public:
        public_check()
        return

    home = args.keep or Path(tempfile.mkdtemp(prefix="bench_discovery_"))
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CXLOOP_HOME": str(home)}
    env.pop("CXLOOP_DATABASE_URL", None)
    demo_s = demo_peak = None
    if not (home / "demo" / "feedback_truth.csv").exists():
        demo_s, demo_peak, _ = run_measured(
            [
                "demo",
                "--customers",
                str(args.customers),
                "--feedback",
                str(args.feedback),
                "--seed",
                str(args.seed),
                "--format",
                "json",
            ],
            env,
        )
        print(f"set-up: demo generated and ingested in {demo_s:.0f}s", flush=True)
        (home / "setup.json").write_text(json.dumps({"demo_s": demo_s, "peak_mib": demo_peak}))
    elif (home / "setup.json").exists():
        setup = json.loads((home / "setup.json").read_text())
        demo_s, demo_peak = setup["demo_s"], setup["peak_mib"]
    if args.setup_only:
        return
    load_before = os.getloadavg()
    wall, peak, out = run_measured(["themes", "discover", "--format", "json"], env)
    load_after = os.getloadavg()
    proposals = json.loads(out)
    if isinstance(proposals, dict):
        proposals = proposals.get("rows") or proposals.get("proposals") or []
    print(f"discover: {wall:.1f}s, peak RSS {peak:.0f} MiB, {len(proposals)} proposals", flush=True)

    truth = pd.read_csv(
        home / "demo" / "feedback_truth.csv",
        dtype=str,
        keep_default_na=False,
        usecols=["external_id", "_packaging"],
    )
    planted_ids = set(truth.loc[truth["_packaging"] == "True", "external_id"])
    from sqlalchemy import select

    from cxloop.storage.db import make_engine, transaction
    from cxloop.storage.models import Feedback

    engine = make_engine(f"sqlite:///{home / 'cxloop.db'}")
    with transaction(engine) as session:
        ext = dict(session.execute(select(Feedback.id, Feedback.external_id)).all())
        n_feedback = len(ext)
        with_text = session.scalar(
            select(__import__("sqlalchemy").func.count()).where(
                Feedback.text.is_not(None), Feedback.text != ""
            )
        )
    planted_in_db = sum(1 for e in ext.values() if e in planted_ids)
    keywords = set(planted.UNDEFINED_THEME_KEYWORDS)
    rows: list[dict[str, Any]] = []
    for p in proposals:
        kws = (
            [k.strip() for k in str(p.get("keywords", "")).split(",")]
            if isinstance(p.get("keywords"), str)
            else list(p.get("keywords") or [])
        )
        example_ids = [e.get("feedback_id") for e in p.get("examples_full", [])]
        rows.append(
            {
                "rank": p.get("rank", len(rows) + 1),
                "score": p.get("score"),
                "id": p["id"],
                "label": p["label"],
                "keywords": kws,
                "size": p["size"],
                "share": p["share"],
                "examples": p.get("examples", []),
                "example_ids": example_ids,
            }
        )
    # precision of the representative verbatims needs their feedback ids: read them from the DB
    from cxloop.text.proposals import list_proposals

    stored = {r["id"]: r for r in list_proposals(engine, None)}
    matches = []
    for r in rows:
        ex = stored.get(r["id"], {}).get("examples", [])
        ids = [e.get("feedback_id") for e in ex]
        hits = sum(1 for i in ids if ext.get(i) in planted_ids)
        r["example_precision"] = round(hits / len(ids), 2) if ids else None
        r["keyword_hit"] = sorted(keywords & {w for k in r["keywords"] for w in k.split()})
        if r["keyword_hit"] and (r["example_precision"] or 0) >= 0.8:
            matches.append(r)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
        "load_average_before": load_before,
        "load_average_after": load_after,
        "feedback": n_feedback,
        "feedback_with_text": with_text,
        "planted_items": planted_in_db,
        "planted_share_of_text": round(planted_in_db / max(with_text or 1, 1), 4),
        "demo_setup_s": round(demo_s, 1) if demo_s else None,
        "demo_peak_mib": round(demo_peak) if demo_peak else None,
        "discover_s": round(wall, 1),
        "discover_cpu_s": round(CPU_USED.get("themes", 0.0), 1),
        "discover_peak_mib": round(peak),
        "target_s": 300,
        "time_met": wall <= 300,
        "proposals": [{k: v for k, v in r.items() if k != "example_ids"} for r in rows],
        "planted_theme_found": bool(matches),
        "planted_theme_rank": min((m["rank"] for m in matches), default=None),
        "matching_proposals": [
            {
                "rank": m["rank"],
                "id": m["id"],
                "label": m["label"],
                "keywords": m["keywords"],
                "size": m["size"],
                "example_precision": m["example_precision"],
                "size_vs_planted": round(m["size"] / max(planted_in_db, 1), 2),
            }
            for m in matches
        ],
    }
    out_file = Path(".bench") / "bench_discovery.json"
    out_file.parent.mkdir(exist_ok=True)
    out_file.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "proposals"}, indent=1))
    for r in rows:
        print(
            f"  {r['rank']}. #{r['id']} {r['label']!r} score {r['score']} size {r['size']} "
            f"kw {', '.join(r['keywords'][:6])} "
            f"example precision {r['example_precision']}"
        )


if __name__ == "__main__":
    main()
