"""Learning curve of teaching: accuracy against the number of taught examples.

What is measured (docs/learning.md explains every choice):

* Sentiment on a domain the base model never saw, for both backends. The backend's sentiment
  weights are retrained with the project's own training code *without* one source
  (leave-one-domain-out, into a temporary folder, loaded with ``weights_dir=...``); examples
  of that held-out domain are then taught exactly as ``fit_sentiment_head`` does (penalty and
  dense-block weight by inner cross-validation on the taught examples only, head anchored on
  the base model) and evaluated on a disjoint test part. Random selection against active
  selection (margin uncertainty plus k-means diversity, as
  ``cxloop.text.learning.uncertain_examples`` does), several seeds.
  Baseline in the same run: plain logistic regression on MiniLM embeddings, same random labels.
* Themes on BANKING77 (77 intents): a taxonomy made of the category names is the zero-shot
  point; taught examples then become a ``ThemeExamples`` version that the ``TaughtBackend``
  adds to the theme definitions, exactly as ``cxloop text teach --task themes`` does;
  prediction = the most confident theme.

MiniLM embeddings are cached under ``.bench/learning/`` (gitignored): the machine this runs on
is a loaded 2-core box where MiniLM encodes ~15 texts/s, so test sets are subsampled (stated in
the output). Run::

    .venv/bin/python benchmarks/learning_curve.py            # everything, writes .bench/learning/
    .venv/bin/python benchmarks/learning_curve.py --stage encode   # only fill the cache
    .venv/bin/python benchmarks/learning_curve.py --seeds 3 --tasks sentiment  # themes kept
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cxloop.text.corpora import (
    LabelledTexts,
    banking_categories,
    banking_frame,
    banking_sentiment,
    datasets_dir,
    distillation_texts,
    semeval_polarity,
    sentiment_corpus,
)
from cxloop.text.features import clean_texts

REPO = Path(__file__).resolve().parents[1]
CACHE_DIR = REPO / ".bench" / "learning"
SENT_STEPS = [0, 25, 50, 100, 200, 500]
THEME_STEPS = [0, 25, 50, 100, 200, 500, 770]
LABELS = ["negative", "neutral", "positive"]


# ----------------------------------------------------------------------------- data subsets
def _subsample(data: LabelledTexts, size: int, seed: int) -> LabelledTexts:
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(data), size=min(size, len(data)), replace=False))
    return LabelledTexts(data.name, [data.texts[i] for i in idx], [data.labels[i] for i in idx])


def sentiment_domains(root: Path, pool_size: int, test_size: int) -> dict[str, dict[str, Any]]:
    """Held-out domains: (source excluded from the base, teaching pool, disjoint test part)."""
    banking_pool = _subsample(banking_sentiment(root, "train"), pool_size, 0)
    banking_test = _subsample(banking_sentiment(root, "test"), test_size, 0)
    laptop = semeval_polarity(root, "Laptop_Train.xml")
    order = np.random.default_rng(0).permutation(len(laptop))
    n_test = min(test_size, len(laptop) // 3)
    test_idx, pool_idx = np.sort(order[:n_test]), np.sort(order[n_test : n_test + pool_size])
    pick = lambda idx: LabelledTexts(  # noqa: E731
        "laptop", [laptop.texts[i] for i in idx], [laptop.labels[i] for i in idx]
    )
    return {
        "banking77_complaints": {
            "exclude": "banking77",
            "pool": banking_pool,
            "test": banking_test,
            "what": "BANKING77 queries: problem reports negative, questions neutral "
            "(train split = pool, test split = test)",
        },
        "semeval_laptops": {
            "exclude": "semeval_laptop",
            "pool": pick(pool_idx),
            "test": pick(test_idx),
            "what": "SemEval-2014 laptop sentences with one polarity (3 classes), "
            "random disjoint pool/test split",
        },
    }


def theme_data(root: Path, per_class_pool: int, per_class_test: int) -> dict[str, Any]:
    """BANKING77 subsets stratified by intent (the pool must hold 10 per theme at least)."""
    train, test = banking_frame(root, "train"), banking_frame(root, "test")
    warnings.filterwarnings("ignore", category=FutureWarning)  # groupby.apply keeps columns
    pool = train.groupby("category", group_keys=False).apply(
        lambda g: g.sample(min(per_class_pool, len(g)), random_state=0)
    )
    tst = test.groupby("category", group_keys=False).apply(
        lambda g: g.sample(min(per_class_test, len(g)), random_state=0)
    )
    return {
        "categories": banking_categories(root),
        "pool_texts": pool["text"].tolist(),
        "pool_labels": pool["category"].tolist(),
        "test_texts": tst["text"].tolist(),
        "test_labels": tst["category"].tolist(),
    }


# ----------------------------------------------------------------------------- embedding cache
class CachedEncode:
    """Wraps ``SentenceEncoder.encode`` with a text -> vector cache saved under .bench/."""

    def __init__(self, encode: Any, path: Path, dim: int) -> None:
        self.encode_live, self.path, self.dim = encode, path, dim
        self.cache: dict[str, np.ndarray] = {}
        self.live = 0
        if path.exists():
            with np.load(path, allow_pickle=False) as data:
                self.cache = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        for start in range(0, len(missing), 256):
            chunk = missing[start : start + 256]
            for t, v in zip(chunk, self.encode_live(chunk), strict=True):
                self.cache[t] = v
            self.live += len(chunk)
            if len(missing) > 256:
                print(f"  encoded {start + len(chunk)}/{len(missing)} new texts", flush=True)
                self.save()
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts]).astype(np.float32)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self.cache)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, texts=np.array(texts), vectors=np.stack([self.cache[t] for t in texts]))
        tmp.replace(self.path)


def embedding_backend(weights_dir: Path | None = None) -> Any:
    """The product's embedding backend with its encoder served from the cache."""
    from cxloop.text.backends.embedding import EmbeddingBackend

    backend = EmbeddingBackend(weights_dir=weights_dir)
    enc = backend.encoder
    enc.encode = CachedEncode(enc.encode, CACHE_DIR / "minilm.npz", enc.dim)  # type: ignore[method-assign]
    return backend


