"""A problem the customer says was solved reads as good news to the sentiment heads.

"My issue was resolved", "they fixed the problem", "got my refund within 3 days", "the agent
fixed my booking", "the technician fixed the router": word by
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

Short answers that approve, are lukewarm or complain in few words are read by
:mod:`cxloop.text.short_answers`; :func:`sentiment_view` applies both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from cxloop.text.emoji_words import emoji_as_words
from cxloop.text.features import GOOD_NEWS
from cxloop.text.short_answers import short_answers_as_meant

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
#: A thing of the customer's fixed by the customer ("I fixed the DC jack myself") is no
#: solved case.
_BY_THEM = r"(?<!\bi )(?<!\bi've )(?<!\bwe )(?<!\bwe've )(?<!\bi had )(?<!\bwe had )"
_RESOLVED_RE = re.compile(
    rf"\b{_SUBJECT}(?:'s|'re)? {_WAS}{_SOLVED}\b"
    r"|\b(?:resolved|solved|fixed|sorted|took care of|dealt with|rectified) "
    r"(?:it|this|that|everything|all|(?:my|the|our|this|that) "
    r"(?:problems?|issues?|query|complaint|case|ticket))(?: out)?\b"
    rf"|{_BY_THEM}\b(?:fixed|sorted out|rectified|repaired) (?:my|our) [\w'-]+\b"
    rf"|{_BY_THEM}\b(?:fixed|repaired) the (?!(?:price|prices|rate|rates|fee|fees|date|dates|"
    r"term|terms|amount|cost|costs|menu|time|times)\b)[\w'-]+\b"
    rf"|\b(?:got|received|had|get) {_REFUND}\b(?!')"
    r"|\b(?:got|had|get) (?:my|our|the) money back\b"
    rf"|\b{_REFUND} {_WAS}(?:came|come|arrived|went|gone|processed|received|showed up|cleared)"
    r"(?: through| back| in)?\b",
    re.IGNORECASE,
)
#: Substrings every match holds: texts without any skip the expression.
_RESOLVED_WORDS = (
    "repaired",
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
    """The texts the sentiment head reads, and the rows where they differ from ``cleaned``:
    solved problems, emoji as words ("👎" reads "bad") and short answers as meant."""
    # Emoji first: "the delivery 😍" is praise, not a whole answer that only names a topic.
    read = short_answers_as_meant([emoji_as_words(t) for t in resolved_as_good(cleaned)])
    changed = [i for i, (a, b) in enumerate(zip(cleaned, read, strict=True)) if a is not b]
    return read, changed
