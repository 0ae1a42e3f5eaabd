"""A fresh SQLite workspace holding given texts as feedback, for the text benchmarks.

Rows go in directly (one source, dedup key = position, content hash of the text) so that the
benchmarks time enrichment and teaching, not ingestion (``bench_ingest.py`` times that).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine


def workspace_with_texts(home: Path, texts: Sequence[str]) -> tuple[str, Engine]:
    """Create and migrate ``home/cxloop.db`` with one feedback row per text; (url, engine)."""
    from cxloop.storage.db import make_engine, transaction, upgrade
    from cxloop.storage.models import Feedback, Source

    url = f"sqlite:///{home / 'cxloop.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine) as session:
        source = Source(name="bench")
        session.add(source)
        session.flush()
        session.add_all(
            Feedback(
                source_id=source.id,
                dedup_key=str(i),
                content_hash=hashlib.sha256(t.encode()).hexdigest(),
                text=t,
            )
            for i, t in enumerate(texts)
        )
    return url, engine
