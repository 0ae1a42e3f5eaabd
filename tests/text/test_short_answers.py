"""Short survey answers and few-word verdicts read as meant (weights 2026.11.6,
``cxloop.text.short_answers``).

Found by scoring short answers by hand: "Everything was fine" and "Checkout was fine" read as
complaints, "All good" as neutral, "Not the best" and "Never again" as praise, "1 star" as
neutral. Behaviour checks on the cases the rules exist for, and on cases that must stay as
written; accuracy figures are in docs/accuracy.md.
"""

from __future__ import annotations

import pytest

from cxloop.text.features import GOOD_NEWS, clean_texts
from cxloop.text.pipeline import TextEngine, TextItem
from cxloop.text.short_answers import BAD_NEWS, MILD_BAD_NEWS, short_answers_as_meant


@pytest.fixture(scope="module")
def backend(each_backend):
    return each_backend


def read(text: str) -> str:
    return short_answers_as_meant(clean_texts([text]))[0]


APPROVALS = [
    "All good",
    "all good thanks",
    "Everything was fine.",
    "All fine, thanks",
    "All ok",
    "everything went smoothly",
    "So far so good",
    "It was great",
    "Everything was perfect, thank you 👍",
    "All in all, it was good",
]
LUKEWARM = ["Fine", "It was ok", "it was fine", "Service was average.", "just okay"]
#: Asked, negated, or more than an approval: left to the models as written.
NOT_APPROVALS = [
    "ok",
    "Everything was fine?",
    "Everything was fine until it broke",
    "Everything was not fine",
    "all good until the bill came",
    "Good luck getting a refund",
    "Great, another delay",
]


@pytest.mark.parametrize("text", APPROVALS)
def test_a_whole_answer_that_approves_reads_as_good_news(text):
    assert short_answers_as_meant(clean_texts([text])) == [GOOD_NEWS]


@pytest.mark.parametrize("text", LUKEWARM)
def test_a_lukewarm_whole_answer_reads_ok(text):
    assert short_answers_as_meant(clean_texts([text])) == ["ok"]


@pytest.mark.parametrize("text", NOT_APPROVALS)
def test_asked_negated_or_longer_answers_are_left_as_written(text):
    cleaned = clean_texts([text])
    assert short_answers_as_meant(cleaned)[0] is cleaned[0]


def test_approvals_read_positive(backend):
    """Before 2026.11.6 the embedding backend read "Everything was fine" as negative (0.73)
    and "All good" as neutral, so such answers could open a case; it read "It was ok" as
    negative (0.62)."""
    results = backend.sentiment(APPROVALS)
    assert [r.label for r in results] == ["positive"] * len(APPROVALS), results
    lukewarm = backend.sentiment(LUKEWARM)
    assert [r.label for r in lukewarm] == ["neutral"] * len(LUKEWARM), lukewarm


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("Delivery was fine", "ok"),
        ("The staff were ok, but the room was dirty", "ok, but the room was dirty"),
        ("Great food. Service was ok.", "Great food. ok."),
        ("the delivery guy was fine and friendly", "ok and friendly"),
    ],
)
def test_a_clause_that_calls_one_thing_fine_reads_ok(text, read):
    assert short_answers_as_meant(clean_texts([text])) == [read]


@pytest.mark.parametrize(
    "text",
    [
        "nothing was fine",
        "The delivery was not fine",
        "Everything was fine until it broke",
        "We had a fine dinner",
        "The fine was unfair",
        "I think it was ok I guess",
    ],
)
def test_denied_or_unfinished_fine_clauses_are_left_as_written(text):
    cleaned = clean_texts([text])
    assert short_answers_as_meant(cleaned)[0] is cleaned[0]


