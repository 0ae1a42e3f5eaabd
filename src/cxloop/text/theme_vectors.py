"""Fit the fast backend's theme table to MiniLM, and adapt it to a company's own comments.

Why: the words-alone table (each word passed through MiniLM on its own) cannot know that
"card" in a bank's comments is about payments and in a florist's about greetings. Fitting the
table so that a text's weighted mean of word vectors lands near MiniLM's vector of the whole
text teaches it how words combine in real sentences (the Tokenlearn idea). The shipped table
was fitted on public sentences (``scripts/train_text_models.py``, step ``themes``);
``cxloop text adapt`` fits it again on a sample of a company's own comments, once, with
MiniLM, so that the torch-free backend scores every later comment with themes closer to the
embedding backend's. Measured in docs/text-models.md.

The fit is linear least squares: holding each text's vector length fixed for a round, every
output dimension is a ridge regression from the SIF-weighted word counts to MiniLM's text
vector (projected into the table's PCA space), solved as a change to a starting table, with
the ridge pulling towards that start. Words a corpus never uses keep their starting vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from cxloop.errors import ConfigError, InputError
from cxloop.text.features import clean_texts
from cxloop.text.static_vectors import StaticVectors

#: Ridge penalty towards the starting table, and fitting rounds. 0.3 of {0.1, 0.3, 1, 3, 10}:
#: best zero-shot themes on BANKING77 *training* queries, with SemEval restaurants as the
#: multi-label check (docs/text-models.md).
THEME_RIDGE = 0.3
THEME_ROUNDS = 2
#: Texts ``adapt`` samples from a file: MiniLM encodes about 300 short texts/s on 2 cores.
ADAPT_SAMPLE = 20_000
#: Fewer distinct texts than this cannot say much about a vocabulary of 23,000 words.
MIN_ADAPT_TEXTS = 200


@dataclass(frozen=True)
class AdaptReport:
    """What ``adapt`` did: texts used, and how close the table's text vectors came to
    MiniLM's on held-out texts (mean cosine) before and after."""

    texts: int
    held_out: int
    cosine_before: float
    cosine_after: float
    output: str


def project(vectors: np.ndarray, basis: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """MiniLM vectors in the table's PCA space, rows L2-normalised."""
    projected = (np.asarray(vectors, dtype=np.float64) - mean) @ basis.T
    norms = np.linalg.norm(projected, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return projected / norms


def weighted_counts(static: StaticVectors, texts: Sequence[str]) -> sparse.csr_matrix:
    """SIF-weighted word counts, the left-hand side of the fit (and of scoring)."""
    counts = static.word_counts(list(texts)).astype(np.float64)
    return (counts @ sparse.diags(static.weights.astype(np.float64))).tocsr()


def mean_cosine(counts: sparse.csr_matrix, table: np.ndarray, target: np.ndarray) -> float:
    """Mean cosine between the table's text vectors and ``target`` (rows with words only)."""
    vectors = np.asarray(counts @ table)
    norms = np.linalg.norm(vectors, axis=1)
    keep = norms > 0
    if not keep.any():
        return 0.0
    return float(np.mean(np.sum(vectors[keep] / norms[keep, None] * target[keep], axis=1)))


def fit_theme_table(
    counts: sparse.csr_matrix,
    target: np.ndarray,
    start: np.ndarray,
    *,
    ridge: float = THEME_RIDGE,
    rounds: int = THEME_ROUNDS,
) -> np.ndarray:
    """The table whose text vectors (``counts`` @ table, normalised) best match ``target``."""
    from scipy.sparse.linalg import lsqr

    has_words = np.diff(counts.indptr) > 0
    counts, target = counts[has_words], target[has_words]
    start = np.asarray(start, dtype=np.float64)
    table = start.copy()
    if counts.shape[0] == 0:
        return table
    for _ in range(rounds):
        lengths = np.linalg.norm(counts @ table, axis=1)
        lengths[lengths == 0] = 1.0
        design = (sparse.diags(1.0 / lengths) @ counts).tocsr()
        residual = target - design @ start
        change = np.column_stack(
            [
                lsqr(design, residual[:, j], damp=float(np.sqrt(ridge)), atol=1e-6, btol=1e-6)[0]
                for j in range(start.shape[1])
            ]
        )
        table = start + change
    return table


def adapt_theme_table(
    texts: Sequence[str | None],
    output: Path,
    *,
    encode: Callable[[list[str]], np.ndarray] | None = None,
    model_path: str | None = None,
    sample: int = ADAPT_SAMPLE,
    base: StaticVectors | None = None,
) -> AdaptReport:
    """Fit the theme table again on ``texts`` (a company's comments) and write a complete
    static-vectors file to ``output`` for ``CXLOOP_FAST_VECTORS`` / ``--vectors``.

    The fit starts from, and is pulled towards, the shipped theme table; 10 % of the texts
    are held out to report how much closer to MiniLM the table came. ``encode`` defaults to
    the bundled MiniLM (needs the ``embedding`` extra).
    """
    base = base or StaticVectors.load()
    if base.theme_vectors is None or base.theme_basis is None or base.theme_mean is None:
        raise ConfigError(
            "the static vectors file has no theme table to adapt",
            hint="rebuild it with scripts/train_text_models.py --steps static themes",
        )
    cleaned = list(dict.fromkeys(t for t in clean_texts(list(texts)) if t))
    rng = np.random.default_rng(0)
    if len(cleaned) > sample:
        cleaned = [cleaned[i] for i in np.sort(rng.choice(len(cleaned), sample, replace=False))]
    counts = weighted_counts(base, cleaned)
    with_words = [t for t, n in zip(cleaned, np.diff(counts.indptr), strict=True) if n > 0]
    if len(with_words) < MIN_ADAPT_TEXTS:
        raise InputError(
            f"only {len(with_words)} distinct texts with known words; adapting needs at least "
            f"{MIN_ADAPT_TEXTS}",
            hint="give a file with more comments (a few thousand work well)",
        )
    if encode is None:
        from cxloop.text.embeddings import SentenceEncoder

        encode = SentenceEncoder(model_path).encode
    target = project(encode(with_words), base.theme_basis, base.theme_mean)
    counts = weighted_counts(base, with_words)
    held = rng.random(len(with_words)) < 0.1
    start = base.theme_vectors.astype(np.float64)
    before = mean_cosine(counts[held], start, target[held])
    check = fit_theme_table(counts[~held], target[~held], start)
    after = mean_cosine(counts[held], check, target[held])
    table = fit_theme_table(counts, target, start)  # the file uses every text
    adapted = StaticVectors(
        base.vocab, base.vectors, base.weights, table, base.theme_basis, base.theme_mean
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    adapted.save(output)
    return AdaptReport(len(with_words), int(held.sum()), before, after, str(output))
