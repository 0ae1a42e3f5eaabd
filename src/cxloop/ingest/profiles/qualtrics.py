"""Qualtrics-style survey export: three header rows (ids, question text, ImportId JSON).

The question columns have ids like ``Q1``, so they are recognised by their question text on
the second header row: "How likely are you to recommend ..." is NPS, a question about
satisfaction is CSAT, about ease or effort is CES, and an open "why" question is the text.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from cxloop.ingest.profiles.base import Profile, normalise

_NPS = re.compile(r"likely.*recommend|recommend.*likely|\bnps\b", re.I)
_CSAT = re.compile(r"satisf", re.I)
_CES = re.compile(r"\beasy\b|\bease\b|effort", re.I)
_TEXT = re.compile(
    r"\bwhy\b|reason|comment|tell us|feedback|anything else|improve|explain|describe", re.I
)


class QualtricsProfile(Profile):
    name = "qualtrics"
    description = "survey export with 3 header rows: ResponseId, RecordedDate, Q-columns"
    channel = "survey"
    signature = ("responseid",)
    columns: ClassVar[dict[str, str]] = {
        "responseid": "external_id",
        "recordeddate": "received_at",
        "enddate": "received_at",
        "externalreference": "customer_id",
        "externaldatareference": "customer_id",
        "distributionchannel": "touchpoint",
        "userlanguage": "language",
    }

    def score(self, columns: list[str], lookahead: list[list[Any]]) -> float:
        present = {normalise(c) for c in columns}
        if "responseid" not in present:
            return 0.0
        base = 2.0 if {"recordeddate", "startdate"} & present else 1.5
        return base + (0.5 if self.header_rows(columns, lookahead) else 0.0)

    def header_rows(self, columns: list[str], lookahead: list[list[Any]]) -> int:
        """Row 2 holds the question texts and row 3 ``{"ImportId": ...}`` in new exports."""
        rid = next((i for i, c in enumerate(columns) if normalise(c) == "responseid"), None)
        count = 0
        for row in lookahead[:2]:
            cells = [str(v) for v in row if v is not None]
            is_import = any(c.startswith('{"ImportId"') for c in cells)
            is_label = (
                rid is not None
                and rid < len(row)
                and normalise(str(row[rid]))
                in (
                    "response_id",
                    "responseid",
                    "responseid_1",
                )
            )
            if is_import or is_label:
                count += 1
            else:
                break
        return count

    def mapping(self, columns: list[str], lookahead: list[list[Any]]) -> dict[str, str]:
        out = super().mapping(columns, lookahead)
        questions = self._question_texts(columns, lookahead)
        taken = set(out.values())
        for col in columns:
            if col in out:
                continue
            norm = normalise(col)
            question = questions.get(col, "")
            if norm.endswith("_nps_group"):
                continue
            target = None
            if "nps" not in taken and (_NPS.search(question) or norm.endswith("_nps")):
                target = "nps"
            elif "text" not in taken and (norm.endswith("_text") or _TEXT.search(question)):
                target = "text"
            elif "ces" not in taken and _CES.search(question):
                target = "ces"
            elif "csat" not in taken and _CSAT.search(question):
                target = "csat"
            if target:
                out[col] = target
                taken.add(target)
        return out

    def _question_texts(self, columns: list[str], lookahead: list[list[Any]]) -> dict[str, str]:
        if not lookahead or not self.header_rows(columns, lookahead):
            return {}
        row = lookahead[0]
        return {c: str(row[i]) for i, c in enumerate(columns) if i < len(row) and row[i]}
