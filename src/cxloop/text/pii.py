"""Personal data redaction: typed placeholders replace e-mails, phones, cards, IBANs, addresses,
US social security numbers and person names before text is shown or exported.

Why regular expressions and checksums rather than a model: redaction runs on every feedback
item at thousands per second, must be predictable, and must not over-redact numbers that
matter to the story (order numbers, amounts, dates). Card numbers are only redacted when they
pass the Luhn check and IBANs only when their ISO 7064 mod-97 checksum holds, so an order
number is left alone. Person names are found from cues (titles, "my name is", sign-offs, staff
roles) and a list of common first names; this misses some names, which docs/text.md states.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

PLACEHOLDERS = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "card": "[CARD]",
    "iban": "[IBAN]",
    "address": "[ADDRESS]",
    "person": "[PERSON]",
    "national_id": "[ID]",
}

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-!#$&'*/=?^`{|}~]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*"
    r"\.[A-Za-z][A-Za-z0-9-]{0,62}[A-Za-z0-9]"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"  # +44 20 7946 0958
    r"|\(\d{2,4}\)[\s.-]?\d{3,4}[\s.-]?\d{3,4}"  # (555) 123-4567
    r"|\d{3}[\s.-]\d{3}[\s.-]\d{4}"  # 555-123-4567
    r"|0\d{2,4}[\s.-]?\d{3,4}[\s.-]?\d{3,4}"  # 020 7946 0958, 0612345678
    r")(?![\w])"
)
_STREET_WORDS = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    "Terrace|Close|Crescent|Square|Sq|Highway|Hwy|Parkway|Pkwy"
)
_STREET_WORDS = _STREET_WORDS + "|" + _STREET_WORDS.lower()
_ADDRESS = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][a-zA-Z'-]+\s+){1,3}(?:" + _STREET_WORDS + r")\b\.?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|Flat)\.?\s*\w+)?"
    r"|\b[A-Z][a-zäöüß]+(?:straße|strasse|weg|gasse|platz|allee|laan|straat|gracht)\s+\d{1,4}[a-z]?\b"
    r"|\b\d{1,4},?\s+(?:rue|avenue|boulevard|chemin|place|calle|via|rua)\s+(?:[\w'-]+\s?){1,4}"
    # a full UK postcode ("NW1 6XE", "SW1A 1AA"): it narrows an address to a few houses
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[ABD-HJLNP-UW-Z]{2}\b"
    # a post office box ("PO Box 123", "P.O. Box 77"): a postal address of its own
    r"|\b(?i:p\.?\s?o\.?\s?box)\s*#?\d{1,8}\b",
)
#: A US social security number, 123-45-6789, only with the dashes and only in the ranges
#: ever issued (area not 000, 666 or 900-999; group not 00; serial not 0000).
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
#: Upper- and lower-case Latin letters, accented ones included ("García", "Ólafsdóttir").
_UP, _LOW = "A-Z\u00c0-\u00d6\u00d8-\u00de", "a-z\u00df-\u00f6\u00f8-\u00ff"
#: A capitalised name word: "Smith", "García", "O'Brien", "D'Angelo", "McDonald", "Jean-Pierre".
#: Until 2026-11-24 (ninth session) only [A-Z][a-z]+ counted, so "Dr. Emily O'Brien" and "Maria
#: García" kept their surnames.
_NAME_WORD = rf"(?:[{_UP}]')?[{_UP}][{_LOW}]+(?:[{_UP}][{_LOW}]+)?(?:-[{_UP}][{_LOW}]+)?"
_FULL_NAME = _NAME_WORD + r"(?:\s+" + _NAME_WORD + r")?"
_CUE_WORD_TEXT = (
    "mr mrs ms miss mx dr prof sir madam name name's signed regards thanks thank cheers "
    "sincerely best agent rep representative advisor adviser manager driver courier technician "
    "engineer associate supervisor cashier assistant employee consultant"
)
_CUE_WORDS = frozenset(_CUE_WORD_TEXT.split())
_PERSON_CUES = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam)\.?\s+(" + _FULL_NAME + r")"
    r"|\b(?i:my name is|my name's|name is|name:|signed)\s+(" + _FULL_NAME + r")"
    r"|\b(?i:regards|thanks|thank you|cheers|sincerely|best)\s*,\s*\n?\s*(" + _FULL_NAME + r")\b"
    r"|\b(?i:agent|rep|representative|advisor|adviser|manager|driver|courier|technician|"
    r"engineer|associate|supervisor|cashier|assistant|employee|consultant)"
    r"(?i:\s+named|\s+called)?\s+(" + _FULL_NAME + r")"
)
# Common first names that are not also everyday words (no May, Will, Bill, Mark, Grace...).
_FIRST_NAME_TEXT = (
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel "
    "Matthew Anthony Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald "
    "Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott "
    "Brandon Benjamin Samuel Gregory Alexander Patrick Jack Dennis Jerry Tyler Aaron Jose Adam "
    "Nathan Henry Zachary Douglas Peter Kyle Noah Ethan Jeremy Walter Keith Roger Terry Sean "
    "Gerald Carl Harold Dylan Arthur Lawrence Jesse Bryan Billy Bruce Gabriel Joe Logan Alan "
    "Juan Albert Willie Elijah Wayne Randy Vincent Mason Roy Ralph Bobby Russell Bradley Philip "
    "Eugene Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy "
    "Betty Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah "
    "Stephanie Rebecca Sharon Laura Cynthia Dorothy Amy Kathleen Angela Shirley Emma Brenda "
    "Pamela Nicole Anna Samantha Katherine Christine Debra Rachel Carolyn Janet Maria Olivia "
    "Heather Helen Catherine Diane Julie Joyce Lauren Kelly Christina Ruth Joan Judith Evelyn "
    "Hannah Andrea Megan Cheryl Jacqueline Teresa Abigail Sophia Martha Sara Gloria Janice "
    "Kathryn Ann Isabella Judy Charlotte Julia Denise Amber Marilyn Beverly Danielle Theresa "
    "Diana Natalie Brittany Alexis Kayla Lori Tiffany Sophie Chloe Lucy Ahmed Mohammed Muhammad "
    "Ali Fatima Aisha Omar Priya Raj Rahul Wei Chen Yuki Hiroshi Pierre Marie Hans Klaus "
    "Giovanni Marco Luca Sofia Carlos Miguel Javier Lucas Mateo Ines Lars Sven Anders Ingrid "
    "Olga Ivan Dmitri Sergei Anastasia "
)
_FIRST_NAMES = _FIRST_NAME_TEXT.split()
_KNOWN_NAME = re.compile(
    r"(?<!\bSt\. )(?<!\bSt )(?<!\bSaint )"  # "St. Patrick's Day" names a day, not a person
    rf"(?:\b[{_UP}][{_LOW}]+-)?"  # "Jean-" of "Jean-Pierre"
    r"\b(?:" + "|".join(sorted(_FIRST_NAMES, key=len, reverse=True)) + r")"
    r"(?:\s+" + _NAME_WORD + r")?\b"
)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum that every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 IBAN checksum: move the first four characters to the end, mod 97 == 1."""
    compact = iban.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _sub_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return PLACEHOLDERS["card"]
    return match.group(0)


