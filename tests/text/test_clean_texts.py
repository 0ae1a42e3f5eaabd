"""``clean_texts`` (a plain loop) gives exactly what the pandas string pipeline it replaced
gave, so the shipped weights see the same features."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cxloop.text.features import (
    _APOSTROPHES,
    _HANDLE,
    _LEADING_HANDLES,
    _MARKDOWN,
    _NO_PROBLEM_RE,
    _TAG,
    _URL,
    GOOD_NEWS,
    MAX_CHARS,
    clean_texts,
    has_latin_word,
)

SAMPLES = [
    None,
    float("nan"),
    "",
    "   \t\n ",
    "<p>Great <b>service</b></p> &amp; fast!",
    "see https://example.com/x?y=1 or www.shop.com now",
    "@airline my bag is lost @help_desk",
    "  @united, @AmericanAir: thanks @maria",
    "@only_a_handle",
    "No complaints, never had a PROBLEM and can't fault them; not bad at all",
    "can't beat it, never fails, wouldn't change a thing, nothing wrong",
    "**bold** _it_ `code` # head > quote [link](url)",
    "tab\tnew\nline\r\nnbsp\u00a0end\u2003em",
    "5 &lt;b&gt;escaped&lt;/b&gt; &#64;user &unknown;",
    "x" * (MAX_CHARS + 50),
    "emoji 😀 only 😀",
    "mixed 東京 and Ünïcödé",
    "a < b and c > d",
    "didn\u2019t arrive, \u2018quoted\u2019, \u02bcok\u00b4 &rsquo;",
]


def pandas_reference(texts: list[object]) -> list[str]:
    """The former implementation, kept here as the specification."""
    series = pd.Series(list(texts), dtype="object").fillna("").astype(str).str.slice(0, MAX_CHARS)
    series = series.str.replace(_TAG, " ", regex=True)
    if series.str.contains("&", regex=False).any():
        series = series.map(html.unescape)
    series = series.str.translate(_APOSTROPHES)
    series = series.str.replace(_URL, " http ", regex=True)
    series = series.str.replace(_LEADING_HANDLES, "", regex=True)
    series = series.str.replace(_HANDLE, "@user", regex=True)
    series = series.str.replace(_MARKDOWN, " ", regex=True)
    series = series.str.replace(r"\s+", " ", regex=True).str.strip()
    series = series.str.replace(_NO_PROBLEM_RE, GOOD_NEWS, regex=True)
    return series.tolist()


def test_same_as_pandas_on_awkward_samples() -> None:
    assert clean_texts(SAMPLES) == pandas_reference(SAMPLES)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(), max_size=60) | st.none(), max_size=6))
def test_same_as_pandas_on_any_text(texts: list[str | None]) -> None:
    assert clean_texts(texts) == pandas_reference(texts)  # type: ignore[arg-type]


def test_latin_word_flags() -> None:
    texts = ["hello", "a", "東京", "x y", "ok 😀", ""]
    expected = pd.Series(texts).str.contains(r"[A-Za-z]{2}", regex=True).to_numpy(dtype=bool)
    assert np.array_equal(has_latin_word(texts), expected)