def test_fine_is_not_a_complaint_and_the_rest_of_the_text_still_counts(backend):
    """Before 2026.11.6 the embedding backend read "Checkout was fine" as negative (0.77)."""
    fine = ["Delivery was fine", "Checkout was fine", "The app works fine", "The staff were ok"]
    assert [r.label for r in backend.sentiment(fine)] == ["neutral"] * len(fine)
    mixed = backend.sentiment(["The staff were ok, but the room was dirty"])[0]
    assert mixed.label == "negative", mixed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Not great", BAD_NEWS),
        ("Not the best", BAD_NEWS),
        ("The staff were not very helpful", f"The staff were {BAD_NEWS}"),
        ("It wasn't worth the money", f"It was {BAD_NEWS}"),
        ("Would not recommend", BAD_NEWS),
        ("won't be back", BAD_NEWS),
        ("Never again!", f"{BAD_NEWS}!"),
        ("Could be better", MILD_BAD_NEWS),
        ("Needs improvement", MILD_BAD_NEWS),
        ("Room for improvement.", f"{MILD_BAD_NEWS}."),
        ("10/10 would recommend", f"{GOOD_NEWS} would recommend"),
        ("1 star", BAD_NEWS),
        ("4 out of 5", GOOD_NEWS),
        ("7/10", "ok"),
        ("As expected", "ok"),
    ],
)
def test_few_word_verdicts_read_as_meant(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "one of the best if not the best",
        "I wouldn't hesitate to recommend",
        "Not only good food but great service",
        "I'm not sure it was good",
        "couldn't be happier",
        "Could not be better",
        "Staff should be better trained",
        "delivered on 2/5",
        "arrived 2/5/2024",
        "24/7 support was great",
        "a 5 star hotel with dirty rooms",
        "the only reason I didn't give it 5 stars is the zip",
        "Page 2/5 of the form crashed",
    ],
)
def test_praise_dates_and_reported_ratings_are_left_as_written(text):
    cleaned = clean_texts([text])
    assert short_answers_as_meant(cleaned)[0] is cleaned[0]


def test_few_word_verdicts_read_as_their_polarity(backend):
    """Before 2026.11.6: "Not the best" positive in both backends, "Never again" positive and
    "Would not recommend" neutral in embedding, "1 star" neutral in both, "10/10" neutral (no
    word) in embedding."""
    negative = ["Not great", "Not the best", "Would not recommend", "Never again", "1 star"]
    mild = ["Could be better", "Needs improvement"]
    positive = ["10/10", "5 stars"]
    results = backend.sentiment(negative + mild + positive)
    labels = [r.label for r in results]
    assert labels == ["negative"] * 7 + ["positive"] * 2, results
    strongest = min(r.score for r in results[:5])
    assert all(r.score > strongest + 0.05 for r in results[5:7]), results  # mild: weaker


PROBLEM_ANSWERS = [
    "Long wait",
    "Long wait times",
    "Really long queues at checkout",
    "Late delivery",
    "No follow up",
    "Hard to reach anyone",
    "Dirty room",
    "Small portions",
    "Cold food",
    "Confusing website.",
]
#: Praise, features, questions, contrasts and absent problems: left to the models.
NOT_PROBLEM_ANSWERS = [
    "Long lasting battery",
    "Late night opening hours",
    "Expensive but worth it",
    "Small shop, friendly staff",
    "Cold drinks",
    "No wait",
    "No queue at all",
    "Long wait?",
    "High quality",
    "Slow and steady wins the race",
    "Rude staff",  # read right as written: not rewritten
]


@pytest.mark.parametrize("text", PROBLEM_ANSWERS)
def test_a_whole_answer_naming_a_problem_reads_as_a_mild_complaint(text):
    assert read(text) == MILD_BAD_NEWS


@pytest.mark.parametrize("text", NOT_PROBLEM_ANSWERS)
def test_praise_features_questions_and_contrasts_are_left_as_written(text):
    assert read(text) == clean_texts([text])[0]


