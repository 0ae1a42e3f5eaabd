"""langdetect's language profiles as one sparse array file, cached per user.

``DetectorFactory.load_profile`` parses 55 JSON profiles into 88,000 Python lists, about 0.4 s
in every process that detects a language (each enrichment worker); the same numbers as one
sparse matrix in an ``.npz`` load in milliseconds. Detection reads the map only with ``in``
and ``[]``, so answers are identical (tests/text/test_language.py compares them).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

#: Bump when the layout of the cached profile arrays changes.
_FORMAT = "1"


class ProfileRows:
    """langdetect's n-gram -> per-language probability map over the arrays of
    :func:`profile_arrays`; a row is built only for the n-grams a text contains."""

    def __init__(self, words: list[str], indptr: Any, indices: Any, data: Any, width: int) -> None:
        self._index = dict(zip(words, range(len(words)), strict=True))
        self._indptr, self._indices, self._data = indptr, indices, data
        self._width = width
        self._rows: dict[str, list[float]] = {}

    def __contains__(self, word: object) -> bool:
        return word in self._index

    def __getitem__(self, word: str) -> list[float]:
        row = self._rows.get(word)
        if row is None:
            i = self._index[word]
            start, end = int(self._indptr[i]), int(self._indptr[i + 1])
            row = [0.0] * self._width
            for j, value in zip(
                self._indices[start:end].tolist(), self._data[start:end].tolist(), strict=True
            ):
                row[j] = value
            self._rows[word] = row
        return row


def profile_cache_path() -> Path:
    from importlib.metadata import version

    from cxloop.text.engine_cache import user_cache_dir

    return user_cache_dir() / f"langdetect-profiles-{version('langdetect')}-{_FORMAT}.npz"


def load_factory() -> Any:
    """A seeded langdetect factory, its profiles from the array cache when present."""
    import numpy as np
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    path = profile_cache_path()
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in ("words", "langs", "indptr", "indices", "data")}
    except (OSError, KeyError, ValueError):
        arrays = profile_arrays(Path(PROFILES_DIRECTORY))
        _save_profiles(path, arrays)
    langs = arrays["langs"].tolist()
    factory.word_lang_prob_map = ProfileRows(
        arrays["words"].tolist(), arrays["indptr"], arrays["indices"], arrays["data"], len(langs)
    )
    factory.langlist = langs
    factory.set_seed(0)
    return factory


def profile_arrays(directory: Path) -> dict[str, Any]:
    """langdetect's profiles as sparse rows, read straight from its JSON files.

    The same numbers ``DetectorFactory.load_profile`` + ``add_profile`` compute (languages in
    directory order; each n-gram of 1-3 characters gets count / n_words of its length, longer
    ones an all-zero row), without building 88,000 Python lists first: a machine's first run
    pays about 0.25 s here instead of 0.7 s, in every worker that needs langdetect."""
    import json

    import numpy as np

    langs: list[str] = []
    index: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for name in os.listdir(directory):
        file = directory / name
        if name.startswith(".") or not file.is_file():
            continue
        profile = json.loads(file.read_text(encoding="utf-8"))
        column = len(langs)
        langs.append(profile["name"])
        n_words = profile["n_words"]
        for word, count in profile["freq"].items():
            row = index.setdefault(word, len(index))
            if 1 <= len(word) <= 3:
                value = 1.0 * count / n_words[len(word) - 1]
                if value != 0.0:
                    rows.append(row)
                    cols.append(column)
                    values.append(value)
    order = np.lexsort((np.asarray(cols), np.asarray(rows)))
    sorted_rows = np.asarray(rows, dtype=np.int64)[order]
    return {
        "words": np.array(list(index)),
        "langs": np.array(langs),
        "indptr": np.concatenate(
            ([0], np.cumsum(np.bincount(sorted_rows, minlength=len(index))))
        ).astype(np.int64),
        "indices": np.asarray(cols, dtype=np.int32)[order],
        "data": np.asarray(values, dtype=np.float64)[order],
    }


def _save_profiles(path: Path, arrays: dict[str, Any]) -> None:
    import numpy as np

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except OSError:
        pass  # no cache folder: the profiles are read again next time
