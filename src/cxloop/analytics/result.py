"""The one result type every analysis returns: rows, the method used and the caveats.

Rows are plain dicts with JSON-safe values (no NaN: a value that cannot be estimated is
``None`` and the row says why in ``note``), so the CLI, the web app and reports render them
without knowing which analysis made them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def clean(value: Any) -> Any:
    """A JSON-safe scalar: numpy scalars unwrapped, NaN/inf become None, floats to 6
    significant digits (so a tiny p value stays tiny instead of rounding to 0)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return float(f"{value:.6g}")
    return value


@dataclass
class AnalysisResult:
    """What an analysis found. ``method`` says how (tests, intervals, corrections)."""

    analysis: str
    params: dict[str, Any]
    rows: list[dict[str, Any]]
    method: str
    caveats: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rows = [{k: clean(v) for k, v in row.items()} for row in self.rows]

    def as_dict(self) -> dict[str, Any]:
        """The JSON envelope ``{"analysis", "params", "rows", "method", "caveats"}``."""
        out: dict[str, Any] = {
            "analysis": self.analysis,
            "params": self.params,
            "rows": self.rows,
            "method": self.method,
            "caveats": self.caveats,
        }
        out.update(self.extra)
        return out