def _sub_iban(match: re.Match[str]) -> str:
    return PLACEHOLDERS["iban"] if iban_valid(match.group(0)) else match.group(0)


def _sub_phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return PLACEHOLDERS["phone"] if 7 <= digits <= 15 else match.group(0)


def _sub_person_cue(match: re.Match[str]) -> str:
    whole = match.group(0)
    for group in range(1, 5):
        name = match.group(group)
        if name:
            start = match.start(group) - match.start(0)
            return whole[:start] + PLACEHOLDERS["person"] + whole[start + len(name) :]
    return whole


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str] | str
    needs_digit: bool = False
    needs_at: bool = False
    #: Lower-cased words one of which must occur for the rule to be tried (a cheap pre-check).
    needs_words: frozenset[str] | None = None


# Order matters: IBANs and cards before phones (their digits would look like phone numbers).
_RULES = (
    _Rule("email", _EMAIL, PLACEHOLDERS["email"], needs_at=True),
    _Rule("iban", _IBAN, _sub_iban, needs_digit=True),
    _Rule("card", _CARD, _sub_card, needs_digit=True),
    _Rule("national_id", _SSN, PLACEHOLDERS["national_id"], needs_digit=True),
    _Rule("phone", _PHONE, _sub_phone, needs_digit=True),
    _Rule("address", _ADDRESS, PLACEHOLDERS["address"], needs_digit=True),
    _Rule("person", _PERSON_CUES, _sub_person_cue, needs_words=_CUE_WORDS),
    _Rule(
        "person",
        _KNOWN_NAME,
        PLACEHOLDERS["person"],
        needs_words=frozenset(n.lower() for n in _FIRST_NAMES),
    ),
)
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def redact(text: str | None, *, words: frozenset[str] | None = None) -> str | None:
    """``text`` with personal data replaced by typed placeholders such as ``[EMAIL]``.

    ``None`` stays ``None``. Cheap pre-checks skip rules that cannot match: the digit-based
    ones for texts without digits (most short feedback), the name rules for texts without a
    cue word or a known first name. ``words`` (lower-cased words of a text containing
    ``text``) may be passed when already computed.
    """
    if not text:
        return text
    has_digit = _DIGIT.search(text) is not None
    has_at = "@" in text
    if words is None:
        words = frozenset(_WORD.findall(text.lower()))
    if any("'" in w for w in words):  # "Sarah's order": the name is "sarah"
        words = words | {w.split("'")[0] for w in words if "'" in w}
    for rule in _RULES:
        if (rule.needs_digit and not has_digit) or (rule.needs_at and not has_at):
            continue
        if rule.needs_words is not None and rule.needs_words.isdisjoint(words):
            continue
        text = rule.pattern.sub(rule.replace, text)
    return text


def redact_many(texts: list[str | None]) -> list[str | None]:
    """Redact a batch (same result as :func:`redact` per item)."""
    return [redact(t) for t in texts]


def find_pii(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) pairs that :func:`redact` replaces, in rule order (for review)."""
    found: list[tuple[str, str]] = []
    for rule in _RULES:

        def record(match: re.Match[str], rule: _Rule = rule) -> str:
            replaced = rule.replace(match) if callable(rule.replace) else rule.replace
            if replaced != match.group(0):
                found.append((rule.kind, match.group(0)))
            return replaced

        text = rule.pattern.sub(record, text)
    return found
