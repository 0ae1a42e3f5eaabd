"""How much ``cxloop text adapt`` helps the fast backend's themes, on public data.

``adapt`` fits the fast backend's theme table to a company's own unlabelled comments with
MiniLM (``cxloop.text.theme_vectors``). Measured here the way a company would use it:

* BANKING77: adapted on the 10,003 *training* queries (text only, no intents), measured on
  the 3,080 test queries — the same rows as ``eval_text.py`` (77 intents by name and with 10
  examples; 11 CX themes zero-shot and with 10 examples).
* SemEval-2014 restaurants: adapted on the 3,041 training sentences themselves (text only;
  a company adapts on the comments it then scores), measured with ``eval_text.py``'s
  zero-shot taxonomy and 5-fold detection.

Every row is printed next to the shipped (unadapted) fast backend, measured in the same run.
Needs the embedding extra (MiniLM). Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/eval_adapt.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cxloop.text.backends.fast import VECTORS_ENV
from cxloop.text.corpora import banking_frame, datasets_dir, semeval_sentences
from cxloop.text.theme_vectors import adapt_theme_table
from eval_text import Featurizer, Row, eval_banking, eval_semeval


def rows_with(vectors: Path | None, task: str, label: str) -> list[Row]:
    """``task`` rows of eval_text.py for the fast backend with ``vectors`` (None: shipped)."""
    if vectors is None:
        os.environ.pop(VECTORS_ENV, None)
    else:
        os.environ[VECTORS_ENV] = str(vectors)
    root = datasets_dir(None)
    feats = {"fast": Featurizer("fast")}
    rows = (
        eval_banking(["fast"], feats, root)
        if task == "banking"
        else eval_semeval(["fast"], feats, root, False)
    )
    return [{**row, "system": label} for row in rows if row["system"] == "fast"]


def main() -> None:
    root = datasets_dir(None)
    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for task, texts in (
            ("banking", banking_frame(root, "train")["text"].tolist()),
            ("semeval", [s.text for s in semeval_sentences(root, "Restaurants_Train.xml")]),
        ):
            path = Path(tmp) / f"{task}.npz"
            t0 = time.perf_counter()
            report = adapt_theme_table(texts, path)
            print(
                f"adapted on {report.texts} {task} texts in {time.perf_counter() - t0:.0f}s: "
                f"held-out cosine {report.cosine_before:.3f} -> {report.cosine_after:.3f}",
                flush=True,
            )
            rows += rows_with(None, task, "fast (shipped)")
            rows += rows_with(path, task, f"fast adapted on {report.texts:,} {task} texts")
    os.environ.pop(VECTORS_ENV, None)
    print(
        f"\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in "
        f"{(time.perf_counter() - started) / 60:.0f} min.\n"
    )
    print("| task | system | n | result | |\n|---|---|---:|---|---|")
    for r in rows:
        print(f"| {r['task']} | {r['system']} | {r['n']} | {r['metric 1']} | {r['metric 2']} |")


if __name__ == "__main__":
    main()