def encode_stage(args: argparse.Namespace, root: Path) -> None:
    backend = embedding_backend()
    texts: list[str] = []
    th = theme_data(root, args.theme_pool, args.theme_test)
    texts += th["test_texts"] + th["pool_texts"]
    for dom in sentiment_domains(root, args.pool, args.test).values():
        texts += dom["test"].texts + dom["pool"].texts
    texts += [c.replace("_", " ") for c in th["categories"]]
    started = time.perf_counter()
    backend.encoder.encode(clean_texts(texts))
    backend.encoder.encode.save()
    print(
        f"cache holds {len(backend.encoder.encode.cache)} texts "
        f"({time.perf_counter() - started:.0f}s)"
    )


# ----------------------------------------------------------------------------- LODO base model
def _training_script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "train_text_models", REPO / "scripts" / "train_text_models.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lodo_fast_backend(root: Path, exclude: str, out: Path) -> Any:
    """The fast backend with sentiment weights retrained without ``exclude``.

    Same code and parameters as scripts/train_text_models.py (step ``fast``): fitted on the
    labels, then distilled from an embedding head also trained without ``exclude``; the
    static word vectors are the shipped ones (unsupervised, no labels)."""
    from cxloop.text.backends.fast import FastBackend, FastFeaturizer
    from cxloop.text.static_vectors import WEIGHTS_DIR, StaticVectors

    train = _training_script()
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(WEIGHTS_DIR / "static_vectors.npz", out / "static_vectors.npz")
    sources = sentiment_corpus(root, exclude=(exclude,))
    donor = embedding_backend()
    teacher = _embedding_head(train, donor, sources)
    featurize = FastFeaturizer(StaticVectors.load(out / "static_vectors.npz"))
    unlabelled = distillation_texts(root, exclude=(exclude,))
    head = train.train_fast_head(featurize, sources, unlabelled, teacher, donor.featurize)
    head.save(out / "sentiment_fast.npz")
    donor.encoder.encode.save()
    return FastBackend(weights_dir=out), sum(len(s) for s in sources)


def _embedding_head(train: Any, donor: Any, sources: list[Any]) -> Any:
    from cxloop.text.sentiment import SentimentModel

    texts, labels = train.stack_corpus(sources)
    return SentimentModel(**train.EMBEDDING_PARAMS).fit(donor.featurize(texts), labels)


def lodo_embedding_backend(root: Path, exclude: str, out: Path) -> Any:
    """The embedding backend with sentiment weights retrained without ``exclude``.

    Same code and parameters as scripts/train_text_models.py (step ``embedding``); MiniLM
    itself is the shipped, unsupervised sentence encoder (served from the cache)."""
    train = _training_script()
    out.mkdir(parents=True, exist_ok=True)
    sources = sentiment_corpus(root, exclude=(exclude,))
    donor = embedding_backend()
    _embedding_head(train, donor, sources).save(out / "sentiment_embedding.npz")
    donor.encoder.encode.save()
    return embedding_backend(out), sum(len(s) for s in sources)


