"""Language detection that is fast on the common case and honest on the rest.

langdetect costs milliseconds per call, too slow to run on every short English comment when
the whole enrichment must reach thousands of items per second. So: texts without letters are
``und`` (undetermined, ISO 639-2); Latin-script texts are first scored against stop-word lists
of the common European languages and decided there when one language clearly wins; texts
whose letters are ASCII default to English unless another language has two or more stop-words
and English none (the fast path); everything else goes to
langdetect with a fixed seed so that a text always gets the same answer.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

UNDETERMINED = "und"
#: How much of a long text langdetect looks at (it converges long before that).
_DETECT_CHARS = 2000

_STOPWORD_TEXT = {
    "en": (
        "about after again all an and any are at be been but can could did didn't do does don't "
        "for from get got had has have i i'm in is it it's its just me my no not of on or our so "
        "still than that the their them then there they this to very was we were what when will "
        "with would you your a as by he her his how if like more one out she up who why"
    ),
    "es": (
        "al como con cuando de del el en es esta está fue hay la las lo los me mi muy más nada no "
        "para pero por porque que se son su también todo un una y ya"
    ),
    "fr": (
        "au aussi aux avec ce cette dans des du elle est et il je la le les ma mais mes mon ne "
        "nous parce pas plus pour que qui rien sur tout très un une vous était été"
    ),
    "de": (
        "aber auch auf das dass dem den der des die ein eine es für habe hat ich ist kein keine "
        "mein meine mit nicht noch nur schon sehr sie und war wie wir wurde zu"
    ),
    "it": (
        "alla anche che come con del della di e gli ho il la le lo ma mia mio molto nel niente "
        "non per perché quando questa questo sono tutto un una è"
    ),
    "pt": (
        "a ainda as com como da de do e em está foi isso mas meu minha muito na nada no não o os "
        "para porque quando que também um uma é"
    ),
    "nl": (
        "al bij dat de die een en geen heel het ik is maar met mijn naar niet nog ook op van voor "
        "was wel wij ze zijn"
    ),
}
_STOPWORDS = {lang: frozenset(words.split()) for lang, words in _STOPWORD_TEXT.items()}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_LETTER = re.compile(r"[^\W\d_]")
_NON_ASCII_LETTER = re.compile(r"[^\W\d_a-zA-Z]")
_LOCK = threading.Lock()
#: Random trials per langdetect call (langdetect's default is 7): each trial costs about a
#: millisecond; three already agree on everything but near-ties.
_TRIALS = 3
_FACTORY: Any = None


def _is_latin(text: str) -> bool:
    """True when at least 90% of the letters are Latin (Basic Latin .. Latin Extended-B)."""
    if text.isascii():
        return True
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(1 for ch in letters if ch < "\u0250")
    return bool(letters) and latin >= 0.9 * len(letters)


def _stopword_guess(words: frozenset[str], ascii_letters: bool) -> str | None:
    scores = {lang: len(words & stop) for lang, stop in _STOPWORDS.items()}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top >= 2 and top >= 2 * second:
        return best
    if top >= 1 and second == 0 and len(words) <= 4:
        return best
    if ascii_letters and (scores["en"] > 0 or top < 2):
        # ASCII letters and no clear evidence of another language: the fast path for short
        # English comments (statistical detection is unreliable on them anyway).
        return "en"
    return None


def _langdetect(text: str) -> str:
    global _FACTORY
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    with _LOCK:
        if _FACTORY is None:
            factory = DetectorFactory()
            factory.load_profile(PROFILES_DIRECTORY)
            factory.set_seed(0)
            _FACTORY = factory
        try:
            detector = _FACTORY.create()
            detector.n_trial = _TRIALS
            detector.append(text[:_DETECT_CHARS])
            candidates = detector.get_probabilities()
        except LangDetectException:
            return UNDETERMINED
    if not candidates:
        return UNDETERMINED
    lang = str(candidates[0].lang)
    return lang if lang.startswith("zh") else lang.split("-")[0]


def detect_language(text: str | None, *, words: frozenset[str] | None = None) -> str:
    """ISO 639-1 code of ``text`` (``zh-cn``/``zh-tw`` for Chinese), ``und`` when unknowable.

    ``words`` (the distinct lower-cased words of ``text``) may be passed when already known.
    """
    if not text:
        return UNDETERMINED
    sample = text[:_DETECT_CHARS]
    if not _LETTER.search(sample):
        return UNDETERMINED
    if _is_latin(sample):
        if words is None:
            words = frozenset(_WORD.findall(sample.lower()))
        ascii_letters = sample.isascii() or not _NON_ASCII_LETTER.search(sample)
        guess = _stopword_guess(words, ascii_letters)
        if guess:
            return guess
    else:
        # Scripts that name their language outright need no statistics.
        for ch in sample:
            if ch.isalpha():
                name = unicodedata.name(ch, "")
                if name.startswith(("HIRAGANA", "KATAKANA")):
                    return "ja"
                if name.startswith("HANGUL"):
                    return "ko"
                if name.startswith("THAI"):
                    return "th"
                if name.startswith("GREEK"):
                    return "el"
                if name.startswith("HEBREW"):
                    return "he"
    return _langdetect(sample)


def detect_languages(texts: list[str | None]) -> list[str]:
    """Language per text (see :func:`detect_language`)."""
    return [detect_language(t) for t in texts]
