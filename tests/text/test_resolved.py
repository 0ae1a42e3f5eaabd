"""A problem said to be solved is good news (weights 2026.11.5, ``cxloop.text.resolved``).

"My issue was resolved" and "got my refund within 3 days" were read as complaints by both
backends (P(negative) up to 0.96). The sentiment heads now read such phrases as good news
("very satisfied" since weights 2026.11.6, "all good" before), while themes keep reading the
words as written. Whole answers that only approve ("Everything was fine") read the same way
(2026.11.6): the embedding backend had read that one as negative. Behaviour checks on the
cases the rules exist for, not accuracy figures (those are in docs/accuracy.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from cxloop.text.features import GOOD_NEWS, clean_texts
from cxloop.text.resolved import (
    replace_rows,
    resolved_as_good,
    sentiment_view,
)
from cxloop.text.sentiment import FeatureBlocks
from cxloop.text.taxonomy import default_taxonomy

SOLVED = [
    "Refund came through quickly",
    "Got my refund within 3 days",
    "My refund was processed the same day",
    "Problem solved on the first call",
    "The agent sorted it out in minutes",
    "They fixed the problem",
    "It's fixed now, thanks",
    "Sarah resolved my complaint straight away",
    "Customer service was helpful and fixed my booking",
    "the technician repaired our dishwasher",
    "The technician showed up on time and fixed the router in 10 minutes",
]
#: Doubted, denied, asked, wished for, hard won, or not about a solved problem at all.
NOT_SOLVED = [
    "no one fixed my problem",
    "The problem was not resolved",
    "nothing was resolved",
    "Is my issue resolved?",
    "has it been fixed yet",
    "They said it was fixed but it still crashes",
    "I was told everything had been resolved",
    "My payment has been declined, I thought this issue was fixed!",
    "that might have solved the problem",
    "I need it fixed",
    "trying to get it sorted",
    "I still haven't received my refund",
    "never got my refund",
    "my refund hasn't come through",
    "didn't get my money back",
    "when will my refund come through",
    "Finally got my refund after six weeks",
    "issue resolved after chasing them for a month",
    "Fixed price menu was great",
    "I got my money's worth",
    "got credit card charged twice",
    "nobody fixed my booking",
    "they still haven't fixed my account",
    "can you fix my booking?",
    "they fixed the price at 50 dollars",
    "nobody fixed the router",
    "Then I've fixed the DC jack myself",
    "we repaired our fence",
]


@pytest.fixture(scope="module")
def backend(each_backend):
    return each_backend


@pytest.mark.parametrize("text", SOLVED)
def test_a_solved_problem_reads_as_good_news(text):
    assert GOOD_NEWS in resolved_as_good(clean_texts([text]))[0]


@pytest.mark.parametrize("text", NOT_SOLVED)
def test_doubts_denials_questions_and_hard_won_fixes_are_left_as_written(text):
    cleaned = clean_texts([text])
    assert resolved_as_good(cleaned) == cleaned


def test_only_the_phrase_is_rewritten_and_unchanged_texts_are_the_same_object():
    cleaned = clean_texts(["Delivery was late but the refund came through the same day", "ok"])
    read, changed = sentiment_view(cleaned)
    assert read[0] == "Delivery was late but very satisfied the same day"
    assert changed == [0]
    assert read[1] is cleaned[1]


def test_replace_rows_swaps_exactly_the_named_rows():
    matrix = sparse.csr_matrix(np.arange(12, dtype=np.float32).reshape(4, 3))
    new = sparse.csr_matrix(np.full((2, 3), -1.0, dtype=np.float32))
    out = replace_rows(matrix, [3, 1], new).toarray()
    expected = matrix.toarray()
    expected[[3, 1]] = -1.0
    assert np.array_equal(out, expected)


def test_a_solved_problem_is_not_a_complaint_and_keeps_its_theme(backend):
    results = backend.sentiment(SOLVED)
    assert [r.label for r in results].count("negative") == 0, results
    assert sum(r.label == "positive" for r in results) >= len(SOLVED) - 1, results
    refund_texts = SOLVED[:3]
    for matches in backend.themes(refund_texts, default_taxonomy()):
        refunds = [m for m in matches if m.name == "Billing and refunds"]
        assert refunds, matches  # themes still read "refund"
        assert refunds[0].sentiment.label != "negative"


def test_denied_fixes_stay_complaints(backend):
    texts = ["no one fixed my problem", "my refund hasn't come through", "never got my refund"]
    assert [r.label for r in backend.sentiment(texts)] == ["negative"] * 3


def test_theme_blocks_survive_stacking_and_subsets(backend):
    """Batches with and without rewritten rows stack into one block whose theme view is the
    text as written (``FeatureBlocks.stack``, used by training and adapting)."""
    featurize = backend.featurize  # type: ignore[attr-defined]
    solved, plain = featurize(["My issue was resolved"]), featurize(["my card is broken"])
    assert solved.theme_hashed is not None and plain.theme_hashed is None
    both = FeatureBlocks.stack([solved, plain])
    alone = featurize(["My issue was resolved", "my card is broken"])
    assert np.allclose(both.for_themes, alone.for_themes, atol=1e-5)
    assert (both.hashed_for_themes != alone.hashed_for_themes).nnz == 0
    assert (both.hashed != alone.hashed).nnz == 0
    assert (both.hashed != both.hashed_for_themes).nnz > 0  # sentiment reads GOOD_NEWS
    first = both.subset(np.array([0]))
    assert (first.hashed_for_themes != solved.hashed_for_themes).nnz == 0
