"""L2-penalised logistic regressions fitted with SciPy's L-BFGS.

Why not scikit-learn: importing it costs about 0.8 s, paid by the first run of every new
taxonomy with examples and by every taught head; SciPy is already loaded. These fits are
small (tens to a few thousand rows), so a plain L-BFGS on the exact objective converges in
milliseconds. Each function minimises the same objective as scikit-learn's
``LogisticRegression`` (penalty on the weights, none on the intercept).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

_MAX_ITER = 500


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, overflow-free (``tanh`` form; equal to SciPy's ``expit`` to a
    few ulps). Scoring uses this instead of ``scipy.special``, whose import costs about 55 ms
    at every ``cxloop text score`` start; the fits below still import it, when they run."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x)))


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """Per-row weights ``n / (classes * count(class))``, scikit-learn's ``"balanced"``."""
    classes, index, counts = np.unique(y, return_inverse=True, return_counts=True)
    return len(y) / (len(classes) * counts[index])


def binary_logistic(
    X: Any, y: np.ndarray, C: float, weights: np.ndarray
) -> tuple[np.ndarray, float]:
    """Weights and intercept minimising ``sum_i w_i * log-loss_i + |coef|^2 / (2C)``.

    Columns that are zero in every row keep a zero weight (the penalty alone acts on them),
    so only the columns that occur are optimised: a 2^18-bucket hashed design with a hundred
    rows fits as fast as a dense one with a few hundred columns.
    """
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    X = sparse.csr_matrix(X, dtype=np.float64)
    used = np.unique(X.indices)
    Xu = X[:, used]
    Xt = Xu.T.tocsr()
    sign = np.where(np.asarray(y) > 0, 1.0, -1.0)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        margin = sign * (np.asarray(Xu @ w).ravel() + b)
        value = -float(weights @ log_expit(margin)) + float(w @ w) / (2 * C)
        residual = -weights * sign * expit(-margin)
        grad = np.concatenate([np.asarray(Xt @ residual).ravel() + w / C, [residual.sum()]])
        return value, grad

    result = minimize(
        loss, np.zeros(len(used) + 1), jac=True, method="L-BFGS-B", options={"maxiter": _MAX_ITER}
    )
    coef = np.zeros(X.shape[1])
    coef[used] = result.x[:-1]
    return coef, float(result.x[-1])


def anchored_logistic(
    X: Any,
    y: np.ndarray,
    offset: np.ndarray,
    weights: np.ndarray,
    C: float,
    init: tuple[Any, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression with a fixed per-row offset (the prior's log-odds).

    Minimises ``sum_i w_i * cross-entropy(softmax(offset_i + X_i W^T + b)) + |W|^2 / (2C)``
    (scikit-learn has no offset). ``C = 0`` returns zeros: the prior unchanged.
    """
    from scipy.optimize import minimize

    d = X.shape[1]
    k = offset.shape[1]
    if C <= 0:
        return np.zeros((k, d)), np.zeros(k)
    Y = np.eye(k)[y]
    Xt = X.T.tocsr() if sparse.issparse(X) else X.T

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = theta[: k * d].reshape(k, d), theta[k * d :]
        z = offset + np.asarray(X @ W.T) + b
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -float((weights[:, None] * Y * log_p).sum()) + float((W * W).sum()) / (2 * C)
        residual = weights[:, None] * (np.exp(log_p) - Y)
        grad_w = np.asarray(Xt @ residual).T + W / C
        return value, np.concatenate([grad_w.ravel(), residual.sum(axis=0)])

    start = np.zeros(k * d + k)
    if init is not None:  # the solution for a neighbouring C: far fewer iterations
        start = np.concatenate([np.asarray(init[0]).ravel(), np.asarray(init[1]).ravel()])
    result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": _MAX_ITER})
    theta = result.x
    return theta[: k * d].reshape(k, d), theta[k * d :]
