"""How much ``cxloop text adapt`` helps the fast backend, on public data.

``adapt`` teaches the fast backend on a company's own unlabelled comments with the embedding
backend, and the embedding backend's sentiment back from the taught fast backend
(``cxloop.text.adapt``). Measured here the way a company would use it, each row next
to the shipped fast backend and the embedding backend, measured in the same run:

* Themes, BANKING77: adapted on the 10,003 *training* queries (text only), measured on the
  3,080 test queries with ``eval_text.py``'s rows (77 intents by name and with 10 examples;
  11 CX themes zero-shot and with 10 examples).
* Themes, SemEval-2014 restaurants: adapted on the 3,041 training sentences themselves (text
  only: a company adapts on the comments it then scores), ``eval_text.py``'s zero-shot
  taxonomy and 5-fold detection.
* Sentiment: teacher (embedding head) and student (fast head) are both retrained *without*
  the dataset measured (leave-dataset-out, as in ``eval_text.py``), so neither head has seen
  it: BANKING77 problem reports vs questions (adapted on the training queries, measured on
  the test split), clothing reviews and TweetEval test (adapted on the texts measured, no
  labels).

Needs the embedding extra (MiniLM vectors are cached in .bench/eval_cache). Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/eval_adapt.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cxloop.text.adapt import ADAPTED_ENV, Teacher, adapt_to_comments, corrected_head
from cxloop.text.corpora import (
    LabelledTexts,
    banking_frame,
    banking_sentiment,
    clothing_reviews,
    datasets_dir,
    semeval_sentences,
    tweeteval,
)
from cxloop.text.sentiment import SentimentModel
from eval_text import (
    Featurizer,
    Row,
    accuracy_row,
    eval_banking,
    eval_semeval,
    featurizer,
    fmt,
    macro_f1_row,
    retrained_head,
)

ROOT = datasets_dir(None)


def theme_rows(adapted: Path | None, task: str, label: str) -> list[Row]:
    """``task`` rows of eval_text.py for the fast backend, ``adapted`` or shipped."""
    if adapted is None:
        os.environ.pop(ADAPTED_ENV, None)
    else:
        os.environ[ADAPTED_ENV] = str(adapted)
    feats = {"fast": Featurizer("fast")}
    os.environ.pop(ADAPTED_ENV, None)
    rows = (
        eval_banking(["fast"], feats, ROOT)
        if task == "banking"
        else eval_semeval(["fast"], feats, ROOT, False)
    )
    return [{**row, "system": label} for row in rows if row["system"] == "fast"]


def corrected(head: SentimentModel, path: Path, backend: str) -> SentimentModel:
    """``head`` plus the ``backend`` correction ``path`` holds (fitted for that head)."""
    with np.load(path, allow_pickle=False) as data:
        return corrected_head(
            head, data[f"{backend}_delta_coef"], data[f"{backend}_delta_intercept"]
        )


def sentiment_rows(
    name: str, exclude: str, adapt_on: list[str], test: LabelledTexts, tmp: Path
) -> list[Row]:
    fe, ff = FEATS["embedding"], FEATS["fast"]
    teacher_head = retrained_head(fe, ROOT, (exclude,))
    student = retrained_head(ff, ROOT, (exclude,))
    path = tmp / f"sentiment-{exclude}.npz"
    report = adapt_to_comments(adapt_on, path, teacher=Teacher(fe, teacher_head), student=student)
    print(f"{name}: adapted on {report.texts} texts", flush=True)
    y = np.array(test.labels)
    predictions = {
        "fast (shipped, trained without it)": student.predict_proba(ff(test.texts)),
        "embedding (trained without it)": teacher_head.predict_proba(fe(test.texts)),
        f"fast adapted on {report.texts:,} texts": corrected(student, path, "fast").predict_proba(
            ff(test.texts)
        ),
        f"embedding adapted on {report.texts:,} texts": corrected(
            teacher_head, path, "embedding"
        ).predict_proba(fe(test.texts)),
    }
    rows: list[Row] = []
    for system, proba in predictions.items():
        acc, acc_ci = accuracy_row(y, proba.argmax(1))
        f1, f1_ci = macro_f1_row(y, proba.argmax(1))
        rows.append(
            {
                "task": name,
                "system": system,
                "n": len(y),
                "metric 1": f"accuracy {fmt(acc, acc_ci)}",
                "metric 2": f"macro-F1 {fmt(f1, f1_ci)}",
            }
        )
        print(rows[-1], flush=True)
    return rows


FEATS: dict[str, Featurizer] = {}


def main() -> None:
    started = time.perf_counter()
    os.environ.pop(ADAPTED_ENV, None)
    FEATS.update({b: featurizer(b) for b in ("fast", "embedding")})
    embedding = FEATS["embedding"]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for task, texts in (
            ("banking", banking_frame(ROOT, "train")["text"].tolist()),
            ("semeval", [s.text for s in semeval_sentences(ROOT, "Restaurants_Train.xml")]),
        ):
            path = tmp / f"{task}.npz"
            t0 = time.perf_counter()
            report = adapt_to_comments(
                texts, path, teacher=Teacher(embedding, embedding.backend.model)
            )  # type: ignore[attr-defined]
            print(
                f"adapted on {report.texts} {task} texts in {time.perf_counter() - t0:.0f}s "
                f"(MiniLM vectors cached): held-out cosine {report.cosine_before:.3f} -> "
                f"{report.cosine_after:.3f}",
                flush=True,
            )
            rows += theme_rows(None, task, "fast (shipped)")
            rows += theme_rows(path, task, f"fast adapted on {report.texts:,} {task} texts")
        clothing = clothing_reviews(ROOT)
        tweets = tweeteval(ROOT, "test")
        for name, exclude, adapt_on, test in (
            (
                "BANKING77 test: problem report = negative, question = neutral",
                "banking77",
                banking_frame(ROOT, "train")["text"].tolist(),
                banking_sentiment(ROOT, "test"),
            ),
            ("Clothing reviews, rating 1-2 vs 4-5", "clothing", clothing.texts, clothing),
            ("TweetEval test", "none", tweets.texts, tweets),
        ):
            rows += sentiment_rows(name, exclude, adapt_on, test, tmp)
    for feat in FEATS.values():
        feat.save()
    print(
        f"\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in "
        f"{(time.perf_counter() - started) / 60:.0f} min.\n"
    )
    print("| task | system | n | result | |\n|---|---|---:|---|---|")
    for r in rows:
        print(f"| {r['task']} | {r['system']} | {r['n']} | {r['metric 1']} | {r['metric 2']} |")


if __name__ == "__main__":
    main()
