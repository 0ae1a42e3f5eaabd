"""Deterministic benchmark input: N feedback rows as a realistic survey CSV export.

Kept apart from the benchmark so tests and other scripts can make smaller files the same way.
The rows look like a real export: quoted free text with commas, quotes and the odd newline,
scores on some rows only, ISO timestamps with offsets, and two columns no profile knows
(they must land in ``extra``).
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HEADER = [
    "response_id",
    "received_at",
    "customer_id",
    "channel",
    "text",
    "nps",
    "csat",
    "language",
    "journey_stage",
    "touchpoint",
    "region",
    "product",
]
_OPENERS = ["The", "Our", "My", "This", "Your"]
_SUBJECTS = [
    "delivery",
    "support agent",
    "checkout",
    "refund",
    "app",
    "invoice",
    "onboarding",
    "price",
    "driver",
    "website",
    "return",
    "package",
    "call centre",
]
_VERDICTS = [
    "was quick and friendly",
    "took far too long",
    "is confusing, honestly",
    "worked perfectly",
    'was a "nightmare"',
    "could be cheaper",
    "made my day",
    "kept crashing",
    "was fine, nothing special",
    "solved my problem in minutes",
]
_TAILS = [
    "",
    " Thanks!",
    " Please fix it.",
    " Will order again.",
    "\nSecond line of the note.",
    " Not impressed, to be fair.",
    " 10/10 would recommend.",
]


def write_feedback_csv(path: Path, rows: int, seed: int = 7) -> Path:
    """Write ``rows`` feedback rows to ``path`` (overwriting it) and return the path."""
    rng = random.Random(seed)
    start = datetime(2024, 11, 1, tzinfo=UTC)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(rows):
            when = start + timedelta(seconds=rng.randrange(0, 730 * 86400))
            text = (
                f"{rng.choice(_OPENERS)} {rng.choice(_SUBJECTS)} {rng.choice(_VERDICTS)}."
                f"{rng.choice(_TAILS)}"
            )
            w.writerow(
                [
                    f"R{i:08d}",
                    when.isoformat(timespec="seconds"),
                    f"C{rng.randrange(50000):06d}",
                    rng.choice(["survey", "email", "web", "app"]),
                    text,
                    rng.randrange(11) if rng.random() < 0.8 else "",
                    rng.randrange(1, 6) if rng.random() < 0.4 else "",
                    rng.choice(["en", "en", "en", "fr", "de"]),
                    rng.choice(["discover", "buy", "receive", "use", "support"]),
                    rng.choice(["web", "store", "phone", "chat"]),
                    rng.choice(["North", "South", "East", "West"]),
                    f"P{rng.randrange(200):03d}",
                ]
            )
    return path