def test_waiting_answers_read_negative(backend):
    """Before: "Long wait" and "Long queues" read positive (`fast` 0.63; "can't wait" had
    taught the models that "wait" is eager), "Late delivery" and "No follow up" neutral."""
    texts = ["Long wait", "Long queues", "Late delivery", "No follow up", "Wait time was long"]
    results = backend.sentiment(texts)
    assert [r.label for r in results] == ["negative"] * len(texts), results


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I can't wait to try it!", "I excited to try it!"),
        ("Worth the wait.", "excited."),
        ("cannot wait any longer for my refund", "cannot wait any longer for my refund"),
        ("Long wait", MILD_BAD_NEWS),
    ],
)
def test_eager_idioms_do_not_teach_that_waiting_is_praise(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize(
    "text", ["Price", "Delivery", "The staff", "Customer service", "Price and quality", "Prices."]
)
def test_a_whole_answer_that_only_names_a_topic_reads_ok(text):
    assert read(text) == "ok"


@pytest.mark.parametrize("text", ["Great price", "Price?", "The price was too high"])
def test_a_topic_with_a_verdict_or_a_question_is_left_as_written(text):
    assert read(text) == clean_texts([text])[0]


def test_topic_answers_read_neutral_and_keep_their_theme(backend):
    """Before: `fast` read "Price" as praise (0.77)."""
    [price] = TextEngine(backend).analyze([TextItem(text="Price")])
    assert price.sentiment.label == "neutral"
    assert [m.name for m in price.themes][:1] == ["Price and value"]


SARCASM = [
    "Thanks for losing my bag",
    "thanks @united for losing my luggage again",
    "Love being on hold for two hours",
    "Thanks for nothing",
    "Thanks for the 3 hour delay",
    "Nice job overbooking the flight again",
    "So much for on-time departures",
]
#: Thanks for a fix, for speed, or for a wait that was worth it; praise of "wait staff".
NOT_SARCASM = [
    "Thanks for the quick rebooking after the cancellation",
    "Thank you for helping me find my lost bag",
    "Thanks so much for your help",
    "Thanks for cancelling my subscription so quickly",
    "Love the wait staff here",
    "Thanks for the wait, it was worth it",
    "Thanks for waiting with me",
    "Thank you for the update on the delay",
]


@pytest.mark.parametrize("text", SARCASM)
def test_thanks_or_praise_for_a_failure_is_a_complaint(text):
    assert BAD_NEWS in read(text)


@pytest.mark.parametrize("text", NOT_SARCASM)
def test_thanks_for_a_fix_or_for_speed_is_left_as_written(text):
    assert read(text) == clean_texts([text])[0]


def test_sarcastic_thanks_read_negative(backend):
    """Before: "Thanks for nothing" and "Love being on hold for two hours" read positive with
    both backends, "thanks @united for losing my luggage again" positive with embedding."""
    results = backend.sentiment(SARCASM)
    assert [r.label for r in results] == ["negative"] * len(SARCASM), results


COUNTED_WAITS = [
    ("on hold for 2 hours", BAD_NEWS),
    ("I have been on hold for 45 minutes", f"I have been {BAD_NEWS}"),
    ("waited over an hour at the gate", f"{BAD_NEWS} at the gate"),
    ("We waited forever for our food.", f"We {BAD_NEWS} for our food."),
    ("I've been waiting for my card for 3 weeks now!", f"I've been {BAD_NEWS} now!"),
    ("had to wait 2 hours, but it was worth it", f"{BAD_NEWS}, but it was worth it"),
    ("we queued for an hour", f"we {BAD_NEWS}"),
]
NOT_COUNTED_WAITS = [
    "only waited 5 minutes, great service",
    "waited 10 minutes",  # minutes count from 15
    "never waited more than 10 minutes",
    "I only waited an hour",
    "waiting a few days is fine",
    "Do I have to wait 2 days?",
    "stuck in traffic for an hour",
    "The parcel arrived in 2 days",
    "hold on a second",
]


ON_HOLD = [
    ("I have been on hold", f"I have been {BAD_NEWS}"),
    ("still on hold with your support team", f"still {BAD_NEWS} with your support team"),
    ("They kept me on hold and then hung up", f"They kept me {BAD_NEWS} and then hung up"),
    ("I've been on hold since lunch", f"I've been {BAD_NEWS} since lunch"),
]
NOT_ON_HOLD = [
    "I have never been on hold",
    "I haven't been on hold once",
    "have you been on hold?",
    "my order is on hold until I pay",
    "put it on hold please",
]


@pytest.mark.parametrize(("text", "expected"), ON_HOLD)
def test_being_on_hold_is_a_complaint(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize("text", NOT_ON_HOLD)
def test_denied_or_asked_holds_and_orders_on_hold_are_left_as_written(text):
    assert read(text) == clean_texts([text])[0]


def test_being_on_hold_reads_negative(backend):
    """Before 2026.11.10: "I have been on hold" read neutral with fast (+0.17)."""
    texts = [text for text, _ in ON_HOLD]
    results = backend.sentiment(texts)
    assert [r.label for r in results] == ["negative"] * len(texts), results


@pytest.mark.parametrize(("text", "expected"), COUNTED_WAITS)
def test_a_counted_wait_is_a_complaint(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize("text", NOT_COUNTED_WAITS)
def test_short_absent_or_acceptable_waits_are_left_as_written(text):
    assert read(text) == clean_texts([text])[0]


def test_counted_waits_read_negative(backend):
    """Before 2026.11.9: "on hold for 2 hours" neutral with both backends (-0.09 / -0.36),
    "We waited forever for our food" positive (+0.36 / +0.35)."""
    texts = [text for text, _ in COUNTED_WAITS[:5]]
    results = backend.sentiment(texts)
    assert [r.label for r in results] == ["negative"] * len(texts), results
