"""Effort, urgency and churn-risk signals from cue phrases."""

from __future__ import annotations

import pytest

from cxloop.text.signals import detect_signals, words_of


@pytest.mark.parametrize(
    "text",
    [
        "I'm cancelling my subscription",
        "Cancelling. Done.",
        "We will cancel if this happens again",
        "cancelled my membership today",
        "I'm switching to a competitor",
        "moving to another provider next month",
        "Never ordering from you again",
        "I will take my business elsewhere",
        "please close my account",
        "won't be renewing",
    ],
)
def test_churn_risk(text: str) -> None:
    assert "churn_risk" in detect_signals(text)


@pytest.mark.parametrize(
    "text",
    [
        "my flight was cancelled",
        "I want to cancel my order, I ordered the wrong size",
        "they cancelled my delivery slot",
        "great service, thank you",
        "can I change my seat?",
    ],
)
def test_not_churn_risk(text: str) -> None:
    assert "churn_risk" not in detect_signals(text)


@pytest.mark.parametrize(
    "text",
    [
        "I called three times and was transferred twice",
        "had to explain my problem again and again",
        "still waiting for my refund",
        "on hold for 40 minutes",
        "the form is so confusing",
        "I couldn't find the return label anywhere",
    ],
)
def test_effort(text: str) -> None:
    assert "effort" in detect_signals(text)


@pytest.mark.parametrize(
    "text",
    [
        "URGENT: no heating since Monday",
        "I need this fixed today",
        "there are unauthorised charges on my card",
        "the charger caught fire",
        "answer me!!!",
        "I will contact my lawyer",
    ],
)
def test_urgency(text: str) -> None:
    assert "urgency" in detect_signals(text)


def test_nothing_in_plain_praise_or_empty() -> None:
    assert detect_signals("Lovely staff and a nice shop") == []
    assert detect_signals("") == []
    assert detect_signals(None) == []


def test_order_and_precomputed_words_agree() -> None:
    text = "URGENT!!! I'm cancelling, I called five times"
    lower = text.lower()
    assert detect_signals(text) == ["effort", "urgency", "churn_risk"]
    assert detect_signals(text, lower=lower, words=words_of(lower)) == detect_signals(text)


def test_trigger_prefilter_never_hides_a_match() -> None:
    """The cheap word pre-check must pass every text the full pattern matches."""
    from cxloop.text.signals import _PATTERNS

    phrases = [
        "couldn't find the form",
        "could not reach anyone",
        "can't log in",
        "unable to get through",
        "no one answered",
        "no way to change it",
        "back and forth for weeks",
        "run around",
        "right now",
        "right away",
        "needed help before friday",
        "caught fire",
        "identity theft",
        "won't be back",
        "last time i order",
        "done with you",
        "find another bank",
        "better deal with a competitor",
        "going elsewhere",
        "leaving you for good",
        "frustrating!!!",
        "unsubscribe me",
        "injured my hand",
        "fraudulent charge",
    ]
    for text in phrases:
        expected = [name for name, pattern in _PATTERNS.items() if pattern.search(text)]
        assert detect_signals(text) == expected, text
