"""Cheap, vectorised text features shared by the sentiment and theme models.

Three blocks, all computed for a whole batch at once (no per-text Python work beyond the
regular expressions that pandas and scikit-learn run in C):

* ``clean_texts``: HTML tags and entities, URLs and @handles are normalised (the handles that
  open a post are dropped) and a problem said to be absent ("no complaints") reads "very satisfied";
  texts are capped at ``MAX_CHARS`` so a 100 KB paste costs no more than a long review.
* hashed word 1-2-grams (with ``!``, ``?`` and emoji kept as tokens): the lexical evidence;
  hashing means no vocabulary to ship and unseen words cost nothing.
* CX cues: counts of a few hand-written phrase families that carry customer-experience
  polarity without emotional words (things that never arrived, are still pending, were
  charged twice; plain questions; thanks). They let a model trained on bank queries and
  reviews recognise "flight delayed 3 hours again" as a complaint.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from cxloop.text.token_hashing import hashed_ngram_matrix

MAX_CHARS = 5_000
N_HASH_FEATURES = 2**18
HASH_TOKEN_PATTERN = r"(?u)\b\w[\w']*\b|[!?]|[\U0001F300-\U0001FAFF\u2600-\u27BF]"  # noqa: S105 - a regex, not a secret

_TAG = r"<[^>]{0,200}>"
_URL = r"https?://\S+|www\.\S+"
_HANDLE = r"@\w+"
#: Handles that open a text only address it ("@airline my bag never arrived"): dropped, because
#: a leading "@user" pulled MiniLM's reading of such complaints towards neutral.
_LEADING_HANDLES = r"^\s*(?:@\w+[\s,:;]*)+"
_MARKDOWN = r"[*_`#>\[\]]+"
_TAG_RE, _URL_RE = re.compile(_TAG), re.compile(_URL)
_HANDLE_RE, _MARKDOWN_RE = re.compile(_HANDLE), re.compile(_MARKDOWN)
_LEADING_HANDLES_RE = re.compile(_LEADING_HANDLES)
_LATIN_WORD_RE = re.compile(r"[A-Za-z]{2}")
#: Typographic apostrophes become ASCII ones: phones type "didn\u2019t", and every cue, the
#: "no complaints" rewrite and the word n-grams are written for "didn't" (a "didn\u2019t"
#: was read as the two words "didn" and "t").
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"})

# Each cue family is one regular expression; its count per text becomes one feature.
CX_CUES: dict[str, str] = {
    "not_delivered": (
        r"\bnever (?:arrived|came|showed|received|got|delivered|turned up|answered|called)"
        r"|\b(?:has|have|had|did|does|do|is|was|were|are)(?:n'?t| not) "
        r"(?:\w+ )?(?:arrived|come|received|shown|delivered|working|work|responded|replied|"
        r"answered|refunded|updated|gone through|showing|been (?:refunded|fixed|resolved))"
        r"|\bnot (?:arrived|received|working|delivered|showing|refunded|resolved|fixed)\b"
        r"|\b(?:still|yet to) (?:no|not|waiting|pending|nothing|haven'?t|hasn'?t|don'?t)"
    ),
    "failure": (
        r"\b(?:lost|missing|broken|damaged|delayed|delays?|late|cancell?ed|overbooked|stuck|"
        r"stranded|declined|failed|failing|fails|error|wrong|bug|crash(?:ed|es|ing)?|frozen|"
        r"overcharged|double charged|charged twice|twice|scam|fraud|refund|complaint|"
        r"rude|dirty|cold|unacceptable|ridiculous|terrible|horrible|worst|awful|useless|"
        r"disappointed|disappointing|frustrat\w*|annoy\w*|waste|no one|nobody|"
        r"no response|no reply|no answer|on hold|hung up|ignored|again|why|how come|"
        r"what happened)\b"
    ),
    "waiting": (
        r"\b(?:\d+|two|three|four|five|several|many) (?:hours?|hrs?|days?|weeks?|months?|"
        r"calls?|times|emails?)\b|\bwaiting\b|\bpending\b|\bstill\b"
        r"|\b(?:over|more than|almost|nearly|for|after|took|waited|half) (?:an?|one) "
        r"(?:hour|day|week|month)\b|\b(?:took|takes|taking|for) (?:ages|forever)\b"
    ),
    "question": (
        r"\?|^ *(?:can|could|how|what|when|where|which|who|is|are|do|does|will|would|"
        r"should|may|any)\b"
    ),
    "request": r"\b(?:please|pls|plz|i need|i want|i'd like|i would like|help me|let me know)\b",
    "thanks": (r"\b(?:thanks?|thank you|thx|ty|appreciate\w*|grateful|kudos|shout ?out|cheers)\b"),
    "praise": (
        r"\b(?:great|awesome|amazing|excellent|love[dsy]?|loving|best|fantastic|wonderful|"
        r"perfect|helpful|friendly|kind|quick(?:ly)?|fast|smooth|easy|nice|good|happy|"
        r"impressed|brilliant|superb|outstanding)\b"
    ),
    "negation": r"\b(?:not|no|never|nothing|none|nor)\b|n't\b",
    "exclaim": r"!",
    "upper": r"\b[A-Z]{3,}\b",
}
_COMPILED_CUES = {name: re.compile(pattern, re.MULTILINE) for name, pattern in CX_CUES.items()}
#: What the models read in place of good news said in problem words: a problem said to be
#: absent ("no complaints", here), solved (:mod:`cxloop.text.resolved`), or an answer that
#: only approves (:mod:`cxloop.text.short_answers`). Until weights 2026.11.6 this was "all
#: good", which MiniLM reads as neutral (P(positive) 0.29): the embedding backend called "no
#: complaints" neutral. Both backends read "very satisfied" as positive (0.94 and 0.99).
GOOD_NEWS = "very satisfied"
#: A problem said to be absent ("no complaints", "never had a problem", "can't fault them",
#: "not bad at all"): survey comments say this often, and read word by word it is a complaint
#: (the training texts hold too few such phrases for the models to learn otherwise). The
#: cleaner rewrites it to ``GOOD_NEWS``, so every model reads what the customer meant.
_NO_PROBLEM_RE = re.compile(
    r"\b(?:(?:no|zero|not (?:a|one|any)|without (?:any|a)|"
    r"never (?:had|have|has|experienced|encountered)(?: an?| any)?|"
    r"(?:have|has)n'?t had (?:an?|any)|"
    r"(?:do|does|did)(?:n'?t| not) (?:have|get|see|find) (?:an?|any)) (?:\w+ )?"
    r"(?:complaints?|problems?|issues?|faults?|trouble|hassles?|regrets?)"
    r"|(?:nothing to|can'?t|cannot|couldn'?t|could not) (?:\w+ )?(?:complain|fault)\w*"
    r"|not (?:too |that |so |at all |half )?bad|can'?t (?:go wrong|beat)"
    r"|never (?:disappoint\w*|fails?)"
    r"|(?:did|does|do|will|would)(?:n'?t| not) disappoint|wouldn'?t change a thing"
    r"|nothing (?:bad|wrong|negative))\b",
    re.IGNORECASE,
)
#: Every ``_NO_PROBLEM_RE`` match holds one of these words: substring tests on the lowered
#: text (about 2 us) decide whether the slower expression runs (4-6 % of short texts).
_NO_PROBLEM_WORDS = (
    "complain",
    "problem",
    "issue",
    "fault",
    "trouble",
    "hassle",
    "regret",
    "bad",
    "wrong",
    "disappoint",
    "change a thing",
    "negative",
    "beat",
    "fail",
)
#: Whole answers that say nothing ("N/A", "nothing", "no comment"): forms that require an
#: answer collect many, and a model reads "nothing" or "no comment" as a complaint.
_NON_ANSWER_RE = re.compile(
    r"n/?a|none|nothing|nil|null|no comments?|no answer|not applicable|idk|dunno|no idea"
    r"|nothing (?:to (?:add|say|report)|else|more|further)|[-x]+"
)


def clean_texts(texts: Sequence[str | None]) -> list[str]:
    """Normalised copies of ``texts`` (never None, at most ``MAX_CHARS`` characters).

    Tags, entities, URLs, @handles and markdown marks are normalised in that order (handles
    that open the text are dropped, others become ``@user``), then runs of whitespace collapse
    to one space, and a problem said to be absent ("no complaints") becomes ``GOOD_NEWS``. A plain
    loop with substring pre-checks (each expression only runs on texts that can match it) is
    several times faster than pandas string methods here and gives the same strings (a test
    compares them).
    """
    out = []
    for value in texts:
        if value is None or (isinstance(value, float) and value != value):
            text = ""
        else:
            text = value if isinstance(value, str) else str(value)
        text = text[:MAX_CHARS]
        if "<" in text:
            text = _TAG_RE.sub(" ", text)
        if "&" in text:
            text = html.unescape(text)
        if not text.isascii():
            text = text.translate(_APOSTROPHES)
        if "http" in text or "www." in text:
            text = _URL_RE.sub(" http ", text)
        if "@" in text:
            text = _HANDLE_RE.sub("@user", _LEADING_HANDLES_RE.sub("", text))
        text = _MARKDOWN_RE.sub(" ", text)
        text = " ".join(text.split())
        lowered = text.lower()
        if any(word in lowered for word in _NO_PROBLEM_WORDS):
            text = _NO_PROBLEM_RE.sub(GOOD_NEWS, text)
        out.append(text)
    return out


def __getattr__(name: str) -> Any:
    """``HASHER``, the scikit-learn ``HashingVectorizer`` that :func:`hashed_ngrams` equals, is
    built on first use: importing scikit-learn costs a second that scoring does not need."""
    if name == "HASHER":
        from sklearn.feature_extraction.text import HashingVectorizer

        return HashingVectorizer(
            n_features=N_HASH_FEATURES,
            ngram_range=(1, 2),
            token_pattern=HASH_TOKEN_PATTERN,
            alternate_sign=False,
            binary=True,
            norm="l2",
            dtype=np.float32,
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def hashed_ngrams(texts: Sequence[str]) -> sparse.csr_matrix:
    """(n, 2**18) L2-normalised binary word 1-2-gram indicators, identical to ``HASHER``'s
    (computed by :mod:`cxloop.text.token_hashing`, without scikit-learn)."""
    if len(texts) == 0:
        return sparse.csr_matrix((0, N_HASH_FEATURES), dtype=np.float32)
    return hashed_ngram_matrix(texts, N_HASH_FEATURES, HASH_TOKEN_PATTERN)


def cx_cues(texts: Sequence[str]) -> np.ndarray:
    """(n, len(CX_CUES)) log-scaled cue counts; case-insensitive except ``upper``.

    Each pattern scans the whole batch joined by newlines once (C speed, no per-text call);
    match positions are mapped back to texts. Cleaned texts hold no newline, and no pattern
    matches one, so a match never spans two texts.
    """
    texts = [t.replace("\n", " ") for t in texts]
    n = len(texts)
    if n == 0:
        return np.zeros((0, len(CX_CUES)), dtype=np.float32)
    joined = "\n".join(texts)
    lowered = joined.lower()
    starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    columns = []
    for name, pattern in _COMPILED_CUES.items():
        source = joined if name == "upper" else lowered
        positions = [m.start() for m in pattern.finditer(source)]
        owners = np.searchsorted(starts, positions, side="right") - 1
        columns.append(np.bincount(owners, minlength=n).astype(np.float32))
    return np.log1p(np.stack(columns, axis=1))


#: How many words after a negator it covers: "didn't work at all" covers work, at, all.
NEGATION_SCOPE = 3
_NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "none",
        "nor",
        "without",
        "cannot",
        "neither",
        "cant",
        "dont",
        "didnt",
        "doesnt",
        "isnt",
        "wasnt",
        "wont",
        "havent",
        "hasnt",
        "couldnt",
    ]
)
_NEGATOR_RE = re.compile(rf"\b(?:{'|'.join(sorted(_NEGATORS))})\b|n't\b")
_SCOPE_TOKEN_RE = re.compile(r"[.,!?;:]|\b[\w']+\b")
_SCOPE_ENDS = frozenset([*".,!?;:", "but", "however"])


def negated_words(texts: Sequence[str]) -> list[str]:
    """Per text, the words a negator covers, joined by spaces ("" when there are none): up to
    ``NEGATION_SCOPE`` words after *not, no, never, n't, without...*, ending early at
    punctuation, *but* or *however*.

    Why: a bag of words reads "it didn't complete" like "it did complete", and a customer
    complaint is often good words said not to hold ("not working", "never arrived", "didn't
    help"). ``fast``'s sentiment head reads these words apart from the rest (their own
    vector, their n-grams marked ``not_``), so it learns the pattern from every such word in
    its training texts, not only from the phrases the CX cues list. Texts without a negator
    (most) cost one regular-expression search.
    """
    out = []
    for text in texts:
        lowered = text.lower()
        if _NEGATOR_RE.search(lowered) is None:
            out.append("")
            continue
        words: list[str] = []
        left = 0
        for token in _SCOPE_TOKEN_RE.findall(lowered):
            if token in _SCOPE_ENDS:
                left = 0
            elif token in _NEGATORS or token.endswith("n't"):
                left = NEGATION_SCOPE
            elif left:
                words.append(token)
                left -= 1
        out.append(" ".join(words))
    return out


def negation_marks(negated: Sequence[str]) -> sparse.csr_matrix:
    """Hashed 1-2-grams of :func:`negated_words`' output with each word marked ``not_``
    ("not_work not_at"), in the space of :func:`hashed_ngrams` (rows without words are 0)."""
    return hashed_ngrams([" ".join(f"not_{w}" for w in words.split()) for words in negated])


def non_answers(texts: Sequence[str]) -> np.ndarray:
    """Boolean per cleaned text: is the whole text an answer that says nothing (``N/A``,
    ``none``, ``no comment``, ``-``)? Such texts carry no evidence, like empty ones."""
    out = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        if len(text) <= 40:
            out[i] = _NON_ANSWER_RE.fullmatch(text.strip(" .!?,;:").lower()) is not None
    return out


def has_latin_word(texts: Sequence[str]) -> np.ndarray:
    """Boolean per text: does it contain a word of two or more Latin letters?"""
    return np.array([_LATIN_WORD_RE.search(t) is not None for t in texts], dtype=bool)


def clause_split(text: str) -> list[str]:
    """Clauses of one text: sentence ends, semicolons and contrastive conjunctions.

    Aspect sentiment is read from the clause that talks about the aspect: in "the food was
    great but the wait was absurd" the two aspects sit on either side of "but".
    """
    return _pieces(_CLAUSE_BOUNDARY.split(text))


def list_split(text: str) -> list[str]:
    """The items of a comma- or dash-separated list of remarks ("Great staff, awful
    website"), for a text about several themes that has no other clause boundary: each
    remark is usually about one of them. Not used otherwise, because a comma inside one
    remark ("the courier, who was late, ...") would cut it from its verdict."""
    return _pieces(_LIST_BOUNDARY.split(text))


def _pieces(parts: list[str]) -> list[str]:
    """The parts of a split worth reading on their own (more than two characters)."""
    return [p.strip() for p in parts if p and len(p.strip()) > 2]


_LIST_BOUNDARY = re.compile(r"\s*,\s*|\s+[-–—]\s+")

_CONTRAST_WORDS = r"\b(?:but|however|although|though|whereas|yet|except)\b"
#: A contrastive conjunction: the clauses on either side may differ in sentiment.
CONTRAST = re.compile(_CONTRAST_WORDS, re.IGNORECASE)

_CLAUSE_BOUNDARY = re.compile(
    rf"(?<=[.!?;])\s+|\s*[;\n]\s*|,?\s+{_CONTRAST_WORDS}\s+", re.IGNORECASE
)
