"""A disk cache of warmed-up text engines, so start-up does not dominate short runs.

Loading a backend and fitting its theme classifier for a taxonomy can take far longer than
scoring a file of ten thousand comments (for ``fast`` with the default taxonomy: seconds of
loading and fitting against a fraction of a second to unpickle the result). The warmed engine
is therefore pickled once per (backend, options, taxonomy, journey, code and weights) and
reused by later runs.

The key covers everything that changes results: the backend name and options, the taxonomy
and journey fingerprints, the pipeline version, and the size and modification time of every
file of the ``cxloop.text`` package (code and shipped weights), so an upgrade or retraining
invalidates it. Engines that hold PyTorch models are not cached (large, and fragile to
unpickle). Only files this module wrote are read back: the cache lives in the workspace
(``$CXLOOP_HOME/cache``) or the user's cache folder, which only that user can write.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cxloop.text.journey import Journey, default_journey
from cxloop.text.pipeline import PIPELINE_VERSION, TextEngine
from cxloop.text.taxonomy import default_taxonomy, taxonomy_fingerprint
from cxloop.text.types import ThemeDefinition

log = logging.getLogger(__name__)
#: Engines bigger than this are not written (MB).
MAX_CACHE_MB = 300
#: Engines kept per backend (one per taxonomy/journey in use).
KEEP_PER_BACKEND = 4
_TEXT_PACKAGE = Path(__file__).resolve().parent


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/cxloop`` (default ``~/.cache/cxloop``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cxloop"


def _code_stamp() -> str:
    digest = hashlib.sha256()
    for path in sorted(_TEXT_PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            stat = path.stat()
            digest.update(
                f"{path.relative_to(_TEXT_PACKAGE)}:{stat.st_size}:{stat.st_mtime_ns}".encode()
            )
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


def load_engine(
    backend: str | Any,
    taxonomy: Sequence[ThemeDefinition] | None = None,
    journey: Journey | None = None,
    *,
    cache_dir: Path | None = None,
) -> TextEngine:
    """A warmed-up :class:`TextEngine`, from the cache when possible.

    ``backend`` given as an object (not a name) is used as it is, without caching; so is any
    backend when ``cache_dir`` is None.
    """
    taxonomy = tuple(default_taxonomy() if taxonomy is None else taxonomy)
    journey = journey or default_journey()
    if cache_dir is None or not isinstance(backend, str):
        return TextEngine(backend, taxonomy, journey)
    path = cache_dir / f"engine-{backend}-{engine_key(backend, taxonomy, journey)[:24]}.pkl"
    if path.is_file():
        try:
            with path.open("rb") as handle:
                engine = pickle.load(handle)  # noqa: S301 - a file this module wrote, see above
            if isinstance(engine, TextEngine):
                return engine
        except Exception as exc:  # a damaged or outdated cache file is rebuilt, never fatal
            log.warning("ignoring unreadable engine cache %s: %s", path, exc)
    engine = TextEngine(backend, taxonomy, journey)
    engine.warm_up()
    if not _holds_torch(engine):
        _write(path, engine, backend)
    return engine


def _holds_torch(engine: TextEngine) -> bool:
    """Whether the engine's backend keeps a PyTorch model (checked on the object, not on
    whether torch happens to be imported elsewhere in the process)."""
    seen: set[int] = set()
    stack: list[Any] = [engine.backend]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or len(seen) > 200:
            continue
        seen.add(id(obj))
        if type(obj).__module__.split(".")[0] in ("torch", "sentence_transformers", "transformers"):
            return True
        if hasattr(obj, "__dict__"):
            stack.extend(v for v in vars(obj).values() if hasattr(v, "__dict__"))
    return False


def _write(path: Path, engine: TextEngine, name: str) -> None:
    try:
        data = pickle.dumps(engine, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an engine that cannot be pickled simply is not cached
        log.info("text engine not cached: %s", exc)
        return
    if len(data) > MAX_CACHE_MB * 1_000_000:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        older = sorted(path.parent.glob(f"engine-{name}-*.pkl"), key=lambda p: p.stat().st_mtime)
        for old in older[: -(KEEP_PER_BACKEND - 1)]:
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        log.info("text engine not cached at %s: %s", path, exc)
