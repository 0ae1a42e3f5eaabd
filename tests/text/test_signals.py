"""Effort, urgency and churn-risk signals from cue phrases."""

from __future__ import annotations

import pytest

from cxloop.text.signals import LEAVING_SCORE, detect_signals, leaving_reads_negative, words_of
from cxloop.text.types import Sentiment


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
        "the checkout page keeps crashing, so I bought it elsewhere",
        "I'll order elsewhere next time",
        "please close my account",
        "won't be renewing",
        "I'm switching to another bank.",
        "Going to switch providers after this.",
        "I'm done with you guys. Cancelling today.",
        "I've decided to leave.",
        "I switched to Verizon last week",
        "looking for other providers",
        "this is the last time I order here",
        "My plan renewed without asking. I want to cancel it.",
        "Your fees are a joke. I'm cancelling.",
        "I'm thinking of cancelling.",
        "considering leaving after this",
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
        # found in public reviews, tweets and bank queries before the patterns were narrowed
        "The last time I went we were seated at a table in a corridor",
        "I am leaving for vacation tomorrow",
        "Less than 80 tickets left for the weekender",
        "I leave you alone for 5 minutes",
        "Why switch to vegetarianism?",
        "How do I switch to a different currency?",
        "I switched to the new app and it is great",
        "I want to cancel a transaction.",
        "I need to cancel my recent transfer, I made a mistake",
        "I made a transfer in error and need to cancel it",
        "A transfer has been made in my account that I need to cancel.",
        "My card was stolen, please cancel the card",
        "Go inside and you won't want to leave.",
        "Imagine how many lives could be saved by canceling drone strikes",
        "left you a voicemail yesterday",
        # leaving the mailing list, not the company (before pipe:4 these were churn risk)
        "I have unsubscribed from your emails",
        "unsubscribe me from the newsletter",
        "unsubscribe from all marketing emails",
        "the unsubscribe link does not work",
        # a price comparison or advice, not a purchase made at a rival
        "you can buy it elsewhere for less",
        "I found it cheaper elsewhere but stayed",
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
        "they transferred me to another department",
        "the website is hard to navigate",
        "I've tried it a few times and it still fails",
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
        "please refund me immediately",
        "Fix it now!!!",
        "the app crashes!!! I'm cancelling",
        "the battery overheats",
        "the charger burned my hand",
    ],
)
def test_urgency(text: str) -> None:
    assert "urgency" in detect_signals(text)


@pytest.mark.parametrize(
    ("text", "signal"),
    [  # found in public reviews, tweets and bank queries before the patterns were narrowed
        ("I transferred money but it has not arrived", "effort"),
        ("I have been to Mary's many times and I like it.", "effort"),
        ("I entered a wrong PIN too many times", "effort"),
        ("Hard to tell if this is true", "effort"),
        ("so excited!!!", "urgency"),
        ("Love this!!!", "urgency"),
        ("Appreciating Bob Dylan right now", "urgency"),
        ("you immediately know it can't be true", "urgency"),
        ("I have the burnt orange colour and love it", "urgency"),
        ("The press are too critical of him", "urgency"),
        ("It doesn't overheat or make any loud noises.", "urgency"),
        ("Anti Trump protest sparks riot", "urgency"),
        ("I need to add my new address now that I've moved.", "urgency"),
    ],
)
def test_not_this_signal(text: str, signal: str) -> None:
    assert signal not in detect_signals(text)


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
        "help me right now",
        "send it right away",
        "needed help before friday",
        "caught fire",
        "identity theft",
        "won't be back",
        "this is the last time i order",
        "done with you",
        "find another bank",
        "better deal with a competitor",
        "going elsewhere",
        "ordered them elsewhere",
        "gonna get one elsewhere",
        "i'm leaving you for good",
        "looking for other providers",
        "switching banks",
        "i switched to verizon",
        "frustrating!!!",
        "unsubscribe me",
        "i unsubscribed from the premium plan",
        "injured my hand",
        "fraudulent charge",
        "fix it now",
        "please call me today",
        "the battery overheats",
        "sparks came out of the plug",
        "they transferred me to sales",
        "hard to navigate",
        "je vais résilier",
        "ich kündigte den vertrag",
        "ich habe meinen vertrag gekündigt",
        "me voy a dar de baja",
        "passerò a un'altra compagnia",
        "ik heb het opgezegd",
        "me cambio a otra compañía",
    ]
    for text in phrases:
        expected = [name for name, found in _PATTERNS.items() if found(text)]
        assert expected and detect_signals(text) == expected, text


@pytest.mark.parametrize(
    "text",
    [
        "Le service était horrible, je vais résilier",
        "Je vais changer d'opérateur",
        "Ich habe gestern meinen Vertrag gekündigt",
        "Ich werde den Vertrag kündigen",
        "Me voy a dar de baja",
        "Quiero cancelar mi suscripción",
        "Voglio disdire il contratto",
        "Passerò a un'altra compagnia",
        "Vou cancelar a minha assinatura",
        "Ik ga mijn abonnement opzeggen",
        "Ik stap over naar een andere provider",
    ],
)
def test_churn_risk_in_the_other_detected_languages(text: str) -> None:
    assert "churn_risk" in detect_signals(text)


@pytest.mark.parametrize(
    "text",
    [
        "Je veux annuler ma commande",
        "Ich möchte meine Bestellung stornieren",
        "Quiero cancelar mi pedido",
        "La cancelación de mi vuelo fue un desastre",
        "El precio bajó mucho",
        "Der Kundendienst war freundlich",
    ],
)
def test_orders_cancelled_abroad_are_not_churn(text: str) -> None:
    assert "churn_risk" not in detect_signals(text)


def test_leaving_reads_negative_keeps_questions_and_other_texts() -> None:
    neutral = Sentiment("neutral", -0.1, 0.5)
    turned = leaving_reads_negative(neutral, ["churn_risk"], "I'm switching to another bank.")
    assert turned == Sentiment("negative", LEAVING_SCORE, 0.6)
    angry = Sentiment("negative", -0.9, 0.95)
    assert leaving_reads_negative(angry, ["churn_risk"], "Never again!") is angry
    glad = Sentiment("positive", 0.8, 0.9)
    thanks = "Thanks for cancelling my subscription so quickly"
    assert leaving_reads_negative(glad, ["churn_risk"], thanks) is glad
    assert leaving_reads_negative(neutral, ["churn_risk"], "Can I cancel online? ") is neutral
    assert leaving_reads_negative(neutral, ["effort"], "on hold for an hour") is neutral