# ----------------------------------------------------------------------------- selection
def uncertain_pick(
    proba_or_conf: np.ndarray,
    dense: np.ndarray,
    candidates: np.ndarray,
    k: int,
    seed: int,
    *,
    task: str,
) -> list[int]:
    """``learning.uncertain_examples`` on a simulated pool: the 4k least certain candidates,
    clustered into k groups with k-means, the least certain of each group."""
    from sklearn.cluster import KMeans

    if task == "sentiment":
        top2 = np.sort(proba_or_conf[candidates], axis=1)[:, -2:]
        uncertainty = 1.0 - (top2[:, 1] - top2[:, 0])
    else:
        uncertainty = 1.0 - np.abs(proba_or_conf[candidates] - 0.5) * 2
    order = np.argsort(-uncertainty, kind="stable")[: 4 * k]
    if len(order) <= k:
        return [int(candidates[i]) for i in order]
    groups = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(dense[candidates[order]])
    picked: dict[int, int] = {}
    for pos, g in enumerate(groups):
        picked.setdefault(int(g), int(candidates[order[pos]]))
    return list(picked.values())


def _metrics(truth: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(truth, pred)),
        "macro_f1": float(
            f1_score(truth, pred, labels=list(labels), average="macro", zero_division=0)
        ),
    }


# ----------------------------------------------------------------------------- sentiment
def sentiment_curve(
    name: str,
    dom: dict[str, Any],
    root: Path,
    seeds: int,
    minilm: Any,
    tmp: Path,
    backend: str = "fast",
) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    from cxloop.text.teach import SentimentHead, choose_C, head_features

    started = time.perf_counter()
    lodo = lodo_embedding_backend if backend == "embedding" else lodo_fast_backend
    base, n_base = lodo(root, dom["exclude"], tmp / f"{name}-{backend}")
    pool, test = dom["pool"], dom["test"]
    y_pool = np.array([LABELS[i] for i in pool.labels])
    y_test = [LABELS[i] for i in test.labels]
    labels = sorted(set(y_test))
    f_pool, f_test = head_features(base, pool.texts), head_features(base, test.texts)
    b_pool, b_test = base.sentiment_proba(pool.texts), base.sentiment_proba(test.texts)
    dense_pool = base.encode(pool.texts)
    e_pool, e_test = minilm(clean_texts(pool.texts)), minilm(clean_texts(test.texts))
    base_pred = [LABELS[k] for k in b_test.argmax(1)]
    base_metrics = _metrics(y_test, base_pred, labels)
    print(
        f"[{name}] LODO base ({backend}, trained on {n_base} texts without {dom['exclude']}): "
        f"acc {base_metrics['accuracy']:.3f}",
        flush=True,
    )

    chosen_params: list[tuple[int, float, float]] = []

    def fit_eval(idx: list[int]) -> tuple[dict[str, float], np.ndarray | None]:
        if len(set(y_pool[idx])) < 2:  # the product refuses one class: the base stays
            return base_metrics, None
        # exactly what ``fit_sentiment_head`` does: (C, dense weight) by inner CV on the
        # taught examples only, then the head anchored on the base model
        taught = y_pool[idx].tolist()
        (C, weight), _ = choose_C(f_pool[idx], b_pool[idx], taught)
        chosen_params.append((len(idx), C, weight))
        head = SentimentHead(C=C, dense_weight=weight).fit(f_pool[idx], b_pool[idx], taught)
        pred = [LABELS[k] for k in head.predict_proba(f_test, b_test).argmax(1)]
        return _metrics(y_test, pred, labels), head.predict_proba(f_pool, b_pool)

    runs: dict[str, list[list[dict[str, float]]]] = {"random": [], "active": [], "minilm_lr": []}
    for seed in range(seeds):
        order = np.random.default_rng(100 + seed).permutation(len(pool))
        r_row = [base_metrics]
        l_row: list[dict[str, float] | None] = [None]
        for n in SENT_STEPS[1:]:
            idx = order[:n].tolist()
            r_row.append(fit_eval(idx)[0])
            if len(set(y_pool[idx])) >= 2:
                lr = LogisticRegression(max_iter=2000).fit(e_pool[idx], y_pool[idx])
                l_row.append(_metrics(y_test, lr.predict(e_test).tolist(), labels))
            else:
                l_row.append({"accuracy": float("nan"), "macro_f1": float("nan")})
        runs["random"].append(r_row)
        runs["minilm_lr"].append(l_row)  # type: ignore[arg-type]
        chosen: list[int] = []
        proba = b_pool
        a_row = [base_metrics]
        for n in SENT_STEPS[1:]:
            free = np.setdiff1d(np.arange(len(pool)), chosen)
            chosen += uncertain_pick(
                proba, dense_pool, free, n - len(chosen), seed, task="sentiment"
            )
            m, p = fit_eval(chosen)
            proba = p if p is not None else proba
            a_row.append(m)
        runs["active"].append(a_row)
    out = {
        "task": "sentiment",
        "domain": name,
        "what": dom["what"],
        "backend": f"{backend} (sentiment weights retrained without the domain)",
        "backend_kind": backend,
        "chosen_C_and_dense_weight": chosen_params,
        "base_training_texts": n_base,
        "excluded_source": dom["exclude"],
        "pool": len(pool),
        "n_test": len(test),
        "test_classes": {c: y_test.count(c) for c in labels},
        "steps": SENT_STEPS,
        "seeds": seeds,
        "curves": summarise(runs),
        "seconds": round(time.perf_counter() - started, 1),
    }
    _print_curves(out)
    return out


