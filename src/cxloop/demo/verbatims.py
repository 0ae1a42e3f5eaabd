"""Turn the aspects of one piece of feedback into a natural-sounding verbatim.

An *aspect* is ``(theme, polarity, variant)``: a theme name (one of ``DEFAULT_THEMES`` or
``PACKAGING``), a polarity (``positive``, ``negative``, ``neutral``) and an optional planted
variant (``spike``, ``crash``, ``account``) that picks the wording of a planted effect. The
composer joins clauses the way people write ("great quality but the delivery took two weeks"),
adds openers, closers and, sometimes, lower case, typos, emoji and personal data (emails and
phone numbers, so that redaction has something to find). Randomness comes from one
``random.Random`` per chunk, itself seeded from the numpy generator, so a seed gives the same
words every time.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cxloop.demo import lexicon

PACKAGING = "Packaging"

Aspect = tuple[str, str, str | None]

_STANDALONE_I = re.compile(r"\bi\b")
_EMOJI = {
    "positive": ("😊", "👍", "🙌", "❤️", "⭐⭐⭐⭐⭐", ":)"),
    "negative": ("😡", "👎", "😤", "🙄", ":(", "😞"),
    "neutral": ("🤔", "🙂"),
}
_HASHTAGS = {
    "positive": ("#happycustomer", "#homeinspo", "#recommend"),
    "negative": ("#fail", "#customerservice", "#neveragain", "#disappointed"),
    "neutral": ("#question", ""),
}
_PHONE_FORMATS = ("07700 900{n:03d}", "+44 7700 900{n:03d}", "(555) 010-{n:04d}")


@dataclass(frozen=True)
class Verbatim:
    """A composed text, its title (reviews) and the aspects it really expresses."""

    text: str
    title: str | None
    aspects: tuple[Aspect, ...]
    language: str = "en"
    has_pii: bool = False


class _Slots(dict[str, object]):
    """Slot values drawn only when a template asks for them (most clauses use none)."""

    def __init__(self, rnd: random.Random) -> None:
        super().__init__()
        self.rnd = rnd

    def __missing__(self, key: str) -> object:
        rnd = self.rnd
        makers = {
            "product": lambda: rnd.choice(lexicon.PRODUCTS),
            "days": lambda: rnd.choice((4, 5, 6, 8, 9, 10, 12)),
            "weeks": lambda: rnd.choice((2, 3, 4, 5, 6)),
            "amount": lambda: rnd.choice((12, 18, 24, 29, 35, 42, 59, 85, 120)),
            "courier": lambda: rnd.choice(lexicon.COURIERS),
            "hours": lambda: rnd.choice((2, 3, 4)),
            "order": lambda: rnd.choice((3, 7, 12, 15, 21, 28)),
            "app": lambda: rnd.choice(("5.0", "5.0.1", "5.1")),
            "agent": lambda: rnd.choice(lexicon.AGENTS),
            "order_ref": lambda: f"LW{rnd.randint(100000, 999999)}",
        }
        value = makers[key]()
        self[key] = value
        return value


def _slots(rnd: random.Random) -> _Slots:
    return _Slots(rnd)


def clause_for(aspect: Aspect, rnd: random.Random, slots: _Slots) -> str:
    """One clause expressing ``aspect``; planted variants use their own phrasings."""
    theme, polarity, variant = aspect
    if theme == PACKAGING:
        pool: Sequence[str] = lexicon.PACKAGING_CLAUSES
    elif variant == "spike":
        pool = lexicon.SPIKE_CLAUSES
    elif variant == "crash":
        pool = lexicon.CRASH_CLAUSES
    elif variant == "account":
        pool = lexicon.ACCOUNT_CLAUSES
    elif polarity == "neutral":
        pool = lexicon.QUESTIONS[theme]
    elif polarity == "positive":
        pool = lexicon.POSITIVE[theme]
    else:
        pool = lexicon.NEGATIVE[theme]
    return rnd.choice(pool).format_map(slots)


def _sentence(clause: str) -> str:
    clause = clause.strip()
    if not clause:
        return clause
    end = "" if clause[-1] in ".?!" else "."
    return clause[0].upper() + clause[1:] + end


def _join(clauses: list[tuple[str, str]], rnd: random.Random) -> str:
    """Join (clause, polarity) pairs into sentences, contrasting mixed polarities."""
    if len(clauses) == 1:
        return _sentence(clauses[0][0])
    (first, pol1), (second, pol2) = clauses[0], clauses[1]
    joiner = (
        rnd.choice(lexicon.CONTRAST_JOINERS)
        if pol1 != pol2 and "neutral" not in (pol1, pol2)
        else rnd.choice(lexicon.ADDITIVE_JOINERS)
    )
    if first.endswith("?") or second.endswith("?"):
        joined = _sentence(first) + " " + _sentence(second)
    elif joiner.startswith(". "):
        joined = _sentence(first)[:-1] + joiner + second + "."
    else:
        joined = _sentence(first + joiner + second)
    rest = " ".join(_sentence(c) for c, _ in clauses[2:])
    return (joined + " " + rest).strip()


def _typo(text: str, rnd: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rnd.choice(candidates)
    w = words[i]
    j = rnd.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _pii(rnd: random.Random) -> str:
    first = rnd.choice(lexicon.FIRST_NAMES).lower()
    last = rnd.choice(lexicon.LAST_NAMES).lower()
    phone = rnd.choice(_PHONE_FORMATS).format(n=rnd.randrange(0, 999))
    email = f"{first}.{last}{rnd.randrange(1, 99)}@example.com"
    return rnd.choice(
        (
            f"Please call me on {phone}.",
            f"My number is {phone} if you need it.",
            f"You can email me at {email}.",
            f"Contact me: {email} / {phone}",
            f"reply to {email} please",
        )
    )


def compose(
    aspects: Sequence[Aspect],
    band: str,
    rnd: random.Random,
    *,
    style: str = "survey",
    want_title: bool = False,
    foreign_rate: float = 0.015,
    pii_rate: float = 0.02,
) -> Verbatim:
    """Write one verbatim for ``aspects`` whose overall tone is ``band``.

    ``band`` (positive/neutral/negative) follows the score, so that the sentiment of the words
    agrees with the number on average; ``style`` is survey, review, social or ticket.
    """
    if rnd.random() < foreign_rate:
        options = [f for f in lexicon.FOREIGN if f[1] == band] or list(lexicon.FOREIGN)
        theme, pol, text, lang = rnd.choice(options)
        found: tuple[Aspect, ...] = ((theme, pol, None),) if theme else ()
        title = rnd.choice(lexicon.TITLES[pol]) if want_title else None
        return Verbatim(text=text, title=title, aspects=found, language=lang)

    slots = _slots(rnd)
    # A remark about packaging is its own sentence: people add it as an aside.
    ordered = sorted(
        (a for a in aspects if a[0] != PACKAGING),
        key=lambda a: {"positive": 0, "neutral": 1, "negative": 2}[a[1]],
    )
    clauses = [(clause_for(a, rnd, slots), a[1]) for a in ordered]
    aside = [_sentence(clause_for(a, rnd, slots)) for a in aspects if a[0] == PACKAGING]
    if clauses:
        body = " ".join([_join(clauses, rnd), *aside])
    elif aside:
        body = " ".join(aside)
    elif style == "ticket":
        body = _sentence(rnd.choice(lexicon.GENERIC_TICKET))
    else:
        pair = rnd.sample(lexicon.GENERIC[band], 2)
        body = _sentence(pair[0])
        if rnd.random() < 0.4:
            body += " " + _sentence(pair[1])
    polarities = {a[1] for a in aspects}
    agrees = not aspects or band in polarities
    tone = band if agrees else "neutral"
    asks = "neutral" in polarities
    opener = (
        rnd.choice(lexicon.OPENERS[tone])
        if style != "ticket" and (tone != "neutral" or asks)
        else ""
    )
    if opener:
        body = opener[0].upper() + opener[1:] + body[0].lower() + body[1:]
    if rnd.random() < 0.3 and band != "neutral" and agrees:
        body += " " + rnd.choice(lexicon.CLOSERS[band])
    body = _STANDALONE_I.sub("I", body)

    if style == "ticket":
        name = rnd.choice(lexicon.FIRST_NAMES)
        greeting = rnd.choice(("Hi,", "Hello,", "Hi there,", "To whom it may concern,", ""))
        ref = f" Order {slots['order_ref']}." if rnd.random() < 0.5 else ""
        sign = rnd.choice(("Thanks,\n", "Regards,\n", "Thanks ", ""))
        body = f"{greeting}\n\n{body}{ref}\n\n{sign}{name}".strip()
    elif style == "social":
        if rnd.random() < 0.6:
            body = "@larkwoodhome " + body
        tag = rnd.choice(_HASHTAGS[tone])
        if tag and rnd.random() < 0.4:
            body += " " + tag

    has_pii = False
    pii_chance = pii_rate * (3 if style == "ticket" else 1)
    if rnd.random() < pii_chance:
        body += " " + _pii(rnd)
        has_pii = True
    roll = rnd.random()
    if roll < 0.12:
        body = body.lower()
    elif roll < 0.17:
        body = body.rstrip(".")
    if rnd.random() < 0.06:
        body = _typo(body, rnd)
    emoji_chance = 0.25 if style == "social" else 0.05
    if rnd.random() < emoji_chance:
        body += " " + rnd.choice(_EMOJI[tone])
    if tone == "negative" and rnd.random() < 0.05:
        body = body.rstrip(".") + "!!!"

    title = None
    if want_title:
        negative_themes = [a[0] for a in aspects if a[1] == "negative"]
        if negative_themes and negative_themes[0] in lexicon.THEME_TITLES and rnd.random() < 0.4:
            title = lexicon.THEME_TITLES[negative_themes[0]]
        else:
            title = rnd.choice(lexicon.TITLES[band])
    return Verbatim(text=body, title=title, aspects=tuple(aspects), has_pii=has_pii)


def agent_note(aspects: Sequence[Aspect], rnd: random.Random) -> str:
    """The support agent's internal note on a ticket (kept as metadata, not customer voice)."""
    theme = aspects[0][0] if aspects else ""
    pool = lexicon.AGENT_NOTES.get(theme) or lexicon.AGENT_NOTES[""]
    note = rnd.choice(pool).format_map(_slots(rnd))
    if rnd.random() < 0.05:
        note += " Customer asked for a call back on " + rnd.choice(_PHONE_FORMATS).format(
            n=rnd.randrange(0, 999)
        )
    return note


def exit_reason(crash: bool, rnd: random.Random) -> str:
    """A churned customer's reason in their own words; crash victims mostly name the app."""
    if crash and rnd.random() < 0.8:
        return rnd.choice(lexicon.EXIT_REASONS_CRASH)
    return rnd.choice(lexicon.EXIT_REASONS_OTHER)
