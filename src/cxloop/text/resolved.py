"""Good news in problem words, and short answers that approve, read as meant by the sentiment heads.

"My issue was resolved", "they fixed the problem", "got my refund within 3 days": word by
word these are complaints (issue, problem, refund), and the shipped heads read them so
(P(negative) 0.8-0.96 in both backends before weights 2026.11.5), because no training text
says that a problem went away, while thousands of bank queries say that one arrived. Follow-up
surveys after a case, reviews and social replies say it all the time.

Only the *sentiment* view of a text is rewritten (:func:`sentiment_view`): themes keep
reading the cleaned text, so "got my refund" still names the refunds theme, with a positive
aspect sentiment. A match is left alone when the clause before it doubts or negates it ("no
one fixed my problem", "they said it was fixed", "that might have solved it", "I need it
fixed"), when it is a question, or when the customer had to wait or chase for it ("finally
got my refund after six weeks").

An answer that only approves ("All good", "Everything was fine", "all ok thanks", "so far
so good") reads the same way (:func:`short_answers_as_meant`, weights 2026.11.6): MiniLM
called "All good" neutral and "Everything was fine" *negative* (P 0.73), so a satisfied
customer could open a case. Only whole answers count: "everything was fine until it broke"
is not one. A lukewarm whole answer ("It was ok", "fine", "average") reads "ok", which both
backends call neutral: MiniLM had called "It was ok" negative (P 0.62).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from cxloop.text.features import GOOD_NEWS

_SUBJECT = (
    r"(?:(?:my|the|our|this|that|your|their|all|any) )?"
    r"(?:problems?|issues?|query|queries|complaints?|case|ticket|it|everything|all|this|that)"
)
_WAS = (
    r"(?:(?:was|were|got|gets|is|are|has been|have been|had been|been|now|all|quickly|"
    r"promptly|fully|completely|successfully|easily|swiftly|immediately|straight away|"
    r"right away|soon) )*"
)
_SOLVED = r"(?:resolved|solved|fixed|sorted(?: out)?|taken care of|dealt with|rectified)"
_REFUND = r"(?:(?:my|the|a|our) )?(?:full )?refunds?"
_RESOLVED_RE = re.compile(
    rf"\b{_SUBJECT}(?:'s|'re)? {_WAS}{_SOLVED}\b"
    r"|\b(?:resolved|solved|fixed|sorted|took care of|dealt with|rectified) "
    r"(?:it|this|that|everything|all|(?:my|the|our|this|that) "
    r"(?:problems?|issues?|query|complaint|case|ticket))(?: out)?\b"
    rf"|\b(?:got|received|had|get) {_REFUND}\b(?!')"
    r"|\b(?:got|had|get) (?:my|our|the) money back\b"
    rf"|\b{_REFUND} {_WAS}(?:came|come|arrived|went|gone|processed|received|showed up|cleared)"
    r"(?: through| back| in)?\b",
    re.IGNORECASE,
)
#: Substrings every match holds: texts without any skip the expression.
_RESOLVED_WORDS = (
    "resolv",
    "solved",
    "fixed",
    "sorted",
    "care of",
    "dealt with",
    "rectified",
    "refund",
    "money back",
)
#: Words in the same clause before a match that make it a doubt, a wish or a denial.
_DOUBT_RE = re.compile(
    r"\b(?:not|never|no|nobody|nothing|yet|still|without|supposed|supposedly|apparently|"
    r"said|says|told|thought|assumed|believed|claim\w*|promis\w*|should|would|will|might|"
    r"may|could|can|must|meant|hope|hoping|wish|want|need|needs|"
    r"until|if|once|unless|when|get|getting|try|trying|to|how|whether|finally|eventually|"
    r"at last)\b|n't\b",
    re.IGNORECASE,
)
#: After a match, in the same sentence: the customer had to wait or chase for it.
_HARD_WON_RE = re.compile(
    r"\b(?:after|took|taking)\b.*\b(?:days?|weeks?|months?|calls?|emails?|attempts?|tries|"
    r"chasing|waiting)\b|\bchas(?:e|ed|ing)\b|\byet\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[.!?;,]|\bbut\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!;]")
#: A whole answer that only approves. "Everything"/"all" may say fine or ok; "it"/"that"/
#: "service" must say more than ok ("it was ok" is lukewarm: ``_LUKEWARM_RE``).
_APPROVAL_RE = re.compile(
    r"\W*(?:"
    r"(?:everything|all|it all|all in all|overall|all round)(?:,? (?:it|everything))?"
    r"(?: (?:was|is|went|has been|seems|seemed|looks|looked|'s))?"
    r"(?: (?:all|very|really|just|pretty|absolutely|totally|perfectly|so))?"
    r" (?:good|fine|ok|okay|alright|all right|great|perfect|smooth|smoothly|well|excellent|"
    r"spot on|as expected|sorted)"
    r"|(?:(?:it|that|this|service|the service|experience|the experience)"
    r"(?: (?:was|is|went|has been|'s))? )?"
    r"(?:all |very |really |just |absolutely |perfectly )?"
    r"(?:good|great|perfect|excellent|smooth|all good|all fine)"
    r"|so far so good"
    r")(?:(?:,|\.|!)* (?:thanks?|thank you|thankyou|cheers|ta|thx))?[^\w?]*",
    re.IGNORECASE,
)
#: A whole answer that is lukewarm: neither a complaint nor praise.
_LUKEWARM_RE = re.compile(
    r"\W*(?:(?:it|that|this|service|the service|experience|the experience)"
    r"(?: (?:was|is|'s|seemed|seems))? )?(?:just |pretty |quite |mostly )?"
    r"(?:ok|okay|fine|alright|all right|average|so-so|so so|meh|satisfactory|acceptable|"
    r"adequate|decent)[^\w?]*",
    re.IGNORECASE,
)
LUKEWARM = "ok"
#: A clause that calls one thing fine or ok ("Delivery was fine", "the staff were ok, but the
#: room was dirty"): up to three words of subject, a verb, the lukewarm word, then the end
#: of the clause. Both backends read such clauses as complaints (`embedding` P(negative)
#: 0.60-0.84 for "Delivery was fine", "Checkout was fine", "The app works fine"), since in
#: the reviews they learnt from "X was fine" mostly comes before a "but". Denied ("was not
#: fine"), negated subjects ("nothing was fine") and clauses that go on ("fine until it
#: broke") are left as written.
_LUKEWARM_CLAUSE_RE = re.compile(
    r"(?:^|(?<=[.!;,:] )|(?<=\bbut )|(?<=\band ))"
    r"(?!(?:nothing|none|no|nobody|no one|not|never)\b)"
    r"(?:(?:the|my|our|your|their|its|this|that|his|her) )?(?:[\w'-]+ ){0,2}?[\w'-]+ "
    r"(?:was|were|is|are|seemed|seems|works|worked|went|looks|looked|tastes|tasted)"
    r" (?:just |pretty |quite |mostly |generally |all )?"
    r"(?:fine|ok|okay|alright|all right|average|adequate|decent|acceptable|satisfactory|so-so)"
    r"(?=[.!;,:]|$| but\b| though\b| however\b| and\b)",
    re.IGNORECASE,
)
#: Every ``_LUKEWARM_CLAUSE_RE`` match holds one of these (on the lowered text; the word
#: always follows a space, which keeps "book" and "token" from running the expression).
_LUKEWARM_WORDS = (
    " fine",
    " ok",
    " alright",
    " all right",
    " average",
    " adequate",
    " decent",
    " acceptable",
    " satisfactory",
    " so-so",
)


def _replace(match: re.Match[str]) -> str:
    text = match.string
    before = _CLAUSE_END.split(text[max(0, match.start() - 40) : match.start()])[-1]
    after = _SENTENCE_END.split(text[match.end() :], maxsplit=1)[0]
    if _DOUBT_RE.search(before) or "?" in after or _HARD_WON_RE.search(after):
        return match.group(0)
    return GOOD_NEWS


def resolved_as_good(cleaned: Sequence[str]) -> list[str]:
    """``cleaned`` with each problem said to be solved rewritten to ``GOOD_NEWS``; an
    unchanged text is the same object, so callers find the changed rows with ``is not``."""
    out = []
    for text in cleaned:
        lowered = text.lower()
        if any(word in lowered for word in _RESOLVED_WORDS):
            rewritten = _RESOLVED_RE.sub(_replace, text)
            text = text if rewritten == text else rewritten
        out.append(text)
    return out


def _short_answer(text: str) -> str:
    if text == LUKEWARM:
        return text
    if len(text) <= 60:
        if _APPROVAL_RE.fullmatch(text):
            return GOOD_NEWS
        if _LUKEWARM_RE.fullmatch(text):
            return LUKEWARM
    lowered = text.lower()
    if any(word in lowered for word in _LUKEWARM_WORDS):
        rewritten = _LUKEWARM_CLAUSE_RE.sub(LUKEWARM, text)
        if rewritten != text:
            return rewritten
    return text


def short_answers_as_meant(cleaned: Sequence[str]) -> list[str]:
    """``cleaned`` with each whole answer that only approves replaced by ``GOOD_NEWS``, each
    lukewarm one by "ok" (only texts of at most 60 characters are whole answers), and in any
    other text each clause that calls one thing fine or ok by "ok"; an unchanged text is the
    same object."""
    return [_short_answer(text) for text in cleaned]


def replace_rows(
    matrix: sparse.csr_matrix, rows: Sequence[int], new: sparse.csr_matrix
) -> sparse.csr_matrix:
    """``matrix`` with ``rows`` replaced by the rows of ``new``, in order (O(nnz))."""
    n = matrix.shape[0]
    keep = np.ones(n, dtype=matrix.dtype)
    keep[list(rows)] = 0
    place = sparse.csr_matrix(
        (np.ones(len(rows), dtype=matrix.dtype), (list(rows), np.arange(len(rows)))),
        shape=(n, len(rows)),
    )
    return (sparse.diags(keep) @ matrix + place @ new).tocsr()


def sentiment_view(cleaned: Sequence[str]) -> tuple[list[str], list[int]]:
    """The texts the sentiment head reads, and the rows where they differ from ``cleaned``."""
    read = short_answers_as_meant(resolved_as_good(cleaned))
    changed = [i for i, (a, b) in enumerate(zip(cleaned, read, strict=True)) if a is not b]
    return read, changed