def summarise(runs: dict[str, list[list[dict[str, float]]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for method, rows in runs.items():
        if not rows:
            continue
        out[method] = {}
        for metric in ("accuracy", "macro_f1"):
            arr = np.array([[m[metric] if m else np.nan for m in row] for row in rows], float)
            out[method][metric] = {
                "mean": [
                    None if np.isnan(v) else round(float(v), 4)
                    for v in np.nanmean(np.where(np.isnan(arr), np.nan, arr), axis=0)
                ]
                if not np.all(np.isnan(arr))
                else [],
                "sd": [round(float(v), 4) for v in np.nan_to_num(np.nanstd(arr, axis=0))],
                "min": [round(float(v), 4) for v in np.nan_to_num(np.nanmin(arr, axis=0))],
                "max": [round(float(v), 4) for v in np.nan_to_num(np.nanmax(arr, axis=0))],
            }
    return out


def _print_curves(result: dict[str, Any]) -> None:
    print(
        f"  {result['task']} / {result['domain']} (n_test={result['n_test']}, "
        f"seeds={result['seeds']}, {result['seconds']}s)"
    )
    for method, c in result["curves"].items():
        cells = " ".join(
            "   -  " if m is None else f"{m:.3f}±{s:.3f}"
            for m, s in zip(c["accuracy"]["mean"], c["accuracy"]["sd"], strict=False)
        )
        print(f"    {method:>16} acc  {cells}")
        cells = " ".join(
            "   -  " if m is None else f"{m:.3f}±{s:.3f}"
            for m, s in zip(c["macro_f1"]["mean"], c["macro_f1"]["sd"], strict=False)
        )
        print(f"    {method:>16} mF1  {cells}", flush=True)


# ----------------------------------------------------------------------------- themes
def theme_curve(
    backend: Any, label: str, th: dict[str, Any], seeds: int, minilm: Any | None
) -> dict[str, Any]:
    """BANKING77 intents as a 77-theme taxonomy; teaching as ``learning.teach`` does it."""
    from sklearn.linear_model import LogisticRegression

    from cxloop.text.model_registry import TaughtBackend
    from cxloop.text.teach import ThemeExamples
    from cxloop.text.types import ThemeDefinition

    started = time.perf_counter()
    cats: list[str] = th["categories"]
    pool_t, pool_y = th["pool_texts"], np.array(th["pool_labels"])
    test_t, test_y = th["test_texts"], th["test_labels"]
    dense_pool = backend.encode(pool_t)
    names = [ThemeDefinition(name=c) for c in cats]

    def predict(idx: Sequence[int], texts: list[str]) -> tuple[list[str], np.ndarray]:
        taught = TaughtBackend(
            base=backend,
            theme_examples=ThemeExamples().fit([pool_t[i] for i in idx], [{pool_y[i]} for i in idx])
            if idx
            else None,
        )
        matches = taught.themes(texts, names)
        top = [m[0].name if m else "(none)" for m in matches]
        conf = np.array([m[0].confidence if m else 0.0 for m in matches])
        return top, conf

    runs: dict[str, list[list[dict[str, float]]]] = {"random": [], "active": [], "minilm_lr": []}
    zero = _metrics(test_y, predict([], test_t)[0], cats)
    print(
        f"[themes/{label}] zero-shot from names: acc {zero['accuracy']:.3f} "
        f"macro-F1 {zero['macro_f1']:.3f}",
        flush=True,
    )
    for seed in range(seeds):
        order = np.random.default_rng(200 + seed).permutation(len(pool_t))
        r_row = [zero]
        l_row: list[dict[str, float] | None] = [None]
        for n in THEME_STEPS[1:]:
            idx = order[:n].tolist()
            r_row.append(_metrics(test_y, predict(idx, test_t)[0], cats))
            if minilm is not None:
                e_pool, e_test = minilm(clean_texts(pool_t)), minilm(clean_texts(test_t))
                lr = LogisticRegression(max_iter=3000).fit(e_pool[idx], pool_y[idx])
                l_row.append(_metrics(test_y, lr.predict(e_test).tolist(), cats))
        runs["random"].append(r_row)
        if minilm is not None:
            runs["minilm_lr"].append(l_row)  # type: ignore[arg-type]
        chosen: list[int] = []
        conf = predict([], pool_t)[1]
        a_row = [zero]
        for n in THEME_STEPS[1:]:
            free = np.setdiff1d(np.arange(len(pool_t)), chosen)
            chosen += uncertain_pick(conf, dense_pool, free, n - len(chosen), seed, task="themes")
            a_row.append(_metrics(test_y, predict(chosen, test_t)[0], cats))
            conf = predict(chosen, pool_t)[1]
        runs["active"].append(a_row)
        print(f"  seed {seed} done ({time.perf_counter() - started:.0f}s)", flush=True)
    # "10 examples per theme": stratified, the target point
    per_theme: dict[str, list[dict[str, float]]] = {"ours": [], "minilm_lr": []}
    for seed in range(seeds):
        rng = np.random.default_rng(300 + seed)
        idx = [
            int(i) for c in cats for i in rng.choice(np.flatnonzero(pool_y == c), 10, replace=False)
        ]
        per_theme["ours"].append(_metrics(test_y, predict(idx, test_t)[0], cats))
        if minilm is not None:
            e_pool, e_test = minilm(clean_texts(pool_t)), minilm(clean_texts(test_t))
            lr = LogisticRegression(max_iter=3000).fit(e_pool[idx], pool_y[idx])
            per_theme["minilm_lr"].append(_metrics(test_y, lr.predict(e_test).tolist(), cats))
    ten = {
        k: {
            m: {
                "mean": round(float(np.mean([r[m] for r in v])), 4),
                "sd": round(float(np.std([r[m] for r in v])), 4),
            }
            for m in ("accuracy", "macro_f1")
        }
        for k, v in per_theme.items()
        if v
    }
    out = {
        "task": "themes",
        "domain": "banking77",
        "backend": label,
        "pool": len(pool_t),
        "n_test": len(test_t),
        "steps": THEME_STEPS,
        "seeds": seeds,
        "curves": summarise(runs),
        "ten_per_theme": ten,
        "seconds": round(time.perf_counter() - started, 1),
    }
    _print_curves(out)
    print(f"    10 per theme (770, stratified): {json.dumps(ten)}", flush=True)
    return out


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = 2 if len(results) == 4 else min(len(results), 3)
    rows = (len(results) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.6 * cols, 4.3 * rows), squeeze=False)
    styles = {
        "random": ("tab:blue", "o", "taught, random"),
        "active": ("tab:red", "s", "taught, active (uncertainty)"),
        "minilm_lr": ("tab:gray", "^", "baseline: LR on MiniLM, random"),
    }
    for ax, res in zip(axes.ravel(), results, strict=False):
        metric = "accuracy" if res["task"] == "sentiment" else "macro_f1"
        for method, c in res["curves"].items():
            color, marker, name = styles[method]
            steps = res["steps"]
            mean = np.array([np.nan if v is None else v for v in c[metric]["mean"]], float)
            sd = np.array(c[metric]["sd"], float)
            if len(mean) < len(steps):
                continue
            xs = np.arange(len(steps), dtype=float)  # equally spaced steps, labelled by count
            ax.plot(xs, mean, marker=marker, color=color, label=name)
            ax.fill_between(xs, mean - sd, mean + sd, color=color, alpha=0.15)
        if res["task"] == "themes":
            t = res["ten_per_theme"]["ours"][metric]
            ax.errorbar(
                [len(res["steps"]) - 1 + 0.15],
                [t["mean"]],
                yerr=[t["sd"]],
                fmt="*",
                color="black",
                ms=11,
                label="10 per theme (stratified)",
            )
            ax.axhline(0.80, color="green", ls=":", lw=1, label="target 0.80")
            ax.set_title(
                f"Themes: BANKING77, 77 intents\n({res['backend']}, n_test={res['n_test']})"
            )
        else:
            ax.axhline(0.80, color="green", ls=":", lw=1, label="target 0.80 at 200")
            ax.set_title(
                f"Sentiment, new domain: {res['domain']}\n"
                f"({res.get('backend_kind', 'fast')}, base without it; n_test={res['n_test']})"
            )
        ax.set_xticks(np.arange(len(res["steps"])))
        ax.set_xticklabels([str(s) for s in res["steps"]])
        ax.set_xlabel("taught examples")
        ax.set_ylabel("accuracy" if metric == "accuracy" else "macro-F1")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle("Learning curves (mean ± sd over seeds)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def _ordered(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sentiment panels first (by domain, then backend), then themes, for a stable plot."""
    return sorted(
        results,
        key=lambda r: (r["task"] != "sentiment", r.get("domain", ""), r.get("backend", "")),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--stage", choices=["encode", "all", "plot"], default="all")
    parser.add_argument("--pool", type=int, default=1200, help="sentiment teaching pool size")
    parser.add_argument("--test", type=int, default=600, help="sentiment test size")
    parser.add_argument("--theme-pool", type=int, default=20, help="BANKING77 pool per intent")
    parser.add_argument("--theme-test", type=int, default=10, help="BANKING77 test per intent")
    parser.add_argument("--domains", nargs="+", default=["banking77_complaints", "semeval_laptops"])
    parser.add_argument("--theme-backends", nargs="+", default=["embedding", "fast"])
    parser.add_argument("--sentiment-backends", nargs="+", default=["embedding", "fast"])
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=["sentiment", "themes"],
        help="curves to (re)compute; the others are kept from the previous JSON",
    )
    parser.add_argument("--seeds", type=int, default=5, help="seeds per sentiment curve")
    parser.add_argument("--theme-seeds", type=int, default=3, help="seeds per theme curve")
    args = parser.parse_args()
    root = datasets_dir(args.datasets)
    if args.stage == "encode":
        encode_stage(args, root)
        return
    out_json = CACHE_DIR / "learning_curve.json"
    if args.stage == "plot":
        plot(json.loads(out_json.read_text())["results"], REPO / "docs" / "learning_curve.png")
        return
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    if out_json.exists() and set(args.tasks) != {"sentiment", "themes"}:
        previous = json.loads(out_json.read_text())["results"]
        kept = [r for r in previous if r["task"] not in args.tasks]
        for r in kept:
            r["kept_from_previous_run"] = True
    emb = embedding_backend()
    minilm = emb.encoder.encode

    def save() -> dict[str, Any]:
        meta = {
            "seconds": round(time.perf_counter() - started, 1),
            "minilm_encoded_live": minilm.live,
            "load_average_end": os.getloadavg(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "args": vars(args),
            "results": _ordered(results + kept),
        }
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        out_json.write_text(json.dumps(meta, indent=1))
        return meta

    with tempfile.TemporaryDirectory() as tmp:
        for name, dom in sentiment_domains(root, args.pool, args.test).items():
            for backend in args.sentiment_backends:
                if name in args.domains and "sentiment" in args.tasks:
                    results.append(
                        sentiment_curve(
                            name, dom, root, args.seeds, minilm, Path(tmp), backend=backend
                        )
                    )
                    save()
    if "themes" in args.tasks:
        th = theme_data(root, args.theme_pool, args.theme_test)
        from cxloop.text.backends.fast import FastBackend

        if "embedding" in args.theme_backends:
            results.append(theme_curve(emb, "embedding (MiniLM)", th, args.theme_seeds, minilm))
            save()
        if "fast" in args.theme_backends:
            results.append(theme_curve(FastBackend(), "fast", th, args.theme_seeds, None))
    minilm.save()
    meta = save()
    plot(meta["results"], REPO / "docs" / "learning_curve.png")
    print(f"total {meta['seconds']}s; results in {CACHE_DIR / 'learning_curve.json'}")


if __name__ == "__main__":
    main()
