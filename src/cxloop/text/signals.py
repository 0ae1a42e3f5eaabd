"""Signals that call for action: customer effort (friction), urgency and churn risk.

Each signal is one precompiled alternation of English cue phrases, so detecting all three
costs a few microseconds per text. Cues are phrases rather than single words where a single
word misleads: "cancelled" is churn in "I cancelled my subscription" but not in "my flight was
cancelled", and cancelling an order is not leaving the company.

The cues are English; churn risk also has the commonest phrases of leaving in French,
German, Spanish, Italian, Portuguese and Dutch (``_CHURN_ABROAD``). Churn risk also sets the
document sentiment: a customer who says they are leaving reads
negative (:func:`leaving_reads_negative`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from cxloop.text.types import Sentiment

SIGNALS = ("effort", "urgency", "churn_risk")

_COUNT = r"(?:twice|again|(?:three|four|five|several|many|multiple|so many|a few|\d+) times)"
_EFFORT = re.compile(
    r"\b(?:"
    r"had to (?:call|phone|ring|email|write|contact|chase|ask|explain|go back|visit)"
    r"|(?:called|phoned|rang|emailed|contacted|wrote|written|chased|tried|asked|explained|"
    rf"complained|visited|went back|gone back|been back)(?: \w+){{0,4}} {_COUNT}"
    r"|(?:three|four|five|several|many|multiple|so many|\d+) (?:phone )?(?:calls|emails|attempts|"
    r"visits|chats)"
    r"|again and again|over and over|back and forth|run ?around|jump(?:ed|ing)? through hoops"
    r"|(?:got|get|was|were|been|being|kept being|keep being) transferred"
    r"|transferred (?:me|us|around|again|back|between|from one|to (?:another|a different|someone|"
    r"the wrong))"
    r"|on hold|repeat(?:ed)? myself|explain(?:ed)? again"
    r"|still (?:waiting|no|not|nothing|haven't|hasn't|can't)|nobody (?:helps|helped|answers|"
    r"answered|called|replied|cares)|no one (?:helps|helped|answers|answered|called|replied)"
    r"|(?:hard|difficult|impossible|confusing|complicated|a pain|a nightmare) to (?:find|reach|"
    r"contact|get (?:through|hold|help|an answer|a refund|someone|anyone)|navigate|use|understand|"
    r"cancel|return|order|log ?in|sign (?:in|up)|set up|install|book|pay|change|update|speak|talk|"
    r"follow|figure|claim|complete|fill|access|track|deal with)"
    r"|confusing|complicated|took (?:forever|ages|hours|days|weeks)|hassle|frustrat\w*"
    r"|(?:couldn't|could not|can't|cannot|unable to) (?:find|figure|reach|get through|log ?in)"
    r"|no way to|waste of (?:my )?time|wasted (?:my |an? )?(?:time|hour|hours|day|days)"
    r")\b",
    re.IGNORECASE,
)
#: Words that make "immediately", "right now" or "!!!" a demand rather than a manner of speech
#: ("appreciating Bob Dylan right now", "so excited!!!").
_DEMAND = (
    r"(?:need|needs|needed|want|wants|please|pls|must|fix|help|refund|cancel|block|freeze|stop|"
    r"call|respond|reply|answer|send|sort|return|resolve|contact|do something|freezing|blocking|"
    r"cancell?ing|stopping)"
)
#: A problem said with "!!!" is urgent ("the app crashes!!!"); joy said so is not.
_TROUBLE = (
    r"(?:crash\w*|broken|broke|never|(?:not|\w+n't) (?:work\w*|arrived|received|come|came|"
    r"fixed|resolved|respond\w*|answer\w*|help\w*|acceptable|happy)|still|wrong|worst|terrible|"
    r"awful|useless|ridiculous|unacceptable|disgusting|joke|scam|robbed|charged|missing|lost|"
    r"late|stuck|declined|failed|error)"
)
_URGENCY = re.compile(
    r"\b(?:"
    r"urgent(?:ly)?|asap|as soon as possible|emergency"
    r"|(?:need|needs|needed) (?:it|this|them|help|an answer|a response)(?: \w+)? "
    r"(?:today|tonight|now|by|before)"
    r"|deadline|critical (?:issue|problem|bug|error|outage|failure|situation)|time[- ]sensitive"
    r"|(?:no|without) (?:power|heating|water|internet)"
    r"|lawyer|attorney|legal action|take (?:you|this) to court|\bsue\b|small claims"
    r"|fraud\w*|scam|unauthori[sz]ed|stolen|identity theft|hacked"
    r"|unsafe|dangerous|injur\w*|fire hazard|burn(?:ed|t) (?:me|my|myself|his|her|our|the house)"
    r"|caught fire|(?<!not )(?<!n't )(?<!never )(?<!doesnt )(?<!dont )overheat\w*|sparking"
    r"|(?:shooting|throwing|threw|gave off|gives off) sparks|sparks (?:came|come|flew|fly|flying|"
    r"coming) (?:out|from)|electric shock|ombudsman|regulator"
    r")\b",
    re.IGNORECASE,
)
# A demand made now, and "!!!" after a demand or a problem; each runs only on texts holding
# "now"-like words or "!!!" (:func:`_urgent`), as they start with common words.
_NOW_WORDS = ("now", "immediately", "right away", "today")
_DEMANDED_NOW = re.compile(
    rf"\b{_DEMAND}(?: \w+){{0,5}} (?:immediately|right now|right away|now(?! that)|today)\b",
    re.IGNORECASE,
)
_LOUD = re.compile(
    rf"\b(?:{_DEMAND}|{_TROUBLE})\b[^.!?]{{0,40}}!{{3,}}|\b(?:me|now|today|asap|already)\s*!{{3,}}",
    re.IGNORECASE,
)


def _urgent(sample: str) -> bool:
    if _URGENCY.search(sample):
        return True
    if "!!!" in sample and _LOUD.search(sample):
        return True
    lower = sample.lower()
    return any(word in lower for word in _NOW_WORDS) and _DEMANDED_NOW.search(sample) is not None


#: What a customer may cancel without leaving: an order, a payment, a stolen card...
_NOT_LEAVING = (
    r"(?! (?:my |the |our |an? |this |that |these |those )?(?:\w+ )?(?:order|booking|reservation|"
    r"flight|delivery|appointment|payment|item|parcel|transfer|transaction|purchase|charge|card|"
    r"top.?up|withdrawal|request|one)s?\b)"
)
_PROVIDER = (
    r"(?:provider|company|bank|supplier|carrier|network|airline|insurer|operator|store|shop|"
    r"brand|service|option)s?"
)
#: The speaker (not a third party, not a hypothetical) about to leave or cancel.
_I_WILL = (
    r"(?:i'?m|i am|we'?re|we are|i will|i'll|we will|we'll|going to|gonna|about to|decided to|"
    r"time to)"
)
# The churn phrases are split by the word they hinge on, and each part runs only on a text
# that holds that word (:func:`_leaving`): alternatives that start with words as common as
# "i" or "going to" made one combined pattern twice as slow.
_CHURN_CANCEL = re.compile(
    r"\b(?:"
    rf"(?:{_I_WILL}|will be|want to|wants to|need to|have to|will|shall) cancel(?:l?ing)?\b"
    rf"{_NOT_LEAVING}"
    r"|cancel(?:l?ing|l?ed|ation of)? (?:my|our|the) (?:subscription|account|membership|contract|"
    r"plan|service|policy|line|direct debit)"
    rf"|(?:(?<=^)|(?<=[.!?] ))cancell?ing\b{_NOT_LEAVING}"
    r")",
    re.IGNORECASE,
)
_CHURN_SWITCH = re.compile(
    r"\b(?:"
    r"(?:i|we|i'?ve|i have|we'?ve|we have|i'?m|i am|we'?re|we are|i'll|i will|we'll|we will|"
    r"going to|gonna|about to|decided to|will) (?:just |now |finally |probably )?"
    r"switch(?:ing|ed)? (?:over )?to\b(?! (?:the |your |this |our |a |an )?(?:new |latest |old |"
    r"different |other |online |paperless |monthly |annual |yearly )?(?:app|version|plan|tariff|"
    r"package|bundle|website|site|card|account|currency|language|english|setting|mode|paper)"
    r"s?\b| (?:you|us|your)\b)"
    r"|switch(?:ing|ed|es)? (?:over )?(?:to |with )?(?:a |an )?(?:competitor|(?:another|"
    rf"a different|a new|a cheaper|a better|other|different) {_PROVIDER})"
    r"|switch(?:ing|ed)? (?:providers|banks|carriers|networks|suppliers|companies|airlines|"
    r"insurers|brands|operators)"
    r")",
    re.IGNORECASE,
)
_CHURN_LEAVE = re.compile(
    rf"\b{_I_WILL} leav(?:e|ing)(?: (?:you|your company|this company|this bank|for (?:a |an )?"
    r"(?:competitor|another|someone else))\b|(?=\s*(?:[.!;]|$)))",
    re.IGNORECASE,
)
_CHURN = re.compile(
    r"\b(?:"
    r"(?:thinking (?:of|about)|considering|contemplating) (?:cancell?ing|leaving|switching)\b"
    rf"{_NOT_LEAVING}"
    rf"|(?:go|going|went|mov(?:e|ing|ed)) (?:over )?(?:to|with) (?:a |an )?(?:competitor|another "
    rf"{_PROVIDER}|someone else|a different {_PROVIDER}|another one)"
    r"|(?:take|taking|took) my (?:business|money|custom) elsewhere|going elsewhere"
    r"|shop(?:ping)? elsewhere"
    # a purchase made or promised at a rival ("so I bought it elsewhere"), not advice or a
    # price comparison ("you can buy it elsewhere", "cheaper elsewhere")
    r"|(?:bought|ordered|purchased) (?:it |them |one |mine |everything )?elsewhere"
    r"|(?:will|'ll|going to|gonna) (?:buy|order|purchase|get) (?:it |them |one |mine |"
    r"everything )?elsewhere"
    r"|never (?:again|buy(?:ing)? (?:from|here)|order(?:ing)? (?:from|again)|(?:be )?using|"
    r"shop(?:ping)?|coming back|come back|return)"
    r"|(?:this|that|it) (?:is|was|will be|'s) (?:the|my) last time|last time i(?:'ll| will| ever)\b"
    r"|won'?t be (?:back|returning|renewing|ordering|buying|using)"
    r"|(?:not|won't|will not|don't plan to) renew(?:ing)?|close (?:my|our) account"
    r"|closing (?:my|our) account|terminate (?:my|our|the) contract"
    # Leaving a subscription, not the mailing list ("unsubscribed from your emails"), and
    # not the link or button to do so.
    r"|unsubscrib\w*+(?! (?:link|button|option)\b)(?!(?: me)? (?:from|to) (?:your |the |all |"
    r"these |those |any )?(?:marketing |promotional )?(?:e-?mails?|newsletters?|mailing lists?|"
    r"marketing|texts?|sms|messages|notifications?|promotions?|offers?|spam|updates)\b)"
    r"|left (?:your company|this company|this bank|for a competitor)"
    r"|done with (?:you|this company|your company)|lost (?:a|another|your) customer"
    rf"|find (?:a |an )?(?:another|new|different) {_PROVIDER}"
    rf"|looking (?:for|at|into) (?:other|another|alternative|a new|a different) {_PROVIDER}"
    r"|(?:better|cheaper) (?:deal|offer|price) (?:with|from|at) (?:a |another )?competitor"
    r")",
    re.IGNORECASE,
)
#: Leaving said in the other languages language detection names (French, German, Spanish,
#: Italian, Portuguese, Dutch): a customer's own words of cancelling or moving to a rival.
#: Orders and payments cancelled are not among them, as in English.
_CHURN_ABROAD = re.compile(
    r"\b(?:"
    # French
    r"je (?:vais |veux |souhaite )?r[ée]sili\w*|r[ée]sili(?:er|ation) (?:de )?(?:mon|ma|mes|"
    r"l'|le|la) ?(?:abonnement|contrat|compte|forfait|ligne|assurance)"
    r"|je (?:vais )?changer (?:d'op[ée]rateur|d'assureur|de banque|de fournisseur)"
    r"|je pars chez|je quitte (?:votre|cette) (?:banque|entreprise|soci[ée]t[ée]|enseigne)"
    # German
    r"|ich (?:werde |will |m[öo]chte |habe )?(?:\w+ ){0,3}(?:ge)?k[üu]ndig\w*|k[üu]ndigung"
    r"|anbieter wechseln|ich wechsle (?:zu|den anbieter|die bank)"
    # Spanish
    r"|(?:me voy a dar|voy a darme|quiero darme|me doy|me di|me dar[ée]) de baja"
    r"|(?:me cambio|me voy a cambiar|me paso) a (?:otra|otro|la competencia)"
    r"|cancelar (?:mi|la) (?:cuenta|suscripci[óo]n|membres[íi]a|contrato)"
    # Italian
    r"|disdi(?:re|co|r[òo])|disdetta"
    r"|(?:passo|passer[òo]) (?:a un altro|a un'altra|alla concorrenza)"
    r"|cambio (?:operatore|gestore|banca)"
    # Portuguese
    r"|cancelar (?:a )?(?:minha|meu) (?:conta|assinatura|contrato|plano)"
    r"|mudar de (?:operadora|banco|fornecedor)"
    # Dutch
    r"|opzeggen|opgezegd|zeg (?:mijn|het|ons) (?:abonnement|contract|account) op"
    r"|ik stap over|overstappen naar (?:een )?ander"
    r")",
    re.IGNORECASE,
)
#: The words every ``_CHURN_ABROAD`` match holds one of. They make churn a candidate for a
#: text (``_TRIGGERS``) and decide whether :func:`_leaving` runs the expression at all.
_ABROAD_WORD_TEXT = (
    "résilier résilie résilié résiliée résilierai résiliation resilier resilie resiliation "
    "changer pars quitte kündige kündigen kündigt kündigte gekündigt kündigung kundige "
    "kundigen kundigung wechseln wechsle baja cambio cambiar paso cancelar disdire disdico "
    "disdirò disdiro disdetta passo passerò passero mudar opzeggen opgezegd zeg stap "
    "overstappen"
)
_ABROAD_WORDS = frozenset(_ABROAD_WORD_TEXT.split())
_CHURN_BY_WORD = (("cancel", _CHURN_CANCEL), ("switch", _CHURN_SWITCH), ("leav", _CHURN_LEAVE))
#: A thing bought or sent, named before "cancel it": the "it" is that, not the customer's
#: account ("I made a transfer in error and need to cancel it"). Together with the narrowed
#: phrases this took matches on 32,284 public texts (TweetEval test, SemEval reviews,
#: clothing reviews, BANKING77) from 91, at least 48 of them not someone leaving ("the last
#: time I went", "switch to vegetarianism", "cancel a transaction", a stolen card), to 46,
#: about 5 of them doubtful (a joke, "cancel my account so no one uses it").
_ONE_OFF = re.compile(
    r"\b(?:order|booking|reservation|flight|delivery|appointment|payment|item|parcel|transfer|"
    r"transaction|purchase|charge|top.?up|withdrawal)s?\b",
    re.IGNORECASE,
)


_CANCEL_IT = re.compile(r" it\b", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(?:that|which) (?:i |we )?$", re.IGNORECASE)


def _leaving(sample: str) -> bool:
    """Does ``sample`` say the customer is leaving (the ``_CHURN`` patterns)? Not when what is
    cancelled is a one-off thing named before ("I made a transfer in error and need to cancel
    it", "a transfer ... that I need to cancel"). A bare "I'm cancelling!" after a complaint
    about a parcel still counts: said in anger, it is a threat to leave."""
    lower = sample.lower()
    patterns = [_CHURN, *(pattern for word, pattern in _CHURN_BY_WORD if word in lower)]
    if not _ABROAD_WORDS.isdisjoint(words_of(lower)):
        patterns.append(_CHURN_ABROAD)
    matches = (match for pattern in patterns for match in pattern.finditer(sample))
    for match in matches:
        refers_back = _CANCEL_IT.match(sample, match.end()) or _RELATIVE.search(
            sample, 0, match.start()
        )
        if not (refers_back and _ONE_OFF.search(sample, 0, match.start())):
            return True
    return False


_PATTERNS: dict[str, Callable[[str], object]] = {
    "effort": _EFFORT.search,
    "urgency": _urgent,
    "churn_risk": _leaving,
}
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
        "scam stolen identity hacked unsafe dangerous hazard burned burnt fire ombudsman regulator "
        "now today spark sparks sparking shock"
    ),
    "churn_risk": (
        "switch switching switched switches competitor another different elsewhere never last "
        "won't wont won renew renewing account terminate leave leaving left done lost find "
        "someone looking"
    ),
}
_TRIGGERS = {name: frozenset(words.split()) for name, words in _TRIGGER_WORDS.items()}
_TRIGGERS["churn_risk"] |= _ABROAD_WORDS
_TRIGGER_PARTS = {
    "effort": ("frustrat",),
    "urgency": ("!!!", "injur", "fraud", "unauthori", "overheat"),
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
    return [name for name, found in _PATTERNS.items() if name in candidates and found(sample)]


def detect_signals_many(texts: list[str | None]) -> list[list[str]]:
    """Signals per text (see :func:`detect_signals`)."""
    return [detect_signals(t) for t in texts]


#: The highest score a customer's own words of leaving may keep (scores run -1..1).
LEAVING_SCORE = -0.5
#: The confidence such a text is given at least: the rule, not the model, decides it.
LEAVING_CONFIDENCE = 0.6


def leaving_reads_negative(sentiment: Sentiment, signals: list[str], text: str) -> Sentiment:
    """A customer who says they are leaving ("I'm switching to another bank", "I've decided
    to leave", "please close my account") reports a bad experience in CX terms, though often
    without one negative word: both models read most such statements as neutral. With the
    ``churn_risk`` signal a neutral reading becomes negative, unless the text ends as a
    question ("can I cancel my subscription online?" asks how). A positive reading stays:
    "thanks for cancelling my subscription so quickly" praises the way out. Themes keep their
    own sentiment. Public labelled texts hold almost no such statements (a handful, all
    labelled negative where present), so the rule is tested on hand-written cases only.
    """
    if "churn_risk" not in signals or sentiment.label != "neutral":
        return sentiment
    if text.rstrip().endswith("?"):
        return sentiment
    return replace(
        sentiment,
        label="negative",
        score=min(sentiment.score, LEAVING_SCORE),
        confidence=max(sentiment.confidence, LEAVING_CONFIDENCE),
    )
