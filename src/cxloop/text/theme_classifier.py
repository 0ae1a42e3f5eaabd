"""Multi-label theme classification from a taxonomy, with a confidence and aspect sentiment.

Two ways to know a theme, combined per theme:

* **Zero-shot** (names, descriptions, keywords): each theme gets *anchors* — its name, its
  description, each keyword, and "name: description" — embedded by the backend. A text's
  similarity to a theme is its cosine to the nearest anchor (so a text that paraphrases one
  keyword is not diluted by the others), plus a bonus when a keyword literally occurs (plural
  forms included). A logistic curve turns that into a confidence; the curve's centre and slope
  are per backend because static and transformer vectors have different cosine ranges.
* **From examples**: when a theme has at least ``min_examples`` examples, a one-vs-rest
  logistic regression is fitted on the examples' features (the anchors are added as extra
  positives), with the examples of the other themes as negatives (their names, descriptions
  and keywords when no other theme has examples). Its probability is blended
  with the zero-shot confidence with weight n / (n + ``example_prior``) for n examples, so
  names and keywords carry a theme with few examples and the examples take over with many.
  The examples are also anchors, so the nearest example counts like a paraphrased keyword,
  after a per-backend discount of its cosine (``example_discount``): without it a text near
  examples of several themes took them all.

Aspect sentiment: when a text matches several themes, each takes the sentiment of the clause
that is most about it ("the food was great but the wait was absurd" splits on "but"); so does
a single theme in a text with a contrast word ("lovely dress, but the refund took ages"). Any
other single theme, or one no clause stands out for, takes the document's sentiment.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from cxloop.errors import InputError
from cxloop.text.features import (
    CONTRAST,
    HASH_TOKEN_PATTERN,
    MAX_CHARS,
    N_HASH_FEATURES,
    clause_split,
    clean_texts,
    list_split,
)
from cxloop.text.logistic import balanced_weights, binary_logistic, sigmoid
from cxloop.text.sentiment import FeatureBlocks, sentiments_from_proba
from cxloop.text.token_hashing import hash_columns, ngram_analyzer
from cxloop.text.types import Sentiment, ThemeDefinition, ThemeMatch

Featurizer = Callable[[Sequence[str]], FeatureBlocks]
SentimentScorer = Callable[[FeatureBlocks], np.ndarray]


@dataclass(frozen=True)
class ZeroShotCalibration:
    """Logistic curve from (nearest-anchor cosine, keyword hit) to a confidence."""

    centre: float
    slope: float
    keyword_bonus: float
    relative_weight: float = 8.0  # how much being the text's best theme adds (logit units)
    #: Subtracted from a text's cosine to a theme's *examples* (not to its name, description
    #: or keywords). Examples are whole customer sentences, so any text is closer to some
    #: example than to a keyword; undiscounted, ten examples per theme made the fast backend
    #: select ~6 themes per single-theme bank query and the embedding backend ~2.
    example_discount: float = 0.0


#: What a counter-example's veto leaves of a confidence: below the threshold (0.5) even for
#: a theme at full confidence.
COUNTER_VETO = 0.4
#: A list item ("Great staff, awful website") gives its theme its own sentiment only when it
#: says something clear: a non-neutral label at this confidence or more. Bare items
#: ("the battery life, the screen") read as neutral, and taking them lowered aspect accuracy
#: on laptop reviews (text-models.md).
LIST_ITEM_CONFIDENCE = 0.6


def taxonomy_key(taxonomy: Sequence[ThemeDefinition]) -> str:
    """A stable hash of everything the classifier learns from, for caching fitted models."""
    digest = hashlib.sha256()
    for theme in taxonomy:
        parts = (theme.name, theme.description, *theme.keywords, "|", *theme.examples, "#")
        if theme.counter_examples:  # keys of taxonomies without any stay as they were
            parts += ("!", *theme.counter_examples, "#")
        for part in parts:
            digest.update(part.encode("utf-8", "replace") + b"\x00")
    return digest.hexdigest()


def _readable(name: str) -> str:
    return name.replace("_", " ").replace("/", " / ").strip()


_LIST_SEPARATOR = re.compile(r"[,;:/()]|\s(?:or|and|and/or|as well as)\s", re.IGNORECASE)
_LEADING_CONJUNCTION = re.compile(r"^(?:and|or)\s+", re.IGNORECASE)


def description_parts(description: str) -> list[str]:
    """The items a description lists, each an anchor of its own.

    "orders arriving late, lost or damaged" names three things a customer may write about; as
    one anchor its vector is the average of them, and a text about just one of them sits far
    from it. Parts with no word of three letters or more are dropped. Measured on BANKING77
    training queries as 11 CX themes: zero-shot macro-F1 0.622 -> 0.651 (`embedding`) and
    0.462 -> 0.470 (`fast`), with 10 examples 0.802 -> 0.811 and 0.684 -> 0.697; SemEval
    zero-shot detection +0.011 / +0.034.
    """
    parts = [
        _LEADING_CONJUNCTION.sub("", " ".join(p.split()))
        for p in _LIST_SEPARATOR.split(description)
    ]
    wanted = [p for p in parts if re.search(r"[^\W\d_]{3}", p)]
    return wanted if len(wanted) > 1 else []


def _keyword_variants(keyword: str) -> set[str]:
    word = " ".join(keyword.lower().split())
    variants = {word, word + "s", word + "es"}
    if word.endswith("s") and len(word) > 3:
        variants.add(word[:-1])
    if word.endswith("ies"):
        variants.add(word[:-3] + "y")
    if word.endswith("y"):
        variants.add(word[:-1] + "ies")
    return variants


class ThemeClassifier:
    """Fit on a taxonomy, then score texts against it (scikit-learn estimator style)."""

    def __init__(
        self,
        featurize: Featurizer,
        calibration: ZeroShotCalibration,
        *,
        min_examples: int = 2,
        threshold: float = 0.5,
        max_themes: int = 3,
        example_prior: float = 10.0,
        C: float = 30.0,
        taught_second_ratio: float = 0.8,
        second_floor: float = 0.8,
    ) -> None:
        self.featurize = featurize
        self.calibration = calibration
        self.min_examples = min_examples
        self.threshold = threshold
        self.max_themes = max_themes
        self.example_prior = example_prior
        self.C = C
        self.taught_second_ratio = taught_second_ratio
        self.second_floor = second_floor

    # ---------------------------------------------------------------- fitting
    def fit(self, taxonomy: Sequence[ThemeDefinition]) -> ThemeClassifier:
        if not taxonomy:
            raise InputError("the theme taxonomy is empty", hint="import a taxonomy first")
        names = [t.name for t in taxonomy]
        if len(set(names)) != len(names):
            raise InputError("theme names must be unique within a taxonomy")
        self.themes_ = list(taxonomy)
        anchors: list[str] = []
        owners: list[int] = []
        for index, theme in enumerate(taxonomy):
            readable = _readable(theme.name)
            parts = [readable, *theme.keywords]
            if theme.description:
                parts += [theme.description, f"{readable}: {theme.description}"]
                parts += [p for p in description_parts(theme.description) if p not in parts]
            anchors += parts
            owners += [index] * len(parts)
        example_owners = [i for i, t in enumerate(taxonomy) for _ in t.examples]
        examples = [e for t in taxonomy for e in t.examples]
        vectors = self.featurize(anchors + examples).for_themes
        self.anchor_owner_ = np.array(owners + example_owners)
        self.anchor_discount_ = np.array(
            [0.0] * len(owners) + [self.calibration.example_discount] * len(example_owners),
            dtype=np.float32,
        )
        self.anchor_vectors_ = vectors
        self.has_examples_ = np.array([bool(t.examples) for t in taxonomy])
        counters = [c for t in taxonomy for c in t.counter_examples]
        self.counter_owner_ = np.array(
            [i for i, t in enumerate(taxonomy) for _ in t.counter_examples], dtype=np.int64
        )
        self.counter_vectors_ = (  # an array even when empty: the fitted state is cached
            self.featurize(counters).for_themes
            if counters
            else np.zeros((0, vectors.shape[1]), dtype=vectors.dtype)
        )
        self._fit_keywords(taxonomy)
        self._fit_examples(taxonomy, anchors, owners)
        return self

    def _fit_keywords(self, taxonomy: Sequence[ThemeDefinition]) -> None:
        """Keyword (and plural) hits are read from the hashed n-gram columns of the text, so
        matching keywords costs no extra pass over the text."""
        analyzer = ngram_analyzer(HASH_TOKEN_PATTERN)
        rows, cols = [], []
        for index, theme in enumerate(taxonomy):
            terms = set()
            for keyword in (*theme.keywords, _readable(theme.name)):
                if 0 < len(keyword.split()) <= 2 and len(keyword) > 2:
                    terms |= _keyword_variants(keyword)
            for term in sorted(terms):
                tokens = analyzer(term)
                if not tokens or len(tokens[-1].split()) != len(term.split()):
                    continue  # the term does not survive tokenisation as one n-gram
                rows.append(int(hash_columns([tokens[-1]], N_HASH_FEATURES)[0]))
                cols.append(index)
        columns = sorted(set(rows))
        position = {c: i for i, c in enumerate(columns)}
        self.keyword_columns_ = np.array(columns, dtype=np.int64)
        self.keyword_map_ = sparse.csr_matrix(
            (np.ones(len(rows), np.float32), ([position[r] for r in rows], cols)),
            shape=(max(len(columns), 1), len(taxonomy)),
        )

    def _fit_examples(
        self, taxonomy: Sequence[ThemeDefinition], anchors: list[str], owners: list[int]
    ) -> None:
        self.example_models_: dict[int, tuple[np.ndarray, float, float]] = {}
        taught = [i for i, t in enumerate(taxonomy) if len(t.examples) >= self.min_examples]
        if not taught:
            return
        text_themes: dict[str, set[int]] = {}
        for index, theme in enumerate(taxonomy):
            for example in theme.examples:
                text_themes.setdefault(example, set()).add(index)
        for anchor, owner in zip(anchors, owners, strict=True):
            if owner in taught:
                text_themes.setdefault(anchor, set()).add(owner)
        texts = list(text_themes)
        design = self._design(self.featurize(clean_texts(texts)))
        others: sparse.csr_matrix | None = None
        for index in taught:
            y = np.array([index in text_themes[t] for t in texts], dtype=int)
            rows = design
            if y.min() == y.max():
                # The only theme with examples: contrast them with the other themes' names,
                # descriptions and keywords. Without negatives there was no model at all, so
                # eight examples of "the plinth wobbles" did not find "my plinth wobbles".
                if others is None:
                    untaught = [a for a, o in zip(anchors, owners, strict=True) if o not in taught]
                    others = self._design(self.featurize(clean_texts(untaught)))
                if y.min() == 0 or others.shape[0] == 0:
                    continue
                rows = sparse.vstack([design, others], format="csr")
                y = np.concatenate([y, np.zeros(others.shape[0], dtype=int)])
            coef, intercept = binary_logistic(rows, y, self.C, balanced_weights(y))
            n_examples = len(taxonomy[index].examples)
            weight = n_examples / (n_examples + self.example_prior)
            self.example_models_[index] = (coef.astype(np.float32), intercept, weight)

    @staticmethod
    def _design(blocks: FeatureBlocks) -> sparse.csr_matrix:
        return sparse.hstack(
            [blocks.hashed_for_themes, sparse.csr_matrix(blocks.for_themes)],
            format="csr",
            dtype=np.float32,
        )

    # ---------------------------------------------------------------- scoring
    def keyword_hits(self, blocks: FeatureBlocks) -> np.ndarray:
        """(n, T) 0/1: does the text hold one of the theme's keywords (or its name)?"""
        n = blocks.hashed_for_themes.shape[0]
        if not len(self.keyword_columns_):
            return np.zeros((n, len(self.themes_)), dtype=np.float32)
        present = (blocks.hashed_for_themes[:, self.keyword_columns_] > 0).astype(np.float32)
        hits = present @ self.keyword_map_
        return np.minimum(np.asarray(hits.todense(), dtype=np.float32), 1.0)

    def confidences(
        self, texts: Sequence[str], blocks: FeatureBlocks, keyword_hit: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, T) confidence that each text is about each theme (``keyword_hit``: the
        :meth:`keyword_hits` of ``blocks`` when the caller has them already)."""
        n, n_themes = len(texts), len(self.themes_)
        if n == 0:
            return np.zeros((0, n_themes), dtype=np.float32)
        cosine = blocks.for_themes @ self.anchor_vectors_.T
        nearest = np.full((n, n_themes), -1.0, dtype=np.float32)
        raw = nearest.copy()  # without the example discount
        is_example = self.anchor_discount_ > 0
        for index in range(n_themes):
            owned = self.anchor_owner_ == index
            label = cosine[:, owned & ~is_example].max(axis=1, initial=-1.0)
            nearest[:, index] = raw[:, index] = label
            if (owned & is_example).any():
                example = cosine[:, owned & is_example].max(axis=1)
                raw[:, index] = np.maximum(label, example)
                example -= self.anchor_discount_[owned & is_example][0]
                nearest[:, index] = np.maximum(label, example)
        if keyword_hit is None:
            keyword_hit = self.keyword_hits(blocks)
        cal = self.calibration
        # Being the text's best theme is judged on undiscounted similarity, so the nearest
        # example still ranks the themes (1-NN) while the discount only lowers confidence.
        relative = raw - raw.max(axis=1, keepdims=True)
        logits = (
            cal.slope * (nearest - cal.centre)
            + cal.keyword_bonus * keyword_hit
            + cal.relative_weight * relative
        )
        conf = sigmoid(logits)
        if self.example_models_:
            design = self._design(blocks)
            for index, (coef, intercept, weight) in self.example_models_.items():
                learned = sigmoid(np.asarray(design @ coef).ravel() + intercept)
                conf[:, index] = weight * learned + (1 - weight) * conf[:, index]
        if len(self.counter_owner_):
            self._veto(conf, blocks.for_themes @ self.counter_vectors_.T, raw)
        conf[~blocks.known] = 0.0
        return conf.astype(np.float32)

    def _veto(self, conf: np.ndarray, counter_cosine: np.ndarray, raw: np.ndarray) -> None:
        """Lower (in place) a theme's confidence for texts nearer one of its counter-examples
        than to anything that defines it (name, description, keywords, examples): a person
        said a text like this is not about the theme. A 1-nearest-neighbour rule between
        what the theme is and what it is not, so texts far from every counter-example keep
        their confidence. Counter-examples are customer sentences like examples, so their
        cosine gets the same ``example_discount``: undiscounted, any text was nearer some
        counter-example than to a theme's short name and keywords, and five corrections per
        theme cut recall from 0.67 to 0.56 (`fast`, 11 CX themes, BANKING77 training
        queries; docs/text-models.md)."""
        discount = self.calibration.example_discount
        for index in np.unique(self.counter_owner_):
            nearest_counter = counter_cosine[:, self.counter_owner_ == index].max(axis=1)
            vetoed = nearest_counter - discount > raw[:, index]
            conf[vetoed, index] *= COUNTER_VETO

    def select(
        self, conf: np.ndarray, keyword_hit: np.ndarray | None = None
    ) -> list[list[tuple[int, float]]]:
        """Themes at or above the threshold, best first, at most ``max_themes``.

        The best theme joins at the threshold. Any other joins only with more evidence:

        * A theme taught with examples needs at least ``taught_second_ratio`` of the best
          theme's confidence. Example models fitted on ten sentences are confident about
          neighbouring themes too, so single-issue complaints got about 1.4 themes each.
          Chosen on BANKING77 training queries as 11 CX themes with 10 examples each (with
          ``example_prior`` 10): macro-F1 0.771 -> 0.802 (`embedding`) and 0.651 -> 0.684
          (`fast`); 0.9 gained 0.002-0.009 more there but cost SemEval multi-aspect
          detection 0.008-0.011, 0.8 moves it +0.003 / -0.005.
        * A theme known from its name, description and keywords alone needs one of its
          keywords in the text (``keyword_hit``, from :meth:`keyword_hits`) or a confidence
          of at least ``second_floor``. Similarity alone put a second theme on 43 % of
          single-issue bank queries (`embedding`; 49 % `fast`); a second aspect a customer
          really raises is nearly always named. Chosen on BANKING77 training queries as 11
          CX themes, zero-shot, from {0.5 (none), 0.7, 0.8, 0.9}: macro-F1 0.631 -> 0.646
          (`embedding`) and 0.539 -> 0.579 (`fast`), SemEval zero-shot detection -0.004 /
          -0.006 micro-F1. Without ``keyword_hit`` no theme counts as named.
        """
        order = np.argsort(-conf, axis=1)[:, : self.max_themes]
        held_back = self.has_examples_
        named = np.zeros(conf.shape, dtype=bool) if keyword_hit is None else keyword_hit > 0
        out = []
        for row, idx, hit in zip(conf, order, named, strict=True):
            floor = self.taught_second_ratio * row[idx[0]] if len(idx) else 0.0
            out.append(
                [
                    (int(i), float(row[i]))
                    for rank, i in enumerate(idx)
                    if row[i] >= self.threshold
                    and (
                        rank == 0
                        or (
                            row[i] >= floor
                            if held_back[i]
                            else hit[i] or row[i] >= self.second_floor
                        )
                    )
                ]
            )
        return out

    def predict(
        self,
        texts: Sequence[str],
        blocks: FeatureBlocks,
        doc_sentiment: Sequence[Sentiment],
        sentiment_scorer: SentimentScorer,
    ) -> list[list[ThemeMatch]]:
        """Theme matches with aspect sentiment for cleaned ``texts`` and their features."""
        keyword_hit = self.keyword_hits(blocks)
        conf = self.confidences(texts, blocks, keyword_hit)
        chosen = self.select(conf, keyword_hit)
        aspect = self.aspect_sentiments(texts, chosen, sentiment_scorer)
        results = []
        for i, picks in enumerate(chosen):
            results.append(
                [
                    ThemeMatch(
                        self.themes_[t].name,
                        round(c, 4),
                        aspect.get((i, t), doc_sentiment[i]),
                    )
                    for t, c in picks
                ]
            )
        return results

    def aspect_sentiments(
        self,
        texts: Sequence[str],
        chosen: list[list[tuple[int, float]]],
        sentiment_scorer: SentimentScorer,
    ) -> dict[tuple[int, int], Sentiment]:
        """Sentiment of the clause most about each chosen theme, for multi-clause texts with
        several themes or with a contrast word (a lone theme after "but" is not what the
        document as a whole says; without a contrast it is, and the pass is saved).

        ``chosen[i]`` lists (theme index, confidence) pairs for text i — the matches, or gold
        aspects in an evaluation. Pairs missing from the answer take the document sentiment.
        """
        owners, clauses = [], []
        listed: set[int] = set()
        for i, picks in enumerate(chosen):
            if not picks or (len(picks) == 1 and not CONTRAST.search(texts[i] or "")):
                continue  # one aspect and no "but": the document's sentiment (saves a pass)
            parts = clause_split((texts[i] or "")[:MAX_CHARS])
            if len(parts) == 1 and len(picks) > 1:
                parts = list_split(parts[0])
                listed.add(i)
            if len(parts) > 1:
                owners += [i] * len(parts)
                clauses += parts
        if not clauses:
            return {}
        blocks = self.featurize(clauses)
        clause_conf = self.confidences(clauses, blocks)
        clause_sent = sentiments_from_proba(sentiment_scorer(blocks))
        owner_arr = np.array(owners)
        out: dict[tuple[int, int], Sentiment] = {}
        for i in np.unique(owner_arr):
            rows = np.flatnonzero(owner_arr == i)
            for t, _ in chosen[i]:
                scores = clause_conf[rows, t]
                best = int(np.argmax(scores))
                ranked = np.sort(scores)
                if len(rows) > 1 and ranked[-1] - ranked[-2] < 0.05:
                    continue  # no clause stands out: the document sentiment applies
                found = clause_sent[rows[best]]
                if int(i) in listed and (
                    found.label == "neutral" or found.confidence < LIST_ITEM_CONFIDENCE
                ):
                    continue  # a bare list item ("the battery life") says less than the whole
                out[(int(i), t)] = found
        return out
