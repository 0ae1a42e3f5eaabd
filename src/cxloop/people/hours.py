"""Business hours of a team: the calendar its SLA clocks run on.

Stored on ``teams.business_hours`` as ``{"tz": "Europe/Paris", "days": [0, 1, 2, 3, 4],
"start": "09:00", "end": "17:00"}`` (days: Monday = 0). An empty document means around the
clock (24x7), which is also what a case with no team uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxloop.errors import ValidationError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_SPEC = re.compile(
    r"^\s*(?P<d1>[a-z]{3})(?:\s*-\s*(?P<d2>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})(?:\s+(?P<tz>\S+))?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BusinessHours:
    """Working days and a daily window in one time zone; ``always`` means 24x7."""

    tz: str = "UTC"
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    start: time = time(0, 0)
    end: time = time(0, 0)
    always: bool = True

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def seconds_per_day(self) -> int:
        """Working seconds in one working day (a '1d' SLA is this long)."""
        if self.always:
            return 24 * 3600
        return (self.end.hour * 3600 + self.end.minute * 60) - (
            self.start.hour * 3600 + self.start.minute * 60
        )

    def to_dict(self) -> dict[str, Any]:
        if self.always:
            return {}
        return {
            "tz": self.tz,
            "days": list(self.days),
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
        }

    def describe(self) -> str:
        if self.always:
            return "24x7"
        days = ",".join(DAY_NAMES[d].title() for d in self.days)
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.tz}"

    @classmethod
    def from_dict(cls, doc: dict[str, Any] | None) -> BusinessHours:
        if not doc:
            return cls()
        return _build(
            str(doc.get("tz", "UTC")),
            tuple(int(d) for d in doc.get("days", (0, 1, 2, 3, 4))),
            str(doc.get("start", "09:00")),
            str(doc.get("end", "17:00")),
        )

    @classmethod
    def parse(cls, spec: str) -> BusinessHours:
        """Parse ``"Mon-Fri 09:00-17:00 Europe/Paris"`` (or ``"24x7"``)."""
        if spec.strip().lower() in ("24x7", "always", ""):
            return cls()
        m = _SPEC.match(spec)
        if not m:
            raise ValidationError(
                f"business hours {spec!r} are not in the form 'Mon-Fri 09:00-17:00 Europe/Paris'",
                details={"field": "hours"},
            )
        first = _day(m["d1"])
        last = _day(m["d2"]) if m["d2"] else first
        days = (
            tuple(range(first, last + 1)) if first <= last else (*range(first, 7), *range(last + 1))
        )
        return _build(m["tz"] or "UTC", days, m["start"], m["end"])


def _day(name: str) -> int:
    try:
        return DAY_NAMES.index(name.lower())
    except ValueError:
        raise ValidationError(
            f"{name!r} is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun",
            details={"field": "hours"},
        ) from None


def _clock(value: str) -> time:
    try:
        hh, mm = value.split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise ValidationError(
            f"{value!r} is not a time of day like 09:00", details={"field": "hours"}
        ) from None


def _build(tz: str, days: tuple[int, ...], start: str, end: str) -> BusinessHours:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"unknown time zone {tz!r}",
            hint="use an IANA name such as Europe/Paris",
            details={"field": "hours"},
        ) from None
    if not days or any(d < 0 or d > 6 for d in days):
        raise ValidationError(
            "working days must be between Mon (0) and Sun (6)", details={"field": "hours"}
        )
    t0, t1 = _clock(start), _clock(end)
    if t1 <= t0:
        raise ValidationError(
            f"the working day ends ({end}) before it starts ({start})", details={"field": "hours"}
        )
    return BusinessHours(tz=tz, days=tuple(sorted(set(days))), start=t0, end=t1, always=False)
