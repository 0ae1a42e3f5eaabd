"""The ingest-profile protocol: recognise a tool's export and map its columns.

A profile is a small class with three questions to answer about a file's header (and its
first rows): how sure am I that this is my export (:meth:`score`), how many extra header rows
follow the first one (:meth:`header_rows`), and which column holds which canonical field
(:meth:`mapping`). ``value_maps`` translate a tool's words into numbers (Zendesk's "Good").
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise(name: str) -> str:
    """``"Review Created (UTC)"`` -> ``"review_created_utc"``: how headers are compared."""
    return _NON_WORD.sub("_", name.strip().lower()).strip("_")


class Profile:
    """Base profile; subclasses set the class attributes and usually override ``score``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: Which kind of input the profile reads.
    kind: ClassVar[str] = "feedback"
    #: Channel written on every row that has no channel column.
    channel: ClassVar[str | None] = None
    #: normalised column name -> canonical field, in order of preference.
    columns: ClassVar[dict[str, str]] = {}
    #: Headers that must all be present for :meth:`score` to be non-zero.
    signature: ClassVar[tuple[str, ...]] = ()
    #: field -> {lower-cased input value -> replacement}; unlisted values pass through.
    value_maps: ClassVar[dict[str, dict[str, str]]] = {}

    def score(self, columns: list[str], lookahead: list[list[Any]]) -> float:
        """0 when this is not the profile's export; higher means more certain."""
        present = {normalise(c) for c in columns}
        if not self.signature or not all(s in present for s in self.signature):
            return 0.0
        return 1.0 + sum(1 for c in self.columns if c in present) / 100

    def header_rows(self, columns: list[str], lookahead: list[list[Any]]) -> int:
        """Rows after the first header row that are still header (0 for most tools)."""
        return 0

    def mapping(self, columns: list[str], lookahead: list[list[Any]]) -> dict[str, str]:
        """{input column: canonical field}; the first column found for a field wins."""
        by_norm: dict[str, str] = {}
        for name_ in columns:
            by_norm.setdefault(normalise(name_), name_)
        out: dict[str, str] = {}
        taken: set[str] = set()
        for norm, target in self.columns.items():
            col = by_norm.get(norm)
            if col is not None and target not in taken and col not in out:
                out[col] = target
                taken.add(target)
        return out
