"""The theme hierarchy in stored results: feedback about a sub-theme is about its parents too.

A CX lead reading "Fulfilment" expects it to count the feedback about "Delivery" and "Returns"
when those are its sub-themes, as topic hierarchies do in survey suites. Rather than teach every
query (metrics, theme impact, verbatims, journey, rules, roll-up tables) to walk the hierarchy,
each ancestor of a matched theme is stored as a row of its own in ``feedback_themes`` with
``origin = "parent"``: every reader then counts a feedback once per ancestor (the primary key
is feedback and theme), and the roll-up tables' triggers see those rows like any other.

An ancestor row takes the confidence, sentiment label and score of its most confident
sub-theme match, and lists the sub-themes it stands for in ``extra["children"]``. A theme the
model or a person matched directly keeps its own row. Ancestor rows are rewritten whenever the
rows they come from change: in each enrichment batch, after a correction, and when an import
changes the hierarchy. Inactive ancestors get no row (they are skipped, their parents are not).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from cxloop.storage.models import FeedbackTheme, Theme

PARENT_ORIGIN = "parent"
_CHUNK = 5000


def ancestors_of(
    parent_of: Mapping[int, int | None], active: Iterable[int] | None = None
) -> dict[int, tuple[int, ...]]:
    """Each theme's ancestors, nearest first (only active ones when ``active`` is given).

    The taxonomy import refuses cycles, but a database edited by hand could hold one: the walk
    stops at the first theme it has already seen instead of looping.
    """
    keep = set(active) if active is not None else None
    result: dict[int, tuple[int, ...]] = {}
    for theme_id in parent_of:
        chain: list[int] = []
        seen = {theme_id}
        parent = parent_of.get(theme_id)
        while parent is not None and parent not in seen:
            seen.add(parent)
            if keep is None or parent in keep:
                chain.append(parent)
            parent = parent_of.get(parent)
        if chain:
            result[theme_id] = tuple(chain)
    return result


def theme_ancestors(session: Session) -> dict[int, tuple[int, ...]]:
    """The workspace's themes with at least one active ancestor, mapped to those ancestors."""
    rows = session.execute(select(Theme.id, Theme.parent_id, Theme.active)).all()
    return ancestors_of({r.id: r.parent_id for r in rows}, [r.id for r in rows if r.active])


def parent_rows(
    matches: Iterable[Mapping[Any, Any]], ancestors: Mapping[int, Sequence[int]]
) -> list[dict[str, Any]]:
    """The ancestor rows implied by direct theme matches (``feedback_themes`` row dicts).

    Pure, so the rule (best sub-theme's confidence and sentiment, direct matches win) is
    testable without a database.
    """
    by_feedback: dict[int, list[Mapping[Any, Any]]] = defaultdict(list)
    for row in matches:
        by_feedback[int(row["feedback_id"])].append(row)
    out: list[dict[str, Any]] = []
    for feedback_id, rows in by_feedback.items():
        direct = {int(r["theme_id"]) for r in rows}
        best: dict[int, Mapping[Any, Any]] = {}
        children: dict[int, list[int]] = defaultdict(list)
        for row in sorted(rows, key=lambda r: (-float(r["confidence"]), int(r["theme_id"]))):
            for ancestor in ancestors.get(int(row["theme_id"]), ()):
                if ancestor in direct:
                    continue
                best.setdefault(ancestor, row)
                children[ancestor].append(int(row["theme_id"]))
        for ancestor, row in best.items():
            out.append(
                {
                    "feedback_id": feedback_id,
                    "theme_id": ancestor,
                    "confidence": float(row["confidence"]),
                    "sentiment_label": row["sentiment_label"],
                    "sentiment_score": float(row["sentiment_score"]),
                    "origin": PARENT_ORIGIN,
                    "extra": {"children": children[ancestor]},
                }
            )
    return out


def roll_up_to_parents(
    session: Session,
    feedback_ids: Sequence[int] | None = None,
    ancestors: Mapping[int, Sequence[int]] | None = None,
) -> int:
    """Rewrite the ancestor rows of ``feedback_ids`` (all feedback when None); returns how
    many were written. Runs in the caller's transaction."""
    if ancestors is None:
        ancestors = theme_ancestors(session)
    ids = None if feedback_ids is None else list(feedback_ids)
    if ids is None:
        session.execute(delete(FeedbackTheme).where(FeedbackTheme.origin == PARENT_ORIGIN))
        if not ancestors:
            return 0
        ids = list(
            session.scalars(
                select(FeedbackTheme.feedback_id)
                .where(FeedbackTheme.theme_id.in_(list(ancestors)))
                .distinct()
            )
        )
    written = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        if feedback_ids is not None:
            session.execute(
                delete(FeedbackTheme).where(
                    FeedbackTheme.feedback_id.in_(chunk), FeedbackTheme.origin == PARENT_ORIGIN
                )
            )
        if not ancestors:
            continue
        matches = session.execute(
            select(
                FeedbackTheme.feedback_id,
                FeedbackTheme.theme_id,
                FeedbackTheme.confidence,
                FeedbackTheme.sentiment_label,
                FeedbackTheme.sentiment_score,
            ).where(FeedbackTheme.feedback_id.in_(chunk))
        ).mappings()
        rows = parent_rows(matches, ancestors)
        if rows:
            session.execute(insert(FeedbackTheme), rows)
            written += len(rows)
    return written
