"""Does fine-tuning MiniLM close the SemEval-2014 gap? An experiment, not a product path.

The shipped engine reads SemEval restaurant categories with *frozen* all-MiniLM-L6-v2
vectors and linear heads (detection micro-F1 0.833, category polarity 0.719 over 5 folds;
targets 0.89 / 0.85). This script fine-tunes the whole encoder on one fold's training
sentences and measures the same fold's test sentences, to see how much of the gap a
fine-tuned MiniLM (the only transformer weights we may ship) closes:

* detection: mean-pooled sentence vector -> 5 sigmoid outputs (one per category), BCE;
* polarity: the pair "sentence [SEP] category" -> positive | negative | neutral | conflict,
  cross-entropy, read for the gold categories (``conflict`` counts, as in eval_text.py);
* one shared encoder, both losses in every step; AdamW, encoder lr ``--lr``, heads 1e-3,
  10 % warm-up then linear decay, batch 32 sentences, bf16 autocast on CPU, seed 0;
  folds are eval_text.py's (KFold 5, shuffle, seed 0).

Results go to docs/text-models.md ("Fine-tuning MiniLM"). One fold of 8 epochs took 20 min
on one core of the 2-core machine, which is why it is not part of eval_text.py.

Usage::

    .venv/bin/python benchmarks/finetune_semeval.py --fold 0 --epochs 8 --lr 8e-5
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cxloop.text.corpora import semeval_sentences  # noqa: E402
from cxloop.text.embeddings import bundled_model_path  # noqa: E402

CATEGORIES = ["food", "service", "price", "ambience", "anecdotes/miscellaneous"]
CATEGORY_TEXT = {c: c.replace("/", " and ") for c in CATEGORIES}
POLARITIES = ["positive", "negative", "neutral", "conflict"]
BATCH = 32
MAX_LENGTH = 96


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    args = parser.parse_args()

    import torch
    from transformers import AutoModel, AutoTokenizer

    sentences = semeval_sentences(args.datasets, "Restaurants_Train.xml")
    texts = [s.text for s in sentences]
    gold = np.zeros((len(texts), len(CATEGORIES)), dtype=np.float32)
    for i, s in enumerate(sentences):
        for c in s.categories:
            gold[i, CATEGORIES.index(c)] = 1
    train, test = list(KFold(5, shuffle=True, random_state=0).split(texts))[args.fold]
    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(args.threads)
    path = bundled_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path)
    detect = torch.nn.Linear(384, len(CATEGORIES))
    polarity = torch.nn.Linear(384, len(POLARITIES))
    heads = list(detect.parameters()) + list(polarity.parameters())
    optimiser = torch.optim.AdamW(
        [{"params": encoder.parameters(), "lr": args.lr}, {"params": heads, "lr": 1e-3}],
        weight_decay=0.01,
    )

    def pooled(*parts: list[str]) -> torch.Tensor:
        batch = tokenizer(
            *parts, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt"
        )
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1)

    det_items = [(texts[i], gold[i]) for i in train]
    pol_items = [
        (texts[i], CATEGORY_TEXT[c], POLARITIES.index(p))
        for i in train
        for c, p in sentences[i].categories.items()
    ]
    steps = (len(det_items) + BATCH - 1) // BATCH
    total, warm = steps * args.epochs, max(1, int(0.1 * steps * args.epochs))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: s / warm if s < warm else max(0.0, (total - s) / (total - warm))
    )
    bce, cross_entropy = torch.nn.BCEWithLogitsLoss(), torch.nn.CrossEntropyLoss()
    started = time.time()
    for epoch in range(args.epochs):
        encoder.train()
        random.shuffle(det_items)
        random.shuffle(pol_items)
        per_step = (len(pol_items) + steps - 1) // steps
        for k in range(steps):
            d = det_items[k * BATCH : (k + 1) * BATCH]
            p = pol_items[k * per_step : (k + 1) * per_step]
            with torch.autocast("cpu", dtype=torch.bfloat16):
                target = torch.tensor(np.stack([g for _, g in d]))
                loss = bce(detect(pooled([t for t, _ in d])).float(), target)
                if p:
                    logits = polarity(pooled([t for t, _, _ in p], [c for _, c, _ in p]))
                    loss = loss + cross_entropy(logits.float(), torch.tensor([y for *_, y in p]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        elapsed = time.time() - started
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}, {elapsed:.0f} s", flush=True)

    encoder.eval()
    pairs = [(i, c, p) for i in test for c, p in sentences[i].categories.items()]
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        proba = np.concatenate(
            [
                torch.sigmoid(detect(pooled([texts[i] for i in test[k : k + 64]])).float()).numpy()
                for k in range(0, len(test), 64)
            ]
        )
        predicted = np.concatenate(
            [
                polarity(
                    pooled(
                        [texts[i] for i, _, _ in pairs[k : k + 64]],
                        [CATEGORY_TEXT[c] for _, c, _ in pairs[k : k + 64]],
                    )
                )
                .float()
                .argmax(1)
                .numpy()
                for k in range(0, len(pairs), 64)
            ]
        )
    truth = gold[test].astype(bool)
    y = np.array([POLARITIES.index(p) for _, _, p in pairs])
    print(f"fold {args.fold}, {args.epochs} epochs, lr {args.lr}: n {len(test)} sentences")
    micro = f1_score(truth, proba >= 0.5, average="micro")
    print(f"  detection micro-F1 (threshold 0.5): {micro:.3f}")
    print(f"  category polarity accuracy: {(predicted == y).mean():.3f} (n {len(y)})")
    print(f"  excluding conflict: {(predicted[y != 3] == y[y != 3]).mean():.3f}")


if __name__ == "__main__":
    main()
