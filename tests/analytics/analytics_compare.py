"""Compare two analysis results: same rows, same text, numbers equal within float tolerance.

Roll-up sums are added in a different order than the exact query's, so floats may differ in
the last bits; results are rounded to 6 significant digits, so a value on a rounding edge
may differ by one unit in the sixth digit. Everything else must be identical.
"""

from __future__ import annotations

import math
from typing import Any

from cxloop.analytics import AnalysisResult

REL = 2e-5
ABS = 1e-9


def same_value(a: Any, b: Any, path: str = "") -> list[str]:
    """Differences between ``a`` and ``b`` (empty when equal), with where they are."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return [] if a == b else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, int | float) and isinstance(b, int | float):
        if math.isclose(float(a), float(b), rel_tol=REL, abs_tol=ABS):
            return []
        return [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))} differ"]
        return [d for k in a for d in same_value(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in same_value(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def result_differences(a: AnalysisResult, b: AnalysisResult) -> list[str]:
    """Differences in rows, method, caveats and extras of two results of one analysis."""
    return same_value(a.as_dict(), b.as_dict(), a.analysis)
