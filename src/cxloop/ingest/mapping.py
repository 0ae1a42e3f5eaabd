"""Deciding which input column feeds which canonical field, and checking it is enough.

The profile proposes a mapping from the headers; the user's ``--map COLUMN=FIELD`` wins over
it. Whatever maps to nothing is kept as metadata. Problems with the mapping concern the whole
file, so they raise :class:`InputError` before a single row is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cxloop.errors import InputError
from cxloop.ingest.fields import FIELDS_BY_KIND, MULTI_TARGETS, SCORE_FIELDS, field_names
from cxloop.ingest.profiles import Profile, detect_profile, get_profile, normalise

#: Mapping targets that mean "keep this column as metadata" (the default for unmapped ones).
KEEP_AS_EXTRA = frozenset({"extra", "keep", "metadata", "attribute", ""})


@dataclass
class Resolution:
    """The decided mapping for one input."""

    kind: str
    profile: Profile
    #: input column -> canonical field (only mapped columns).
    mapping: dict[str, str]
    header_rows: int = 0
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def field_to_column(self) -> dict[str, str]:
        return {f: c for c, f in self.mapping.items() if f not in MULTI_TARGETS}

    def fingerprint(self) -> str:
        """Changes whenever the mapping does, so re-mapped rows count as updated."""
        doc = json.dumps([self.kind, sorted(self.mapping.items())], ensure_ascii=False)
        return hashlib.blake2b(doc.encode(), digest_size=8).hexdigest()


def parse_map_option(values: list[str] | str | None) -> dict[str, str]:
    """``["Score=nps", "Comment=text,Date=received_at"]`` -> ``{"Score": "nps", ...}``."""
    if not values:
        return {}
    if isinstance(values, str):
        values = [values]
    out: dict[str, str] = {}
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            column, sep, target = part.rpartition("=")
            if not sep or not column.strip():
                raise InputError(
                    f"--map '{part}' is not COLUMN=FIELD",
                    hint="example: --map 'Likelihood to recommend=nps'",
                )
            out[column.strip()] = target.strip()
    return out


def _match_column(name: str, columns: list[str]) -> str | None:
    if name in columns:
        return name
    norm = normalise(name)
    return next((c for c in columns if normalise(c) == norm), None)


def resolve_mapping(
    kind: str,
    columns: list[str],
    lookahead: list[list[Any]],
    *,
    profile: str | None = None,
    mapping: Mapping[str, str] | None = None,
    require: bool = True,
) -> Resolution:
    """Combine the (detected or named) profile with the user's mapping and validate it."""
    if kind not in FIELDS_BY_KIND:
        raise InputError(f"unknown kind '{kind}'", hint="use feedback, customers or metrics")
    prof = get_profile(profile, kind) if profile else detect_profile(kind, columns, lookahead)
    header_rows = prof.header_rows(columns, lookahead)
    proposed = dict(prof.mapping(columns, lookahead))
    valid = set(field_names(kind))
    user: dict[str, str] = {}
    for col, target in (mapping or {}).items():
        matched = _match_column(col, columns)
        if matched is None:
            raise InputError(
                f"--map names column '{col}', which is not in the file",
                hint=f"columns are: {', '.join(columns[:40])}",
            )
        target = target.strip().lower()
        if target not in valid and target not in KEEP_AS_EXTRA:
            raise InputError(
                f"'{target}' is not a {kind} field",
                hint=f"map to one of: {', '.join(sorted(valid))} (or 'extra' to keep as metadata)",
            )
        user[matched] = target
    final: dict[str, str] = {}
    user_targets = {t for t in user.values() if t not in MULTI_TARGETS}
    for col, target in proposed.items():
        if col in user or target in user_targets:
            continue
        final[col] = target
    for col, target in user.items():
        if target not in KEEP_AS_EXTRA:
            final[col] = target
    seen: dict[str, str] = {}
    for col, target in final.items():
        if target in MULTI_TARGETS:
            continue
        if target in seen:
            raise InputError(
                f"columns '{seen[target]}' and '{col}' both map to {target}",
                hint=f"map one of them elsewhere, e.g. --map '{col}=extra'",
            )
        seen[target] = col
    res = Resolution(kind, prof, final, header_rows, dict(prof.value_maps))
    if require:
        check_required(res, columns)
    return res


def check_required(res: Resolution, columns: list[str]) -> None:
    """A file that cannot give any usable row is refused as a whole."""
    targets = set(res.mapping.values())
    shown = ", ".join(columns[:30])
    if res.kind == "feedback":
        if not targets & {"text", "title", *SCORE_FIELDS}:
            raise InputError(
                "no column holds feedback text, a title or a score (nps, csat, ces, rating)",
                hint=f"map one, e.g. --map 'Comment=text' (columns: {shown})",
            )
    elif res.kind == "customers":
        if "customer_id" not in targets:
            raise InputError(
                "the required column customer_id is missing",
                hint=f"map the column holding the customer's id: --map 'Id=customer_id' "
                f"(columns: {shown})",
            )
    elif res.kind == "metrics":
        if "period" not in targets:
            raise InputError(
                "the required column period is missing (a date, YYYY-MM or YYYY-Qn)",
                hint=f"map it: --map 'Month=period' (columns: {shown})",
            )
        if "value" in targets and "name" not in targets:
            raise InputError(
                "a long metrics file needs a name column next to value",
                hint="map it with --map 'Metric=name', or use a wide file (one column per metric)",
            )
