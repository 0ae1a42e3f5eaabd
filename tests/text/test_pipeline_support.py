"""A tiny keyword backend that stands in for the real models in pipeline tests.

It implements the ``TextBackend`` protocol exactly, so the enrichment pipeline, storage and
CLI can be tested without the ``fast``/``embedding`` models (which have their own tests and
accuracy evaluation). It is deliberately simple: a negative or positive word decides the
sentiment, a taxonomy keyword in the text gives a theme with confidence 0.9.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cxloop.text.types import Sentiment, ThemeDefinition, ThemeMatch

NEGATIVE = ("never", "late", "broken", "rude", "crash", "crashes", "terrible", "charged twice")
POSITIVE = ("great", "love", "excellent", "fast", "helpful")


class KeywordBackend:
    """Stands in for a model: keyword sentiment and keyword themes (see module docstring)."""

    name = "keyword-stub"

    def __init__(self, version: str = "stub-1") -> None:
        self.version = version

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([[len(t), t.count(" ")] for t in texts], dtype=np.float32)

    def sentiment_proba(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            low = text.lower()
            neg = any(w in low for w in NEGATIVE)
            pos = any(w in low for w in POSITIVE)
            if neg and not pos:
                rows.append([0.8, 0.1, 0.1])
            elif pos and not neg:
                rows.append([0.1, 0.1, 0.8])
            else:
                rows.append([0.2, 0.6, 0.2])
        return np.array(rows)

    def sentiment(self, texts: Sequence[str]) -> list[Sentiment]:
        labels = ("negative", "neutral", "positive")
        out = []
        for p in self.sentiment_proba(texts):
            k = int(np.argmax(p))
            out.append(Sentiment(labels[k], float(p[2] - p[0]), float(p[k])))
        return out

    def themes(
        self, texts: Sequence[str], taxonomy: Sequence[ThemeDefinition]
    ) -> list[list[ThemeMatch]]:
        doc = self.sentiment(texts)
        result = []
        for text, sentiment in zip(texts, doc, strict=True):
            low = text.lower()
            matches = []
            for theme in taxonomy:
                hits = sum(1 for k in theme.keywords if k.lower() in low)
                if hits:
                    matches.append(ThemeMatch(theme.name, min(0.99, 0.6 + 0.1 * hits), sentiment))
            result.append(sorted(matches, key=lambda m: m.confidence, reverse=True))
        return result


class FailingBackend(KeywordBackend):
    """Raises on the n-th call: simulates a run that dies part-way."""

    def __init__(self, fail_on_call: int) -> None:
        super().__init__()
        self.calls = 0
        self.fail_on_call = fail_on_call

    def sentiment(self, texts: Sequence[str]) -> list[Sentiment]:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("simulated crash mid-run")
        return super().sentiment(texts)
