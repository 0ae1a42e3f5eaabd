"""The SciPy logistic fits reach scikit-learn's optimum of the same objective."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from cxloop.text.logistic import balanced_weights, binary_logistic, sigmoid


def _problem() -> tuple[sparse.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(0)
    hashed = sparse.random(150, 4000, density=0.01, random_state=0, format="csr")
    dense = sparse.csr_matrix(rng.normal(size=(150, 16)))
    X = sparse.hstack([hashed, dense], format="csr")
    y = (np.asarray(X[:, -1].todense()).ravel() + rng.normal(0, 1, 150) > 1.0).astype(int)
    return X, y


def test_binary_logistic_matches_scikit_learn_balanced() -> None:
    X, y = _problem()
    assert 0 < y.mean() < 0.5  # unbalanced on purpose
    ref = LogisticRegression(
        C=30.0, solver="lbfgs", tol=1e-10, max_iter=10_000, class_weight="balanced"
    ).fit(X, y)
    coef, intercept = binary_logistic(X, y, 30.0, balanced_weights(y))
    np.testing.assert_allclose(coef, ref.coef_[0], atol=1e-3)
    assert abs(intercept - ref.intercept_[0]) < 1e-3


def test_columns_absent_from_every_row_keep_zero_weight() -> None:
    X, y = _problem()
    coef, _ = binary_logistic(X, y, 1.0, np.ones(len(y)))
    unused = np.setdiff1d(np.arange(X.shape[1]), X.indices)
    assert len(unused) > 0 and not coef[unused].any()
    assert coef.shape == (X.shape[1],)


def test_balanced_weights_equalise_the_classes() -> None:
    y = np.array([0, 0, 0, 1])
    w = balanced_weights(y)
    assert w[y == 0].sum() == w[y == 1].sum() == 2.0


def test_sigmoid_equals_expit_without_overflow() -> None:
    import warnings

    from scipy.special import expit

    x = np.concatenate([np.linspace(-50, 50, 2001), [-1e4, -745.0, 745.0, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would raise here
        out = sigmoid(x)
    assert np.allclose(out, expit(x), rtol=1e-12, atol=1e-15)
    assert sigmoid(np.float32([0.0, 3.0])).dtype == np.float32  # theme confidences stay fp32
