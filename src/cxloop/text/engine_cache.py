"""A disk cache of fitted theme classifiers, so start-up does not dominate short runs.

Fitting a backend's theme classifier for a taxonomy means featurising every anchor and example
(MiniLM for ``embedding``) and fitting a logistic regression per taught theme; for ``fast``
with the default taxonomy that alone imports scikit-learn (about a second) and takes about as
long as scoring a 15,000-row file. The fitted state is a handful of numeric arrays, so it is
written once per (backend, options, taxonomy, journey, code and weights) as a small ``.npz``
file — plain arrays, read back with ``allow_pickle=False``, so a cache file can never run code
— and installed into a freshly loaded backend by later runs. The backend's own weights are
``.npz`` files already and load in milliseconds.

The key covers everything that changes results: the backend name, options and version (model
folder and device for ``embedding``), the taxonomy and journey fingerprints, the pipeline
version, and the content of every file of the ``cxloop.text`` package (code and shipped
weights), so an upgrade or retraining invalidates it. Because the key depends on content only,
the project ships the ``fast`` backend's classifier for the default taxonomy and journey in
``weights/classifiers/`` (built by ``scripts/build_default_classifiers.py``, about 100 KB): a
first run on a new machine restores it instead of importing scikit-learn to fit (about 2 s).
A classifier whose fitted state holds anything but arrays, sparse matrices and the per-theme
example models is simply not cached (it is fitted each run, as before). The cache lives in
the workspace (``$CXLOOP_HOME/cache``) or the user's cache folder (``~/.cache/cxloop``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cxloop.text.journey import Journey, default_journey
from cxloop.text.pipeline import PIPELINE_VERSION, BackendSpec, TextEngine, backend_name
from cxloop.text.taxonomy import default_taxonomy, taxonomy_fingerprint
from cxloop.text.types import ThemeDefinition

log = logging.getLogger(__name__)
#: Classifier files kept per backend (one per taxonomy/journey in use).
KEEP_PER_BACKEND = 4
_TEXT_PACKAGE = Path(__file__).resolve().parent


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/cxloop`` (default ``~/.cache/cxloop``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cxloop"


#: Shipped fitted classifiers (default taxonomy and journey); not part of the code stamp.
_SHIPPED = _TEXT_PACKAGE / "weights" / "classifiers"
SHIPPED_DIR = _SHIPPED


@functools.cache
def _code_stamp() -> str:
    """A digest of the content of every file of ``cxloop.text`` (about 4 MB: ~10 ms, once)."""
    digest = hashlib.sha256()
    for path in sorted(_TEXT_PACKAGE.rglob("*")):
        if (
            not path.is_file()
            or "__pycache__" in path.parts
            or path.suffix == ".pyc"
            or _SHIPPED in path.parents  # not SHIPPED_DIR: tests point that elsewhere
        ):
            continue
        digest.update(str(path.relative_to(_TEXT_PACKAGE).as_posix()).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def engine_key(
    backend: str,
    taxonomy: Sequence[ThemeDefinition],
    journey: Journey,
    options: dict[str, Any] | None = None,
) -> str:
    payload = {
        "backend": backend,
        "options": options or {},
        "taxonomy": taxonomy_fingerprint(taxonomy),
        "journey": journey.fingerprint(),
        "pipeline": PIPELINE_VERSION,
        "python": sys.version_info[:2],
        "code": _code_stamp(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def classifier_file_name(
    backend: str, taxonomy: Sequence[ThemeDefinition], journey: Journey, model: Any
) -> str:
    """The cache file name of a backend's classifier for this taxonomy and journey."""
    key = engine_key(backend, taxonomy, journey, _backend_identity(model))
    return f"classifier-{backend}-{key[:24]}.npz"


def _backend_identity(backend: Any) -> dict[str, str]:
    """What, beyond its name, makes a loaded backend featurise differently."""
    encoder = getattr(backend, "encoder", None)
    return {
        "version": str(getattr(backend, "version", "")),
        "model_path": str(getattr(encoder, "model_path", "")),
        "device": str(getattr(encoder, "device", "")),
        "precision": str(getattr(encoder, "precision", "")),
    }


