"""Theme discovery: recurring subjects the taxonomy does not cover, found by clustering.

Method (in the spirit of BERTopic, with swappable stages): split feedback into sentences;
represent them with TF-IDF reduced by truncated SVD (latent semantic analysis) or with a
backend's sentence embeddings; cluster a sample with HDBSCAN, which leaves noise unclustered
instead of forcing every sentence into a theme; assign the remaining sentences to the nearest
cluster centre when they are close enough; label each cluster by class-based TF-IDF. A cluster
whose centre is close to an existing theme's definition is covered already and not proposed.
A second, term-seeded pass finds small subjects as words that keep appearing together.
Proposals about the same subject are merged, and the rest are ranked best first by
``proposal_ranking`` (distinctive, coherent, new subjects before stock phrases and loose
mixtures; clusters of opinion words with no subject are set aside).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse
from sklearn.cluster import HDBSCAN
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from cxloop.errors import NotEstimable
from cxloop.text.proposal_ranking import CorpusTerms, keyword_tokens, rank_parts
from cxloop.text.types import ThemeDefinition

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+|\s+(?:but|however|although)\s+", re.IGNORECASE)
_WORD_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z]+\b"
MIN_SENTENCES = 200


def split_sentences(text: str) -> list[str]:
    """Clauses worth clustering on their own (a comment often mixes several subjects)."""
    parts = (p.strip(" ,;:-") for p in _SENTENCE_END.split(text or ""))
    return [p for p in parts if len(p) >= 12 and len(p.split()) >= 3]


@dataclass
class DiscoveryInput:
    """One feedback item: id, text, when, and its document sentiment (None if not enriched)."""

    feedback_id: int
    text: str
    received_at: datetime | None = None
    sentiment: str | None = None


@dataclass
class Proposal:
    label: str
    keywords: list[str]
    size: int  # feedback items
    share: float
    negative_share: float | None
    trend: dict[str, Any]
    examples: list[dict[str, Any]]
    nearest_theme: str | None
    nearest_similarity: float
    signature: str = ""
    rank: dict[str, Any] = field(default_factory=dict)  # score and its parts, see ranking


class _Found(NamedTuple):
    """A subject found by clustering or co-occurrence, before it becomes a proposal."""

    idx: np.ndarray  # its sentences, most representative first
    words: list[str]
    nearest: str | None
    similarity: float
    coherence: float
    novelty: float


@dataclass
class DiscoveryResult:
    proposals: list[Proposal]
    n_feedback: int
    n_sentences: int
    n_clusters: int
    covered_clusters: list[dict[str, Any]] = field(default_factory=list)
    method: str = ""
    #: clusters of opinion words with no subject ("love it", "great service"), not proposed
    generic_clusters: list[dict[str, Any]] = field(default_factory=list)


def _ctfidf_keywords(
    all_docs_by_cluster: list[str], top: int
) -> tuple[list[list[str]], sparse.csr_matrix]:
    """Class-based TF-IDF: the words that make each cluster different from the others.

    Returns the top words per cluster and the c-TF-IDF matrix (clusters x terms)."""
    vec = CountVectorizer(
        stop_words="english", ngram_range=(1, 2), token_pattern=_WORD_PATTERN, min_df=1
    )
    counts = vec.fit_transform(all_docs_by_cluster)
    tf = normalize(counts, norm="l1", axis=1)
    avg_words = counts.sum() / max(counts.shape[0], 1)
    idf = np.log(1.0 + avg_words / np.asarray(counts.sum(axis=0)).ravel().clip(min=1))
    scores = sparse.csr_matrix(tf.multiply(idf))
    terms = np.array(vec.get_feature_names_out())
    out = []
    for i in range(scores.shape[0]):
        row = scores.getrow(i).toarray().ravel()
        order = np.argsort(-row)[: top * 3]
        words: list[str] = []
        for t in terms[order]:
            if row[vec.vocabulary_[t]] <= 0:
                break
            if any(t in w or w in t for w in words):  # skip "late" when "late delivery" is in
                continue
            words.append(str(t))
            if len(words) == top:
                break
        out.append(words)
    return out, scores


def _join_by_shared_words(words_of: list[set[str]], shared: int = 2) -> np.ndarray:
    """Union-find over groups: those sharing ``shared`` top words become one; ids renumbered."""
    parent = list(range(len(words_of)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(words_of)):
        for j in range(i + 1, len(words_of)):
            if len(words_of[i] & words_of[j]) >= shared:
                parent[root(j)] = root(i)
    roots = [root(i) for i in range(len(words_of))]
    renumber = {r: k for k, r in enumerate(dict.fromkeys(roots))}
    return np.array([renumber[r] for r in roots])


def _cluster_docs(
    sentences: Sequence[str], member: np.ndarray, best: np.ndarray, k: int
) -> list[str]:
    """One pseudo-document per cluster (capped, so a huge cluster does not dominate)."""
    return [
        " ".join(sentences[j] for j in np.flatnonzero(member & (best == c))[:3000])
        for c in range(k)
    ]


def _trend(dates: Sequence[datetime | None]) -> dict[str, Any]:
    months: dict[str, int] = {}
    for d in dates:
        if d is not None:
            key = f"{d.year:04d}-{d.month:02d}"
            months[key] = months.get(key, 0) + 1
    series = dict(sorted(months.items()))
    values = list(series.values())
    direction = "not enough history"
    if len(values) >= 6:
        recent, before = sum(values[-3:]), sum(values[-6:-3])
        from scipy.stats import binomtest

        p = binomtest(recent, recent + before, 0.5).pvalue if recent + before else 1.0
        direction = "stable"
        if p < 0.05:
            direction = "rising" if recent > before else "falling"
    return {"by_month": series, "direction": direction}


def discover_themes(
    items: Sequence[DiscoveryInput],
    taxonomy: Sequence[ThemeDefinition],
    *,
    min_size: int | None = None,
    max_sample: int = 12000,
    coverage_threshold: float = 0.35,
    keyword_coverage: float = 0.5,
    merge_similarity: float = 0.35,
    min_coherence: float = 0.6,
    encode: Any = None,
    is_opinion: Callable[[list[str]], np.ndarray] | None = None,
    random_state: int = 0,
) -> DiscoveryResult:
    """Find clusters of similar sentences that no taxonomy theme describes.

    ``min_size`` is the smallest cluster (in sentences) worth proposing; by default 0.3% of
    the sentences (at least 15). ``encode`` (texts -> vectors) replaces TF-IDF/SVD with
    sentence embeddings. Raises NotEstimable for a corpus too small to find anything honest.
    """
    sentences: list[str] = []
    owner: list[int] = []
    for i, item in enumerate(items):
        for s in split_sentences(item.text):
            sentences.append(s)
            owner.append(i)
    if len(sentences) < MIN_SENTENCES:
        raise NotEstimable(
            f"only {len(sentences)} usable sentences in {len(items)} feedback items; discovery "
            f"needs at least {MIN_SENTENCES} to tell a recurring subject from chance",
            hint="widen --since or load more feedback",
        )
    rng = np.random.default_rng(random_state)
    n = len(sentences)
    min_size = min_size or max(15, int(0.003 * n))
    tfidf = TfidfVectorizer(
        stop_words="english",
        token_pattern=_WORD_PATTERN,
        min_df=3,
        max_df=0.3,
        sublinear_tf=True,
        ngram_range=(1, 2),
        max_features=50000,
    )
    X_sparse = tfidf.fit_transform(sentences)
    if encode is not None:
        X = normalize(np.asarray(encode(sentences), dtype=np.float32))
        theme_vecs = (
            normalize(np.asarray(encode([_definition_text(t) for t in taxonomy])))
            if taxonomy
            else None
        )
        method = "sentence embeddings + HDBSCAN + c-TF-IDF"
    else:
        svd = TruncatedSVD(n_components=min(64, X_sparse.shape[1] - 1), random_state=random_state)
        X = normalize(svd.fit_transform(X_sparse).astype(np.float32))
        theme_vecs = (
            normalize(svd.transform(tfidf.transform([_definition_text(t) for t in taxonomy])))
            if taxonomy
            else None
        )
        method = "TF-IDF + SVD (LSA) + HDBSCAN + c-TF-IDF"

    sample = (
        rng.choice(n, size=min(n, max_sample), replace=False) if n > max_sample else np.arange(n)
    )
    scaled_min = max(5, int(min_size * len(sample) / n))
    clusterer = HDBSCAN(min_cluster_size=scaled_min, min_samples=5, metric="euclidean", copy=True)
    sample_labels = clusterer.fit_predict(X[sample])
    cluster_ids = sorted(set(sample_labels) - {-1})
    if not cluster_ids:
        return DiscoveryResult([], len(items), n, 0, method=method)
    centres = normalize(
        np.vstack([X[sample][sample_labels == c].mean(axis=0) for c in cluster_ids])
    )
    # Radius per cluster from its sampled members: a sentence joins only if it is as close.
    sims = X @ centres.T
    best = sims.argmax(axis=1)
    radius = np.array(
        [
            np.quantile((X[sample][sample_labels == c] @ centres[k]), 0.1)
            for k, c in enumerate(cluster_ids)
        ]
    )
    member = sims[np.arange(n), best] >= radius[best]

    # HDBSCAN often splits one subject into several dense phrasings; merge clusters whose
    # centres are alike (average linkage on cosine distance), as BERTopic reduces topics.
    group = np.arange(len(cluster_ids))
    if len(cluster_ids) > 1:
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import squareform

        dense = centres
        dist = np.clip(1.0 - dense @ dense.T, 0.0, 1.0)
        np.fill_diagonal(dist, 0.0)
        tree = linkage(squareform(dist, checks=False), method="average")
        group = fcluster(tree, t=1.0 - merge_similarity, criterion="distance") - 1
    best = group[best]
    # Then join groups described by the same words (two of their top words in common).
    words_of = [
        {w for k in kw[:4] for w in k.split()}
        for kw in _ctfidf_keywords(_cluster_docs(sentences, member, best, int(group.max()) + 1), 6)[
            0
        ]
    ]
    best = _join_by_shared_words(words_of)[best]
    n_groups = int(best.max()) + 1
    centres = normalize(
        np.vstack(
            [
                X[member & (best == g)].mean(axis=0)
                if (member & (best == g)).any()
                else np.zeros(X.shape[1])
                for g in range(n_groups)
            ]
        )
    )
    sims = X @ centres.T
    keywords, _ = _ctfidf_keywords(_cluster_docs(sentences, member, best, n_groups), top=6)
    cluster_ids = list(range(n_groups))

    covered: list[dict[str, Any]] = []
    taken: list[set[int]] = []
    found: list[_Found] = []

    def judge(
        idx: np.ndarray, words: list[str], order: np.ndarray, nearest: str | None, similarity: float
    ) -> None:
        """Propose the group of sentences ``idx`` unless the taxonomy covers it already."""
        if len(idx) < min_size or not words:
            return
        lowered = [sentences[j].lower() for j in idx[:2000]]
        coherence = sum(any(w in t for w in words[:2]) for t in lowered) / len(lowered)
        if coherence < min_coherence:
            return  # a loose cluster of sentences with no common subject
        members = set(idx.tolist())
        if any(len(members & t) >= 0.5 * len(members) for t in taken):
            return  # the same subject, found by the other method
        hit_theme, hit_share = _keyword_coverage([sentences[j] for j in idx[:2000]], taxonomy)
        if hit_share >= keyword_coverage:
            nearest, similarity = hit_theme, max(similarity, hit_share)
        if similarity >= coverage_threshold or hit_share >= keyword_coverage:
            covered.append(
                {"keywords": words, "size": len(idx), "theme": nearest, "similarity": similarity}
            )
            return
        taken.append(members)
        novelty = 1.0 - max(similarity / coverage_threshold, hit_share / keyword_coverage)
        found.append(_Found(idx[order], words, nearest, similarity, coherence, max(novelty, 0.0)))

    for k in range(len(cluster_ids)):
        idx = np.flatnonzero(member & (best == k))
        nearest, similarity = None, 0.0
        if theme_vecs is not None and len(taxonomy):
            sim = theme_vecs @ centres[k]
            j = int(np.argmax(sim))
            nearest, similarity = taxonomy[j].name, float(sim[j])
        judge(idx, keywords[k], np.argsort(-sims[idx, k]), nearest, similarity)
    for words, idx, order in _cooccurrence_topics(sentences, taxonomy, min_size, is_opinion):
        judge(idx, words, order, None, 0.0)
    proposals, generic = _ranked_proposals(
        items, sentences, owner, _merge_duplicates(found), is_opinion
    )
    return DiscoveryResult(
        proposals, len(items), n, len(cluster_ids), covered, method, generic_clusters=generic
    )


def _without_slips(words: list[str], corpus: CorpusTerms) -> list[str]:
    """Keywords without typing slips ("nothnig" next to "nothing"); never empty."""

    def slipped(word: str) -> bool:
        return any(t in corpus.index and corpus.slip[corpus.index[t]] for t in word.split())

    return [w for w in words if not slipped(w)] or words[:1]


def _merge_duplicates(
    found: list[_Found],
    overlap: float = 0.3,
) -> list[_Found]:
    """One proposal per subject: two proposals sharing 30% of the smaller one's sentences, or
    the same two top keywords ("sheets / washes" and "washes / sheets"), become one (the
    sentences of both, the description of the larger)."""
    order = sorted(range(len(found)), key=lambda i: -len(found[i].idx))
    kept: list[_Found] = []
    kept_sets: list[set[int]] = []
    for i in order:
        idx, words = found[i].idx, found[i].words
        members = set(idx.tolist())
        top = set(keyword_tokens(words, top=2))
        for k, (other, other_words, *_) in enumerate(kept):
            same_words = len(top) >= 2 and top == set(keyword_tokens(other_words, top=2))
            if same_words or len(members & kept_sets[k]) >= overlap * min(len(members), len(other)):
                extra = np.array([j for j in idx if j not in kept_sets[k]], dtype=int)
                kept[k] = kept[k]._replace(idx=np.concatenate([other, extra]))
                kept_sets[k] |= members
                break
        else:
            kept.append(found[i])
            kept_sets.append(members)
    return kept


def _ranked_proposals(
    items: Sequence[DiscoveryInput],
    sentences: Sequence[str],
    owner: Sequence[int],
    found: list[_Found],
    is_opinion: Callable[[list[str]], np.ndarray] | None,
) -> tuple[list[Proposal], list[dict[str, Any]]]:
    """Proposals best first (see ``proposal_ranking``); generic opinion clusters set aside."""
    corpus = CorpusTerms.build(sentences, _WORD_PATTERN)
    opinion_of: dict[str, bool] = {}
    if is_opinion is not None and len(corpus.terms):
        opinion_of = dict(
            zip(
                corpus.terms.tolist(),
                np.asarray(is_opinion(list(corpus.terms)), dtype=bool).tolist(),
                strict=True,
            )
        )
        extra = sorted({t for f in found for t in keyword_tokens(f.words, 5)} - set(opinion_of))
        if extra:
            opinion_of.update(
                zip(extra, np.asarray(is_opinion(extra), dtype=bool).tolist(), strict=True)
            )
    proposals: list[Proposal] = []
    generic: list[dict[str, Any]] = []
    for idx, words, nearest, similarity, coherence, novelty in found:
        words = _without_slips(words, corpus)
        proposal = _proposal(items, sentences, owner, idx, words, nearest, similarity)
        parts = rank_parts(
            corpus,
            idx,
            words,
            coherence=coherence,
            novelty=novelty,
            negative_share=proposal.negative_share,
            rising=proposal.trend.get("direction") == "rising",
            opinion=lambda w: opinion_of.get(w, False),
        )
        proposal.rank = parts.as_dict()
        if parts.generic:
            generic.append({"keywords": words, "size": proposal.size, **proposal.rank})
        else:
            proposals.append(proposal)
    proposals.sort(key=lambda p: -p.rank["score"])
    for position, p in enumerate(proposals, start=1):
        p.rank["position"] = position
    return proposals, generic


def _proposal(
    items: Sequence[DiscoveryInput],
    sentences: Sequence[str],
    owner: Sequence[int],
    ordered: np.ndarray,
    words: list[str],
    nearest: str | None,
    similarity: float,
) -> Proposal:
    """A proposal from its sentences, most representative first (they give the examples)."""
    fb = sorted({owner[j] for j in ordered})
    examples: list[dict[str, Any]] = []
    seen: set[int] = set()
    texts: set[str] = set()
    for j in ordered:
        if owner[j] in seen or sentences[j].lower() in texts:
            continue  # five different customers, not one comment five times
        seen.add(owner[j])
        texts.add(sentences[j].lower())
        examples.append({"feedback_id": items[owner[j]].feedback_id, "text": sentences[j]})
        if len(examples) == 5:
            break
    sentiments = [items[i].sentiment for i in fb if items[i].sentiment]
    return Proposal(
        label=" / ".join(words[:2]),
        keywords=words,
        size=len(fb),
        share=len(fb) / len(items),
        negative_share=(sum(s == "negative" for s in sentiments) / len(sentiments))
        if sentiments
        else None,
        trend=_trend([items[i].received_at for i in fb]),
        examples=examples,
        nearest_theme=nearest,
        nearest_similarity=similarity,
        signature=" ".join(sorted(words)),
    )


def _cooccurrence_topics(
    sentences: Sequence[str],
    taxonomy: Sequence[ThemeDefinition],
    min_size: int,
    is_opinion: Callable[[list[str]], np.ndarray] | None,
    *,
    min_jaccard: float = 0.2,
) -> list[tuple[list[str], np.ndarray, np.ndarray]]:
    """Subjects as groups of words that keep appearing together (a term co-occurrence graph).

    Dense clusters miss a small subject phrased many ways: its sentences are not close
    enough in a reduced space. Its words are: "plastic" and "packaging" appear together far
    more often than chance. Words of the taxonomy and opinion words (``is_opinion``: a polar
    word such as "pleased" is not a subject) are left out; components of the graph whose
    edges have a Jaccard index of at least ``min_jaccard`` become candidate subjects; sentences
    that contain none of a subject's words are noise. Returns (words by frequency, sentence
    indices, order of the indices by how many of the words each sentence has).
    """
    if not sentences:
        return []
    n = len(sentences)
    vec = CountVectorizer(
        stop_words="english",
        token_pattern=_WORD_PATTERN,
        binary=True,
        min_df=max(5, min_size // 3),
        max_df=0.05,
    )
    try:
        X = vec.fit_transform(sentences).tocsc()
    except ValueError:  # no term is frequent enough
        return []
    terms = np.array(vec.get_feature_names_out())
    known = {
        w
        for t in taxonomy
        for w in re.findall(r"[a-z]+", " ".join([t.name, t.description, *t.keywords]).lower())
    }
    keep = np.array([t not in known for t in terms])
    if is_opinion is not None and keep.any():
        keep &= ~np.asarray(is_opinion(list(terms)), dtype=bool)
    if keep.sum() < 2:
        return []
    X, terms = X[:, keep], terms[keep]
    df = np.asarray(X.sum(axis=0)).ravel().astype(float)
    co = (X.T @ X).toarray().astype(float)
    jac = co / (df[:, None] + df[None, :] - co)
    np.fill_diagonal(jac, 0.0)
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(sparse.csr_matrix(jac >= min_jaccard), directed=False)
    topics = []
    for c in np.unique(labels):
        cols = np.flatnonzero(labels == c)
        if len(cols) < 2:
            continue
        hits = np.asarray(X[:, cols].sum(axis=1)).ravel()
        idx = np.flatnonzero(hits > 0)
        if len(idx) < min_size or len(idx) > 0.2 * n:
            continue
        words = [str(w) for w in terms[cols][np.argsort(-df[cols])][:6]]
        topics.append((words, idx, np.argsort(-hits[idx], kind="stable")))
    return topics


def _keyword_coverage(
    sentences: Sequence[str], taxonomy: Sequence[ThemeDefinition]
) -> tuple[str | None, float]:
    """The theme whose name or keywords appear in the largest share of the sentences."""
    best: tuple[str | None, float] = (None, 0.0)
    for theme in taxonomy:
        words = [w.lower() for w in (*theme.keywords, theme.name) if w.strip()]
        if not words:
            continue
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")", re.IGNORECASE)
        share = sum(bool(pattern.search(s)) for s in sentences) / max(len(sentences), 1)
        if share > best[1]:
            best = (theme.name, share)
    return best


def _definition_text(theme: ThemeDefinition) -> str:
    return " ".join([theme.name, theme.description, *theme.keywords, *theme.examples])


def theme_overlaps(
    taxonomy: Sequence[ThemeDefinition],
    co_assignment: dict[tuple[str, str], float] | None = None,
    *,
    threshold: float = 0.35,
) -> list[dict[str, Any]]:
    """Pairs of themes whose definitions (or assignments) overlap heavily.

    Definition similarity is the cosine of TF-IDF vectors of name, description, keywords and
    examples; ``co_assignment`` (Jaccard of the feedback sets, from stored results) is used
    when given. A pair is reported when either reaches ``threshold``.
    """
    if len(taxonomy) < 2:
        return []
    texts = [_definition_text(t) for t in taxonomy]
    vec = TfidfVectorizer(stop_words="english", token_pattern=_WORD_PATTERN, sublinear_tf=True)
    M = normalize(vec.fit_transform(texts))
    sim = (M @ M.T).toarray()
    out = []
    for i in range(len(taxonomy)):
        for j in range(i + 1, len(taxonomy)):
            a, b = taxonomy[i].name, taxonomy[j].name
            jac = (co_assignment or {}).get((a, b)) or (co_assignment or {}).get((b, a))
            if sim[i, j] >= threshold or (jac is not None and jac >= threshold):
                out.append(
                    {
                        "theme_a": a,
                        "theme_b": b,
                        "definition_similarity": round(float(sim[i, j]), 3),
                        "co_assignment_jaccard": None if jac is None else round(jac, 3),
                    }
                )
    return sorted(out, key=lambda r: -r["definition_similarity"])
