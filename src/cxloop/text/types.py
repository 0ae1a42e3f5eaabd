"""Result types shared by text backends, the enrichment pipeline and its consumers."""

from __future__ import annotations

from dataclasses import dataclass, field

SENTIMENT_LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Sentiment:
    """label in SENTIMENT_LABELS; score in [-1, 1]; confidence in [0, 1]."""

    label: str
    score: float
    confidence: float


@dataclass(frozen=True)
class ThemeMatch:
    """A theme found in a text, with its confidence and the sentiment toward that aspect."""

    name: str
    confidence: float
    sentiment: Sentiment


@dataclass(frozen=True)
class ThemeDefinition:
    """One taxonomy entry as the classifiers see it."""

    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    parent: str | None = None
    #: Texts a person said are *not* about this theme ("remove theme" corrections).
    counter_examples: tuple[str, ...] = ()


@dataclass
class TextAnalysis:
    """Everything the engine says about one piece of feedback."""

    language: str | None
    sentiment: Sentiment
    themes: list[ThemeMatch] = field(default_factory=list)
    journey_stage: str | None = None
    touchpoint: str | None = None
    stage_source: str | None = None  # metadata|text
    signals: list[str] = field(default_factory=list)  # effort|urgency|churn_risk
    sentences: list[str] = field(default_factory=list)
    redacted_text: str | None = None
    redacted_title: str | None = None
    model_version: str = ""
