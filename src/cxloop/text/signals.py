"""Signals that call for action: customer effort (friction), urgency and churn risk.

Each signal is one precompiled alternation of English cue phrases, so detecting all three
costs a few microseconds per text. Cues are phrases rather than single words where a single
word misleads: "cancelled" is churn in "I cancelled my subscription" but not in "my flight was
cancelled", and cancelling an order is not leaving the company.
"""

from __future__ import annotations

import re

SIGNALS = ("effort", "urgency", "churn_risk")

_EFFORT = re.compile(
    r"\b(?:"
    r"had to (?:call|phone|ring|email|write|contact|chase|ask|explain|go back|visit)"
    r"|(?:called|phoned|rang|emailed|contacted|wrote|chased)(?: \w+){0,3} (?:twice|again|"
    r"(?:three|four|five|several|many|multiple|\d+) times)"
    r"|(?:three|four|five|several|many|multiple|so many|\d+) (?:times|calls|emails|attempts|visits)"
    r"|again and again|over and over|back and forth|run ?around|jump(?:ed|ing)? through hoops"
    r"|(?:got |was |kept being )?transferred|on hold|repeat(?:ed)? myself|explain(?:ed)? again"
    r"|still (?:waiting|no|not|nothing|haven't|hasn't|can't)|nobody (?:helps|helped|answers|"
    r"answered|called|replied|cares)|no one (?:helps|helped|answers|answered|called|replied)"
    r"|(?:hard|difficult|impossible|confusing|complicated|a pain|a nightmare) to"
    r"|confusing|complicated|took (?:forever|ages|hours|days|weeks)|hassle|frustrat\w*"
    r"|(?:couldn't|could not|can't|cannot|unable to) (?:find|figure|reach|get through|log ?in)"
    r"|no way to|waste of (?:my )?time|wasted (?:my |an? )?(?:time|hour|hours|day|days)"
    r")\b",
    re.IGNORECASE,
)
_URGENCY = re.compile(
    r"(?:\b(?:"
    r"urgent(?:ly)?|asap|as soon as possible|immediately|right now|right away|emergency"
    r"|(?:need|needs|needed) (?:it|this|them|help|an answer|a response)(?: \w+)? "
    r"(?:today|tonight|now|by|before)"
    r"|deadline|critical|time[- ]sensitive|(?:no|without) (?:power|heating|water|internet)"
    r"|lawyer|attorney|legal action|take (?:you|this) to court|\bsue\b|small claims"
    r"|fraud\w*|scam|unauthori[sz]ed|stolen|identity theft|hacked"
    r"|unsafe|dangerous|injur\w*|fire hazard|burn(?:ed|t)|caught fire|ombudsman|regulator"
    r")\b|!{3,})",
    re.IGNORECASE,
)
_CHURN = re.compile(
    r"\b(?:"
    r"(?:i'?m|i am|we'?re|we are|will be|going to|gonna|i will|i'll|we will|we'll|about to|"
    r"want to|wants to|have to|will|shall) cancel(?:l?ing)?\b"
    r"(?! (?:my |the |our |an? |this |that )?(?:order|booking|reservation|flight|delivery|"
    r"appointment|payment|item|parcel|transfer))"
    r"|cancel(?:l?ing|l?ed|ation of)? (?:my|our|the) (?:subscription|account|membership|contract|"
    r"plan|service|policy|card|line|direct debit)"
    r"|cancel(?:l?ing)\b(?! (?:my |the |our |an? |this |that )?(?:order|booking|reservation|"
    r"flight|delivery|appointment|payment|item|parcel|transfer))"
    r"|switch(?:ing|ed)? (?:over )?to|mov(?:e|ing) (?:over )?to (?:a |an )?(?:competitor|another|"
    r"different)|(?:go|going|went) (?:to|with) (?:a |an )?(?:competitor|another provider|"
    r"another company|someone else)"
    r"|(?:take|taking|took) my (?:business|money|custom) elsewhere|going elsewhere|shop elsewhere"
    r"|never (?:again|buy(?:ing)? (?:from|here)|order(?:ing)? (?:from|again)|(?:be )?using|"
    r"shop(?:ping)?|coming back|come back|return)"
    r"|last time i|won'?t be (?:back|returning|renewing|ordering|buying|using)"
    r"|(?:not|won't|will not|don't plan to) renew(?:ing)?|close (?:my|our) account"
    r"|closing (?:my|our) account|unsubscrib\w*|terminate (?:my|our|the) contract"
    r"|(?:leave|leaving|left) (?:you|for|your company|this company|this bank)"
    r"|done with (?:you|this company|your company)|lost (?:a|another|your) customer"
    r"|find (?:a |an )?(?:another|new|different) (?:provider|company|bank|supplier|carrier|store)"
    r"|(?:better|cheaper) (?:deal|offer|price) (?:with|from|at) (?:a |another )?competitor"
    r")",
    re.IGNORECASE,
)
_PATTERNS = {"effort": _EFFORT, "urgency": _URGENCY, "churn_risk": _CHURN}
#: Words (and, for word families, substrings) at least one of which every match of the
#: signal's pattern contains. Checking a set intersection and a few ``in`` tests (C speed)
#: skips the regular expression for most texts.
_TRIGGER_WORDS = {
    "effort": (
        "had call called phoned rang emailed contacted wrote chased times calls emails attempts "
        "visits twice again over forth runaround around hoops transferred hold repeat repeated "
        "explain explained still nobody one way hard difficult impossible confusing complicated "
        "pain nightmare took hassle find figure reach through log login waste wasted"
    ),
    "urgency": (
        "urgent urgently asap soon immediately right away emergency need needs needed deadline "
        "critical sensitive power heating water internet lawyer attorney legal court sue small "
        "scam stolen identity hacked unsafe dangerous hazard burned burnt fire ombudsman regulator"
    ),
    "churn_risk": (
        "switch switching switched competitor another different elsewhere never last won't wont "
        "won renew renewing account terminate leave leaving left done lost find someone"
    ),
}
_TRIGGERS = {name: frozenset(words.split()) for name, words in _TRIGGER_WORDS.items()}
_TRIGGER_PARTS = {
    "effort": ("frustrat",),
    "urgency": ("!!!", "injur", "fraud", "unauthori"),
    "churn_risk": ("cancel", "unsubscrib"),
}
_PART_SIGNAL = {part: name for name, parts in _TRIGGER_PARTS.items() for part in parts}
_ALL_TRIGGERS = frozenset().union(*_TRIGGERS.values())
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def words_of(lower: str) -> frozenset[str]:
    """The distinct words of an already lower-cased text (shared by the rule-based steps)."""
    return frozenset(_WORD.findall(lower))


def detect_signals(
    text: str | None, *, lower: str | None = None, words: frozenset[str] | None = None
) -> list[str]:
    """The signals present in ``text``, in :data:`SIGNALS` order (empty when none).

    ``lower`` and ``words`` may be passed when the caller already computed them.
    """
    if not text:
        return []
    sample = text[:20000]
    if lower is None:
        lower = sample.lower()
    if words is None:
        words = words_of(lower)
    candidates = (
        {name for name, trigger in _TRIGGERS.items() if not trigger.isdisjoint(words)}
        if (not _ALL_TRIGGERS.isdisjoint(words))
        else set()
    )
    for part, name in _PART_SIGNAL.items():  # substring tests run at C speed
        if part in lower:
            candidates.add(name)
    if not candidates:
        return []
    return [
        name for name, pattern in _PATTERNS.items() if name in candidates and pattern.search(sample)
    ]


def detect_signals_many(texts: list[str | None]) -> list[list[str]]:
    """Signals per text (see :func:`detect_signals`)."""
    return [detect_signals(t) for t in texts]
