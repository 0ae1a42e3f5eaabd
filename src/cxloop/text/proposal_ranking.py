"""Ranking discovered themes: new, distinctive, coherent subjects first; generic talk last.

Size alone is a poor order for proposals: the largest clusters in customer feedback are
stock phrases ("keep up the good work"), greetings and loose mixtures of known subjects, while
the subject a CX lead did not know about may be small. A reviewer reads the first five to ten,
so every proposal gets a score from corpus statistics that need no labels:

* **breadth** — how many different words belong mostly to this subject (at least half of all
  sentences in the corpus that use the word are in the proposal, with some support). A subject
  that many customers raise in their own words brings a vocabulary with it ("plastic",
  "packaging", "wrapped", "landfill", "recyclable"); a repeated stock phrase brings one or two
  words, and typing slips of a word ("nothnig") are not counted as new words.
* **specificity** — the share of each top keyword's occurrences that fall inside the
  proposal (c-TF-IDF asks the same question between clusters; here it is against the whole
  corpus, so a cluster labelled by everyday words like "came / day" scores low).
* **subject** — the share of top keywords that are not opinion words: "pleased / happy" is
  a feeling, not a subject. A proposal whose keywords are mostly opinions is *generic* and is
  listed after every subject.
* **coherence** — the share of its sentences that use one of its two top keywords.
* **novelty** — distance from the nearest taxonomy theme (definition similarity and keyword
  coverage), so half-covered subjects rank below new ones.
* **negativity and trend** — a complaint and a rising subject need attention sooner.

The score is the product of these (each in [0, 1] except breadth, which enters as
``log1p``), so a proposal must be good on all of them; the parts are kept with the proposal so
a reviewer can see why it ranks where it does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

#: A word belongs to a subject when at least this share of its sentences are in it.
CONCENTRATION = 0.5
#: Opinion share of the top keywords above which a proposal counts as generic talk.
GENERIC_OPINION_SHARE = 0.5


@dataclass
class CorpusTerms:
    """Which sentence uses which word (binary), for lift and concentration against the corpus."""

    matrix: sparse.csr_matrix
    terms: np.ndarray
    doc_freq: np.ndarray
    index: dict[str, int]
    slip: np.ndarray  # True for a rare spelling of a much more frequent word

    @classmethod
    def build(cls, sentences: Sequence[str], token_pattern: str) -> CorpusTerms:
        vec = CountVectorizer(
            stop_words="english", token_pattern=token_pattern, binary=True, min_df=3
        )
        try:
            matrix = vec.fit_transform(sentences).tocsr()
        except ValueError:  # nothing frequent enough
            return cls(
                sparse.csr_matrix((len(sentences), 0)),
                np.array([]),
                np.array([]),
                {},
                np.array([], dtype=bool),
            )
        terms = np.array(vec.get_feature_names_out())
        df = np.asarray(matrix.sum(axis=0)).ravel()
        return cls(
            matrix, terms, df, {str(t): i for i, t in enumerate(terms)}, _spelling_slips(terms, df)
        )


def _spelling_slips(terms: np.ndarray, df: np.ndarray, ratio: float = 5.0) -> np.ndarray:
    """Words one edit (or one swap of neighbours) away from a word used ``ratio`` times more.

    Symmetric deletion keys find the pairs without comparing every word with every other:
    "nothnig" and "nothing" share "nothig". Plurals of a far more frequent singular are
    caught too, which is wanted: they are not a new word of the subject either."""
    keys: dict[str, list[int]] = {}
    for i, t in enumerate(terms):
        if len(t) < 4:
            continue
        for k in {t, *(t[:j] + t[j + 1 :] for j in range(len(t)))}:
            keys.setdefault(k, []).append(i)
    slip = np.zeros(len(terms), dtype=bool)
    for group in keys.values():
        if len(group) < 2:
            continue
        top = max(df[g] for g in group)
        for g in group:
            if df[g] * ratio <= top:
                slip[g] = True
    return slip


@dataclass
class RankParts:
    """Why a proposal ranks where it does (all in [0, 1] except ``breadth``, a word count)."""

    breadth: int
    specificity: float
    subject: float
    coherence: float
    novelty: float
    negativity: float
    rising: bool
    generic: bool
    score: float
    distinctive_words: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "breadth": self.breadth,
            "specificity": round(self.specificity, 3),
            "subject": round(self.subject, 3),
            "coherence": round(self.coherence, 3),
            "novelty": round(self.novelty, 3),
            "negativity": round(self.negativity, 3),
            "rising": self.rising,
            "generic": self.generic,
            "distinctive_words": self.distinctive_words,
        }


def keyword_tokens(keywords: Sequence[str], top: int = 3) -> list[str]:
    return list(dict.fromkeys(w for k in keywords[:top] for w in k.split()))


def rank_parts(
    corpus: CorpusTerms,
    members: np.ndarray,
    keywords: Sequence[str],
    *,
    coherence: float,
    novelty: float,
    negative_share: float | None,
    rising: bool,
    opinion: Callable[[str], bool],
) -> RankParts:
    """Score one proposal from its member sentences (indices into the corpus)."""
    n_members = max(len(members), 1)
    if corpus.matrix.shape[1] and len(members):
        counts = np.asarray(corpus.matrix[members].sum(axis=0)).ravel()
        concentration = counts / np.maximum(corpus.doc_freq, 1)
        support = counts >= max(3.0, 0.01 * n_members)
        own = np.flatnonzero(support & (concentration >= CONCENTRATION) & ~corpus.slip)
        own = own[np.argsort(-counts[own])]
    else:
        counts = concentration = np.zeros(0)
        own = np.zeros(0, dtype=int)
    tokens = keyword_tokens(keywords)
    spec = [float(concentration[corpus.index[t]]) if t in corpus.index else 0.0 for t in tokens]
    specificity = float(np.mean(spec)) if spec else 0.0
    opinions = [opinion(t) for t in keyword_tokens(keywords, top=5)]
    subject = 1.0 - (sum(opinions) / len(opinions) if opinions else 1.0)
    breadth = len(own)
    generic = subject < 1.0 - GENERIC_OPINION_SHARE or breadth == 0
    negativity = 0.5 if negative_share is None else float(negative_share)
    score = (
        np.log1p(breadth)
        * specificity
        * (0.5 + 0.5 * subject)
        * coherence
        * (0.25 + 0.75 * novelty)
        * (0.5 + negativity)
        * (1.25 if rising else 1.0)
    )
    return RankParts(
        breadth=breadth,
        specificity=specificity,
        subject=subject,
        coherence=coherence,
        novelty=novelty,
        negativity=negativity,
        rising=rising,
        generic=generic,
        score=float(score) * (0.01 if generic else 1.0),
        distinctive_words=[str(corpus.terms[i]) for i in own[:12]],
    )