def load_engine(
    backend: BackendSpec,
    taxonomy: Sequence[ThemeDefinition] | None = None,
    journey: Journey | None = None,
    *,
    cache_dir: Path | None = None,
) -> TextEngine:
    """A :class:`TextEngine` whose theme classifier is fitted (restored from the cache when
    possible).

    ``backend`` given as an object (not a name) is used as it is, without caching; so is any
    backend when ``cache_dir`` is None, and any backend without a linear-heads classifier.
    """
    taxonomy = tuple(default_taxonomy() if taxonomy is None else taxonomy)
    journey = journey or default_journey()
    engine = TextEngine(backend, taxonomy, journey)
    model: Any = engine.backend
    name = backend_name(backend)
    if (
        cache_dir is None
        or name is None
        or not taxonomy
        or not callable(getattr(model, "new_classifier", None))
        or not callable(getattr(model, "install_classifier", None))
    ):
        return engine
    path = cache_dir / classifier_file_name(name, taxonomy, journey, model)
    for candidate in (path, SHIPPED_DIR / path.name):
        if not candidate.is_file():
            continue
        try:
            classifier = model.new_classifier()
            restore_fitted(classifier, taxonomy, candidate)
            model.install_classifier(taxonomy, classifier)
            return engine
        except Exception as exc:  # a damaged or outdated cache file is rebuilt, never fatal
            log.warning("ignoring unreadable classifier cache %s: %s", candidate, exc)
    fitted = model.classifier(taxonomy)
    arrays = fitted_arrays(fitted, taxonomy)
    if arrays is not None:
        _write(path, arrays, name)
    return engine


# --- fitted state as plain arrays -----------------------------------------------------------


def fitted_arrays(classifier: Any, taxonomy: Sequence[ThemeDefinition]) -> dict[str, Any] | None:
    """The fitted attributes (names ending in ``_``) of ``classifier`` as named arrays, or
    None when one of them is of a kind this cache does not know (then nothing is cached)."""
    from scipy import sparse

    arrays: dict[str, Any] = {}
    for name, value in vars(classifier).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        if name == "themes_":
            if list(value) != list(taxonomy):
                return None
        elif isinstance(value, np.ndarray) and value.dtype != object:
            arrays[f"array.{name}"] = value
        elif sparse.issparse(value):
            csr = sparse.csr_matrix(value)
            arrays[f"csr.{name}.data"] = csr.data
            arrays[f"csr.{name}.indices"] = csr.indices
            arrays[f"csr.{name}.indptr"] = csr.indptr
            arrays[f"csr.{name}.shape"] = np.array(csr.shape, dtype=np.int64)
        elif _is_head_dict(value):
            keys = sorted(value)
            width = len(value[keys[0]][0]) if keys else 0
            arrays[f"heads.{name}.keys"] = np.array(keys, dtype=np.int64)
            arrays[f"heads.{name}.coef"] = (
                np.stack([value[k][0] for k in keys]) if keys else np.zeros((0, width), np.float32)
            )
            arrays[f"heads.{name}.intercept"] = np.array([value[k][1] for k in keys], np.float64)
            arrays[f"heads.{name}.weight"] = np.array([value[k][2] for k in keys], np.float64)
        else:
            log.info("theme classifier not cached: fitted attribute %s is a %s", name, type(value))
            return None
    return arrays


def _is_head_dict(value: Any) -> bool:
    """``{theme index: (coef array, intercept, weight)}``: the per-theme example models."""
    return isinstance(value, dict) and all(
        isinstance(k, int)
        and isinstance(v, tuple)
        and len(v) == 3
        and isinstance(v[0], np.ndarray)
        and all(isinstance(x, float | int) for x in v[1:])
        for k, v in value.items()
    )


def restore_fitted(classifier: Any, taxonomy: Sequence[ThemeDefinition], path: Path) -> None:
    """Set the fitted attributes saved by :func:`fitted_arrays` on an unfitted classifier."""
    from scipy import sparse

    state: dict[str, Any] = {"themes_": list(taxonomy)}
    with np.load(path, allow_pickle=False) as data:
        names = set(data.files)
        for key in names:
            kind, name, *_ = key.split(".")
            if kind == "array":
                state[name] = data[key]
            elif kind == "csr" and key.endswith(".data"):
                state[name] = sparse.csr_matrix(
                    (data[key], data[f"csr.{name}.indices"], data[f"csr.{name}.indptr"]),
                    shape=tuple(int(v) for v in data[f"csr.{name}.shape"]),
                )
            elif kind == "heads" and key.endswith(".keys"):
                coef = data[f"heads.{name}.coef"]
                intercept = data[f"heads.{name}.intercept"]
                weight = data[f"heads.{name}.weight"]
                state[name] = {
                    int(k): (coef[i], float(intercept[i]), float(weight[i]))
                    for i, k in enumerate(data[key])
                }
    unfitted = [n for n in vars(classifier) if n.endswith("_") and not n.startswith("_")]
    if unfitted:
        raise ValueError(f"classifier already has fitted attributes {unfitted}")
    for name, value in state.items():
        setattr(classifier, name, value)


def _write(path: Path, arrays: dict[str, Any], name: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f"engine-{name}-*.pkl"):  # caches of older versions
            stale.unlink(missing_ok=True)
        older = sorted(
            path.parent.glob(f"classifier-{name}-*.npz"), key=lambda p: p.stat().st_mtime
        )
        for old in older[: -(KEEP_PER_BACKEND - 1)]:
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as handle:
            # compressed: the per-theme heads are mostly zeros (10 MB -> about 100 KB)
            np.savez_compressed(handle, **arrays)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        log.info("theme classifier not cached at %s: %s", path, exc)
