"""Throughput of the text backends alone: document sentiment + themes with aspect sentiment.

The enrichment pipeline (``benchmarks/bench_enrich.py``) adds PII, language, journey and
signals on top; this script isolates what the models cost so each can be judged against its
share of the budget (fast: well under 100 µs/text on 2 cores for the >= 5,000 texts/s
pipeline target; embedding: >= 250 texts/s).

Data: real short texts — TweetEval test then BANKING77 test, the first ``--n`` of them.
Taxonomy: the default CX taxonomy shipped with cxloop. Timed separately: backend load, theme
classifier fit, then ``analyse`` (sentiment + themes) over the batch in chunks of
``--chunk``. The load average at start and end is printed because the machine is shared;
``cpu_us_per_text`` (process CPU time, all threads) is what the work costs independent of how
much of a core the process was given.

Usage::

    .venv/bin/python benchmarks/bench_backends.py --backend fast --n 15000
    .venv/bin/python benchmarks/bench_backends.py --backend embedding --n 2000
    CXLOOP_TEXT_PRECISION=fp32 .venv/bin/python benchmarks/bench_backends.py --backend embedding
"""

from __future__ import annotations

import argparse
import json
import os
import time

from cxloop.text.backends import get_backend
from cxloop.text.corpora import banking_frame, datasets_dir, tweeteval
from cxloop.text.taxonomy import default_taxonomy


def _torch_threads() -> int | None:
    import sys

    return sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="fast")
    parser.add_argument("--n", type=int, default=15_000)
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--datasets", default=None)
    args = parser.parse_args()
    root = datasets_dir(args.datasets)
    texts = tweeteval(root, "test").texts + banking_frame(root, "test")["text"].tolist()
    texts = texts[: args.n]
    taxonomy = default_taxonomy()
    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    backend = get_backend(args.backend)
    t1 = time.perf_counter()
    backend.classifier(taxonomy)  # type: ignore[attr-defined]
    t2 = time.perf_counter()
    c2 = time.process_time()
    for start in range(0, len(texts), args.chunk):
        backend.analyse(texts[start : start + args.chunk], taxonomy)  # type: ignore[attr-defined]
    t3 = time.perf_counter()
    cpu = time.process_time() - c2
    encoder = getattr(backend, "encoder", None)
    result = {
        "backend": args.backend,
        "precision": getattr(encoder, "precision", "fp32"),
        "threads": _torch_threads(),
        "texts": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "load_s": round(t1 - t0, 2),
        "fit_s": round(t2 - t1, 2),
        "analyse_s": round(t3 - t2, 2),
        "us_per_text": round(1e6 * (t3 - t2) / len(texts), 1),
        "texts_per_s": round(len(texts) / (t3 - t2), 1),
        "cpu_s": round(cpu, 2),
        "cpu_us_per_text": round(1e6 * cpu / len(texts), 1),
        "texts_per_s_startup_included": round(len(texts) / (t3 - t0), 1),
        "cpu_count": os.cpu_count(),
        "load_average_start_end": [round(load_start, 1), round(os.getloadavg()[0], 1)],
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
