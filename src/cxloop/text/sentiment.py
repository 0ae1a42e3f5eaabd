"""Document sentiment: a multinomial logistic regression over three feature blocks.

The blocks are hashed word 1-2-grams (lexical evidence), the CX cue counts (complaints without
emotional words, questions, thanks) and a dense sentence vector (static MiniLM-distilled word
vectors for ``fast``, MiniLM sentence embeddings for ``embedding``). A linear model keeps
inference to one sparse matrix product, ships as a small ``.npz`` of coefficients, and is
retrained from the public datasets by ``scripts/train_text_models.py``.

Confidence is the winning class probability; texts without any recognised word (empty,
emoji we do not know, a script the vocabulary does not cover) are reported neutral with low
confidence instead of whatever the intercept happens to favour.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from cxloop.errors import ConfigError
from cxloop.text.types import SENTIMENT_LABELS, Sentiment

#: Passes of the SAGA solver: on ~10k texts it reaches the accuracy of a fully converged
#: L-BFGS fit in a tenth of the time (measured on TweetEval test, 2.4 s vs 27 s).
SAGA_EPOCHS = 30
#: Confidence reported for texts the model has no evidence about.
NO_EVIDENCE_CONFIDENCE = 0.34


@dataclass
class FeatureBlocks:
    """Features of a batch of texts; ``known`` marks texts with at least one known word.

    ``theme_dense`` is a second dense block that only theme classification reads (the fast
    backend's theme table); when it is None, themes read ``dense`` like the sentiment head.
    ``theme_hashed`` likewise: set when the sentiment head reads a rewritten text
    (:mod:`cxloop.text.resolved`) or negation marks (:func:`cxloop.text.features.
    negation_marks`) while themes read the text as written. ``negated`` is the sentence
    vector of the words a negator covers (``fast`` since weights 2026.11.9; None for
    ``embedding``, whose sentence model reads negation itself): the sentiment head reads it
    when it was trained with it.
    """

    hashed: sparse.csr_matrix
    cues: np.ndarray
    dense: np.ndarray
    known: np.ndarray
    theme_dense: np.ndarray | None = None
    theme_hashed: sparse.csr_matrix | None = None
    negated: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.hashed.shape[0])

    @property
    def for_themes(self) -> np.ndarray:
        """The dense block theme classification reads."""
        return self.dense if self.theme_dense is None else self.theme_dense

    @property
    def hashed_for_themes(self) -> sparse.csr_matrix:
        """The word n-grams theme classification reads."""
        return self.hashed if self.theme_hashed is None else self.theme_hashed

    def subset(self, index: np.ndarray) -> FeatureBlocks:
        return FeatureBlocks(
            self.hashed[index],
            self.cues[index],
            self.dense[index],
            self.known[index],
            None if self.theme_dense is None else self.theme_dense[index],
            None if self.theme_hashed is None else self.theme_hashed[index],
            None if self.negated is None else self.negated[index],
        )

    @staticmethod
    def stack(parts: Sequence[FeatureBlocks]) -> FeatureBlocks:
        # A part without a theme block reads its sentiment block for themes (``for_themes``).
        some_dense = any(p.theme_dense is not None for p in parts)
        some_hashed = any(p.theme_hashed is not None for p in parts)
        all_negated = all(p.negated is not None for p in parts)
        return FeatureBlocks(
            sparse.vstack([p.hashed for p in parts]).tocsr(),
            np.vstack([p.cues for p in parts]),
            np.vstack([p.dense for p in parts]),
            np.concatenate([p.known for p in parts]),
            np.vstack([p.for_themes for p in parts]) if some_dense else None,
            sparse.vstack([p.hashed_for_themes for p in parts]).tocsr() if some_hashed else None,
            np.vstack([p.negated for p in parts]) if all_negated else None,  # type: ignore[misc]
        )


class SentimentModel:
    """Linear 3-class sentiment head over ``FeatureBlocks`` (scikit-learn estimator style)."""

    def __init__(
        self,
        *,
        C: float = 4.0,
        cue_weight: float = 0.5,
        dense_weight: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.cue_weight = cue_weight
        self.dense_weight = dense_weight
        self.random_state = random_state

    def _design(self, blocks: FeatureBlocks) -> sparse.csr_matrix:
        parts = [
            blocks.hashed,
            sparse.csr_matrix(blocks.cues * self.cue_weight),
            sparse.csr_matrix(blocks.dense * self.dense_weight),
        ]
        if blocks.negated is not None:
            parts.append(sparse.csr_matrix(blocks.negated * self.dense_weight))
        design = sparse.hstack(parts, format="csr", dtype=np.float32)
        fitted = getattr(self, "coef_", None)
        if fitted is not None and fitted.shape[1] != design.shape[1]:
            raise ConfigError(
                f"the sentiment weights expect {fitted.shape[1]} features but this backend "
                f"gives {design.shape[1]} (weights made for another version of cxloop?)",
                hint="reinstall cxloop or rebuild them with scripts/train_text_models.py",
            )
        return design

    def fit(
        self, blocks: FeatureBlocks, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> SentimentModel:
        from sklearn.exceptions import ConvergenceWarning  # fit only: keeps scoring light
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(
            C=self.C,
            solver="saga",
            max_iter=SAGA_EPOCHS,
            tol=1e-3,
            class_weight="balanced",
            random_state=self.random_state,
        )
        self.__dict__.pop("coef_", None)  # a refit may read other features than the last fit
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(self._design(blocks), np.asarray(y), sample_weight=sample_weight)
        if list(model.classes_) != [0, 1, 2]:
            raise ConfigError("sentiment training data must contain all three classes")
        self.coef_ = model.coef_.astype(np.float32)
        self.intercept_ = model.intercept_.astype(np.float32)
        return self

    def predict_proba(self, blocks: FeatureBlocks) -> np.ndarray:
        if len(blocks) == 0:
            return np.zeros((0, 3), dtype=np.float32)
        logits = np.asarray(self._design(blocks) @ self.coef_.T) + self.intercept_
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        proba /= proba.sum(axis=1, keepdims=True)
        proba[~blocks.known] = (0.33, NO_EVIDENCE_CONFIDENCE, 0.33)
        return proba.astype(np.float32)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            coef=self.coef_.astype(np.float16),
            intercept=self.intercept_,
            params=np.array([self.C, self.cue_weight, self.dense_weight], dtype=np.float64),
        )

    @classmethod
    def load(cls, path: Path) -> SentimentModel:
        if not path.is_file():
            raise ConfigError(
                f"sentiment weights '{path}' are missing",
                hint="reinstall cxloop or run scripts/train_text_models.py",
            )
        with np.load(path, allow_pickle=False) as data:
            c, cue_weight, dense_weight = (float(v) for v in data["params"])
            model = cls(C=c, cue_weight=cue_weight, dense_weight=dense_weight)
            model.coef_ = data["coef"].astype(np.float32)
            model.intercept_ = data["intercept"].astype(np.float32)
        return model


def sentiments_from_proba(proba: np.ndarray) -> list[Sentiment]:
    """Label = most probable class; score = P(positive) - P(negative) in [-1, 1]."""
    labels = proba.argmax(axis=1)
    scores = np.clip(proba[:, 2] - proba[:, 0], -1.0, 1.0)
    conf = proba.max(axis=1)
    return [
        Sentiment(SENTIMENT_LABELS[int(i)], round(float(s), 4), round(float(c), 4))
        for i, s, c in zip(labels, scores, conf, strict=True)
    ]
