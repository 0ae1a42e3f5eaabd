"""The canonical fields each kind of input is mapped onto, with their types and ranges.

Everything an ingestion profile or a user mapping can target is listed here, so the CLI,
the HTTP API and the docs agree on one vocabulary. Columns that map to none of these are
kept as free metadata (feedback ``extra``, customer ``attributes``, metric ``dimensions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["feedback", "customers", "metrics"]
KINDS: tuple[str, ...] = ("feedback", "customers", "metrics")

#: Field types: ``str`` kept verbatim; ``int``/``float`` with an inclusive range;
#: ``datetime`` parsed to UTC (naive values are taken as UTC); ``period`` is a date,
#: ``YYYY-MM`` or ``YYYY-Qn``.
FieldType = Literal["str", "int", "float", "datetime", "period"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType = "str"
    low: float | None = None
    high: float | None = None
    label: str = ""

    def range_text(self) -> str:
        if self.low is None or self.high is None:
            return ""
        return f"{self.low:g}–{self.high:g}"


FEEDBACK_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("external_id"),
    FieldSpec("received_at", "datetime"),
    FieldSpec("customer_id"),
    FieldSpec("channel"),
    FieldSpec("source"),
    FieldSpec("title"),
    FieldSpec("text"),
    FieldSpec("nps", "int", 0, 10, "NPS"),
    FieldSpec("csat", "int", 1, 5, "CSAT"),
    FieldSpec("ces", "int", 1, 7, "CES"),
    FieldSpec("rating", "float", 1, 5, "rating"),
    FieldSpec("language"),
    FieldSpec("journey_stage"),
    FieldSpec("touchpoint"),
)

CUSTOMER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("customer_id"),
    FieldSpec("name"),
    FieldSpec("email"),
    FieldSpec("segment"),
    FieldSpec("region"),
    FieldSpec("revenue", "float"),
    FieldSpec("status"),
    FieldSpec("signup_at", "datetime"),
    FieldSpec("churned_at", "datetime"),
    FieldSpec("churn_reason"),
)

#: Metrics come long (``period, name, value``) or wide (``period`` plus one numeric column
#: per metric). ``dimension`` and ``metric`` force a column's role in a wide file.
METRIC_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("period", "period"),
    FieldSpec("name"),
    FieldSpec("value", "float"),
    FieldSpec("dimension"),
    FieldSpec("metric"),
)

FIELDS_BY_KIND: dict[str, tuple[FieldSpec, ...]] = {
    "feedback": FEEDBACK_FIELDS,
    "customers": CUSTOMER_FIELDS,
    "metrics": METRIC_FIELDS,
}

#: Feedback scores: a row needs text, a title or at least one of these to be worth keeping.
SCORE_FIELDS: tuple[str, ...] = ("nps", "csat", "ces", "rating")

#: Fields that may be the target of several input columns (the others map one-to-one).
MULTI_TARGETS: frozenset[str] = frozenset({"dimension", "metric"})


def field_names(kind: str) -> list[str]:
    return [f.name for f in FIELDS_BY_KIND[kind]]


def spec_for(kind: str, name: str) -> FieldSpec:
    for spec in FIELDS_BY_KIND[kind]:
        if spec.name == name:
            return spec
    raise KeyError(name)
