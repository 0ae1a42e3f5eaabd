"""Build the fitted theme classifier that cxloop ships for the default taxonomy and journey.

The ``fast`` backend's classifier for the built-in taxonomy is fitted once here and stored in
``src/cxloop/text/weights/classifiers/`` (compressed arrays, about 100 KB), so the first
``cxloop text score`` or ``cxloop enrich`` on a new machine restores it instead of importing
scikit-learn and fitting (about 2 s). Its file name carries the engine-cache key, which
covers the content of every file of ``cxloop.text``: after changing any of them, run this
script again (``tests/text/test_shipped_classifier.py`` fails until you do).

Usage: .venv/bin/python scripts/build_default_classifiers.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from cxloop.text.engine_cache import SHIPPED_DIR, load_engine


def main() -> None:
    SHIPPED_DIR.mkdir(parents=True, exist_ok=True)
    for old in SHIPPED_DIR.glob("classifier-*.npz"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        load_engine("fast", cache_dir=Path(tmp))  # fits the default taxonomy and writes it
        for fitted in Path(tmp).glob("classifier-fast-*.npz"):
            shutil.copy(fitted, SHIPPED_DIR / fitted.name)
            print(f"wrote {SHIPPED_DIR / fitted.name} ({fitted.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
