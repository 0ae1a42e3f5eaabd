"""How much "remove theme" corrections teach the theme classifier, on public data.

A person who removes a wrong theme from a comment (``cxloop teach correct --remove-theme``,
or the web page) gives the theme a counter-example (weights 2026.11.10). Simulated here the
way an analyst works: the 11 CX themes of ``banking_themes`` score the 10,003 BANKING77
*training* queries; for each theme, k of the queries it was wrongly given (gold theme
another one) are picked at random (seed 0) and become its counter-examples; the test split
(3,080 queries, never corrected) is then scored with and without them. Zero-shot (name,
description, 3 keywords) and with 10 examples per theme (the examples of
``eval_text.eval_banking_themes``), both backends, macro-F1 over themes as users get them
(confidence >= 0.5, several themes allowed).

Needs the embedding extra for the embedding rows (MiniLM vectors cached in
.bench/eval_cache). Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/eval_corrections.py [--backends fast]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from banking_themes import TAXONOMY
from cxloop.text.corpora import banking_frame, datasets_dir
from eval_text import (
    SEED,
    banking_theme_gold,
    banking_theme_shots,
    featurizer,
    fmt,
    multilabel_macro_f1,
    theme_predictions,
)

CORRECTIONS_PER_THEME = (5, 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", default=["fast", "embedding"])
    args = parser.parse_args()
    started = time.perf_counter()
    root = datasets_dir(None)
    train, test = banking_frame(root, "train"), banking_frame(root, "test")
    train_texts, test_texts = train["text"].tolist(), test["text"].tolist()
    train_gold, test_gold = banking_theme_gold(train), banking_theme_gold(test)
    lines = [
        "| backend | taxonomy | removals per theme (wrong themes removed) | macro-F1 (test) |"
        " precision / recall | themes per query |",
        "|---|---|---|---|---|---|",
    ]
    for name in args.backends:
        feat = featurizer(name)
        for label, base in (
            ("zero-shot", list(TAXONOMY)),
            ("10 examples per theme", banking_theme_shots(train)),
        ):
            wrong = theme_predictions(feat, base, train_texts) & ~train_gold
            rng = np.random.default_rng(SEED)
            order = [rng.permutation(np.flatnonzero(wrong[:, k])) for k in range(len(TAXONOMY))]
            for k in (0, *CORRECTIONS_PER_THEME):
                taxonomy = [
                    replace(t, counter_examples=tuple(train_texts[i] for i in order[j][:k]))
                    for j, t in enumerate(base)
                ]
                pred = theme_predictions(feat, taxonomy, test_texts)
                f1, ci = multilabel_macro_f1(test_gold, pred)
                hits = (pred & test_gold).sum()
                removed = sum(min(k, len(o)) for o in order)
                lines.append(
                    f"| {name} | {label} | {k} ({removed} in all) | {fmt(f1, ci)} | "
                    f"{hits / max(pred.sum(), 1):.3f} / {hits / test_gold.sum():.3f} | "
                    f"{pred.sum(1).mean():.2f} |"
                )
                print(lines[-1], flush=True)
        feat.save()
    print(
        f"\nMeasured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in "
        f"{(time.perf_counter() - started) / 60:.0f} min.\n"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
