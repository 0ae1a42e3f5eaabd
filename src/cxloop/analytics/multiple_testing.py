"""Multiple-comparison corrections: Benjamini-Hochberg (FDR) and Holm (family-wise).

BH comes from statsmodels. Holm is the three-line step-down here because statsmodels'
``multipletests(method="holm")`` runs a full ``gc.collect()`` on every call, which cost 0.4 s
per call with a large heap (measured: 24 calls made a 100k-row metrics query take 10 s).
``tests/analytics`` checks both against ``multipletests``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from statsmodels.stats.multitest import multipletests

METHODS = {"bh": "fdr_bh", "holm": "holm"}


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p values (same as statsmodels' ``holm``)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    m = len(p)
    adjusted = np.maximum.accumulate(p[order] * np.arange(m, 0, -1))
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def adjust(
    pvalues: Sequence[float] | np.ndarray, method: str = "bh", alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """(reject at ``alpha``, adjusted p values) for ``method`` bh or holm."""
    p = np.asarray(pvalues, dtype=float)
    if len(p) == 0:
        return np.zeros(0, bool), np.zeros(0)
    if method == "holm":
        adj = holm(p)
        return adj <= alpha, adj
    reject, adj, _, _ = multipletests(p, alpha, METHODS[method])
    return np.asarray(reject, bool), np.asarray(adj, float)
