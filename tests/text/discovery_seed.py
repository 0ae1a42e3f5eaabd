"""Store a taxonomy and a discovery corpus in a workspace, the way ingestion would."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from cxloop.storage.db import transaction
from cxloop.storage.models import Feedback, Source, Theme
from cxloop.text.discovery import DiscoveryInput
from cxloop.text.types import ThemeDefinition


def load_workspace(
    engine: Engine, taxonomy: Sequence[ThemeDefinition], items: Sequence[DiscoveryInput]
) -> None:
    with transaction(engine) as s:
        src = Source(name="survey")
        s.add(src)
        s.flush()
        for t in taxonomy:
            s.add(Theme(name=t.name, description=t.description, keywords=list(t.keywords)))
        s.add_all(
            Feedback(
                source_id=src.id,
                dedup_key=str(it.feedback_id),
                content_hash="h",
                text=it.text,
                received_at=it.received_at,
            )
            for it in items
        )
