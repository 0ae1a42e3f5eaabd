"""Text clean-up and sentence splitting.

Feedback arrives with HTML from web forms and help desks, markdown from chat tools, and
sometimes a whole pasted e-mail thread. Models and people should see the words, so markup is
removed before analysis; sentences are split with a rule-based splitter that knows common
abbreviations (fast, no model), and their number and length are capped so a 100 KB paste does
not produce an unbounded result.
"""

from __future__ import annotations

import html
import re

#: The most sentences kept per feedback item, and the longest sentence kept (characters).
MAX_SENTENCES = 200
MAX_SENTENCE_CHARS = 1000

_TAG = re.compile(
    r"<(?:script|style)\b[^>]*>.*?</(?:script|style)>|<!--.*?-->|<[^>]{0,2000}>", re.S | re.I
)
_BLOCK_TAG = re.compile(r"<(?:br|/p|/div|/li|/h[1-6]|/tr)\b[^>]*>", re.I)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARK = re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+\.\s+)|\*\*|__|`{1,3}|~~")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_NEWLINES = re.compile(r"\n{3,}")
_SPLIT = re.compile(
    r"(?<=[.!?。！？])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9¿¡À-ÖØ-Þ])|\n{2,}|(?<=[。！？])"
)
_ENDS = ".!?。！？"
_ABBREVIATION_TEXT = (
    "approx apr aug co corp dec dept dr e.g etc feb fig i.e inc jan jr jul jun ltd mar mr mrs "
    "ms no nov nr oct prof sep sept sr st vs "
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())


def clean_text(text: str | None) -> str:
    """The words of ``text``: HTML tags and entities, markdown markup and runs of spaces removed.

    Texts without ``<``, ``&``, markdown characters or repeated spaces are returned as they are
    (the common case, kept cheap).
    """
    if not text:
        return ""
    if "<" in text and ">" in text:
        text = _BLOCK_TAG.sub("\n", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if any(ch in text for ch in "#*_`[>~"):
        text = _MD_LINK.sub(r"\1", text)
        text = _MD_MARK.sub("", text)
    if "  " in text or "\t" in text or "\r" in text or "\u00a0" in text:
        text = _SPACES.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    if "\n\n\n" in text:
        text = _NEWLINES.sub("\n\n", text)
    return text.strip()


def split_sentences(text: str | None) -> list[str]:
    """Sentences of ``text`` (at most :data:`MAX_SENTENCES`, each at most
    :data:`MAX_SENTENCE_CHARS` characters); no sentence is empty."""
    if not text or not text.strip():
        return []
    if "\n\n" not in text and not any(mark in text for mark in _ENDS):
        # No sentence end anywhere (most short comments): one sentence, spaces collapsed.
        return [" ".join(text.split())[:MAX_SENTENCE_CHARS]]
    pieces = _SPLIT.split(text)
    sentences: list[str] = []
    carry = ""
    for piece in pieces:
        if piece is None:
            continue
        piece = piece.strip()
        if not piece:
            continue
        candidate = f"{carry} {piece}" if carry else piece
        last_word = candidate.rstrip(".").rsplit(" ", 1)[-1].lower()
        if last_word in _ABBREVIATIONS and candidate.endswith("."):
            carry = candidate
            continue
        carry = ""
        sentences.append(" ".join(candidate.split())[:MAX_SENTENCE_CHARS])
        if len(sentences) >= MAX_SENTENCES:
            return sentences
    if carry:
        sentences.append(" ".join(carry.split())[:MAX_SENTENCE_CHARS])
    return sentences[:MAX_SENTENCES]
