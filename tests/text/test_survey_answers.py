"""Survey and social answers that read wrongly word by word (weights 2026.11.4).

"No complaints" is praise, "N/A" says nothing, and "@airline my bag never arrived" is the same
complaint as without the handle. Both backends are checked; the embedding one skips without
torch. These are behaviour checks on the cases the rules exist for, not accuracy figures
(those are in docs/accuracy.md).
"""

from __future__ import annotations

import pytest

from cxloop.text.features import clean_texts, non_answers
from cxloop.text.taxonomy import default_taxonomy

NO_PROBLEM = [
    "No complaints",
    "Never had a problem with them",
    "Can't fault them",
    "Not bad at all",
    "no issues at all, delivery was on time",
]
NON_ANSWERS = ["N/A", "n/a.", "None", "nothing", "No comment", "Nothing to add.", "-"]


@pytest.fixture(scope="module")
def backend(each_backend):
    return each_backend


def test_an_absent_problem_is_rewritten_and_the_rest_kept():
    assert clean_texts(["No complaints about the food, but the wait was long"]) == [
        "very satisfied about the food, but the wait was long"
    ]
    assert clean_texts(["I have never had any problems. Can't go wrong!"]) == [
        "I have very satisfied. very satisfied!"
    ]
    # Said with "do" (2026.11.9; read as a complaint, -0.60 with fast, before).
    assert clean_texts(["I don\u2019t have any complaints, it arrived on time"]) == [
        "I very satisfied, it arrived on time"
    ]
    assert clean_texts(["We did not have a single problem"]) == ["We very satisfied"]


@pytest.mark.parametrize(
    "text",
    [
        "no one fixed my problem",
        "No refund issued yet",
        "they can't solve issues",
        "there is no way to report issues",
        "the food was bad",
        "I do not have an account",
        "didn't get any refund",
    ],
)
def test_real_problems_are_left_as_written(text):
    assert clean_texts([text]) == [text]


def test_non_answers_are_whole_answers_only():
    flags = non_answers(clean_texts([*NON_ANSWERS, "nothing works", "none of it arrived", "no"]))
    assert flags.tolist() == [True] * len(NON_ANSWERS) + [False, False, False]


def test_an_absent_problem_is_not_a_complaint(backend):
    """Both backends read them as positive since weights 2026.11.6 (the rewrite target
    "all good" had been neutral to MiniLM)."""
    results = backend.sentiment(NO_PROBLEM)
    assert all(r.label == "positive" for r in results), results


def test_an_answer_that_says_nothing_is_neutral_without_themes(backend):
    results = backend.sentiment(NON_ANSWERS)
    assert all(r.label == "neutral" and r.confidence < 0.4 for r in results), results
    assert backend.themes(NON_ANSWERS, default_taxonomy()) == [[] for _ in NON_ANSWERS]


def test_an_opening_handle_changes_nothing(backend):
    bare, addressed = backend.sentiment(["my bag never arrived", "@united my bag never arrived"])
    assert bare.label == addressed.label == "negative"
    assert addressed.score == pytest.approx(bare.score)


def test_a_wait_said_in_words_is_a_waiting_cue():
    from cxloop.text.features import CX_CUES, cx_cues

    waiting = list(CX_CUES).index("waiting")
    waits = ["Hold time over an hour", "took a week to respond", "queued for half an hour"]
    not_waits = ["Arrived a day early", "I use it twice a day", "a week ago I ordered"]
    counts = cx_cues(waits + not_waits)[:, waiting]
    assert (counts[:3] > 0).all() and (counts[3:] == 0).all(), counts


def test_a_long_wait_is_a_complaint(backend):
    texts = ["Waited over an hour for a reply", "took a week to respond", "It took ages"]
    assert [r.label for r in backend.sentiment(texts)] == ["negative"] * 3


def test_a_why_question_is_a_complaint_and_a_plain_question_is_not(backend):
    """ "Why" asks what went wrong (weights 2026.11.6: a failure cue); "can I" asks for
    information."""
    complaints = [
        "why is there no wifi on this flight",
        "Why hasn't my order shipped yet?",
        "What happened to my booking?",
        "why is the app so slow",
    ]
    questions = ["Can I change my seat?", "do you have any flights to Boston tomorrow morning?"]
    results = backend.sentiment(complaints + questions)
    assert [r.label for r in results] == ["negative"] * 4 + ["neutral"] * 2, results
