"""Discovery on a workspace: load the corpus, store proposals, accept or reject them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from cxloop.errors import ConflictError, InputError, NotFoundError
from cxloop.storage.db import transaction
from cxloop.storage.models import Enrichment, Feedback, FeedbackTheme, Theme, ThemeProposal
from cxloop.storage.types import utcnow
from cxloop.text.discovery import DiscoveryInput, DiscoveryResult, discover_themes, theme_overlaps
from cxloop.text.taxonomy import load_taxonomy
from cxloop.text.theme_rollup import PARENT_ORIGIN


def load_corpus(session: Session, since: datetime | None = None) -> list[DiscoveryInput]:
    """Feedback texts (redacted when enrichment has run) with date and document sentiment."""
    text = func.coalesce(Enrichment.redacted_text, Feedback.text)
    q = (
        select(Feedback.id, text, Feedback.received_at, Enrichment.sentiment_label)
        .outerjoin(Enrichment, Enrichment.feedback_id == Feedback.id)
        .where(Feedback.text.is_not(None))
        .order_by(Feedback.id)
    )
    if since is not None:
        q = q.where(Feedback.received_at >= since)
    return [DiscoveryInput(i, t or "", r, s) for i, t, r, s in session.execute(q)]


def _similar_signature(a: str, b: str) -> bool:
    x, y = set(a.split()), set(b.split())
    return bool(x and y) and len(x & y) / len(x | y) >= 0.5


def opinion_words(words: list[str]) -> Any:
    """True for words that carry an opinion on their own ("pleased", "awful"): feelings are
    not subjects, so discovery does not build themes from them. Uses the fast backend."""
    import numpy as np

    from cxloop.text.backends import get_backend

    proba = get_backend("fast").sentiment_proba(words)
    return np.maximum(proba[:, 0], proba[:, 2]) > 0.9


def discover_for_workspace(
    engine: Engine,
    *,
    since: datetime | None = None,
    min_size: int | None = None,
    encode: Callable[[list[str]], Any] | None = None,
) -> tuple[DiscoveryResult, list[ThemeProposal]]:
    """Run discovery and store its proposals, replacing the previous open ones.

    A proposal resembling one a person rejected (same keywords, by Jaccard >= 0.5) is
    remembered as rejected and not proposed again. Proposals come best first (see
    ``cxloop.text.proposal_ranking``); the score and its parts are kept in ``params["rank"]``.
    """
    taxonomy = load_taxonomy(engine, seed=False)
    with transaction(engine) as session:
        items = load_corpus(session, since)
    result = discover_themes(
        items, taxonomy, min_size=min_size, encode=encode, is_opinion=opinion_words
    )
    with transaction(engine) as session:
        rejected = session.scalars(
            select(ThemeProposal.signature).where(ThemeProposal.status == "rejected")
        ).all()
        for old in session.scalars(select(ThemeProposal).where(ThemeProposal.status == "proposed")):
            session.delete(old)
        stored = []
        for p in result.proposals:
            if any(_similar_signature(p.signature, r) for r in rejected):
                continue
            row = ThemeProposal(
                label=p.label,
                keywords=p.keywords,
                signature=p.signature,
                size=p.size,
                share=p.share,
                negative_share=p.negative_share,
                trend=p.trend,
                examples=p.examples,
                status="proposed",
                params={
                    "since": since.isoformat() if since else None,
                    "min_size": min_size,
                    "method": result.method,
                    "nearest_theme": p.nearest_theme,
                    "nearest_similarity": round(p.nearest_similarity, 3),
                    "rank": p.rank,
                },
            )
            session.add(row)
            stored.append(row)
        session.flush()
    return result, stored


def _open_proposal(session: Session, proposal_id: int) -> ThemeProposal:
    proposal = session.get(ThemeProposal, proposal_id)
    if proposal is None:
        raise NotFoundError(
            f"no theme proposal {proposal_id}", hint="see 'cxloop themes proposals'"
        )
    if proposal.status != "proposed":
        raise ConflictError(f"proposal {proposal_id} was already {proposal.status}")
    return proposal


def accept_proposal(
    engine: Engine, proposal_id: int, *, name: str | None = None, parent: str | None = None
) -> Theme:
    """Turn a proposal into a taxonomy theme, with its keywords and verbatims as examples."""
    with transaction(engine) as session:
        proposal = _open_proposal(session, proposal_id)
        theme_name = (name or proposal.label).strip()
        if session.scalar(select(Theme.id).where(Theme.name == theme_name)) is not None:
            raise ConflictError(
                f"a theme named '{theme_name}' exists already",
                hint="choose another name with --name",
            )
        parent_id = None
        if parent:
            parent_id = session.scalar(select(Theme.id).where(Theme.name == parent))
            if parent_id is None:
                raise InputError(
                    f"parent theme '{parent}' does not exist", hint="see 'cxloop taxonomy list'"
                )
        theme = Theme(
            name=theme_name,
            description=f"discovered: {', '.join(proposal.keywords[:5])}",
            keywords=proposal.keywords[:5],
            examples=[e["text"] for e in proposal.examples],
            parent_id=parent_id,
            origin="discovered",
        )
        session.add(theme)
        session.flush()
        proposal.status, proposal.theme_id, proposal.decided_at = "accepted", theme.id, utcnow()
        return theme


def reject_proposal(engine: Engine, proposal_id: int) -> None:
    with transaction(engine) as session:
        proposal = _open_proposal(session, proposal_id)
        proposal.status, proposal.decided_at = "rejected", utcnow()


def _score(proposal: ThemeProposal) -> float:
    rank = (proposal.params or {}).get("rank") or {}
    return float(rank.get("score", 0.0))


def list_proposals(engine: Engine, status: str | None = "proposed") -> list[dict[str, Any]]:
    """Stored proposals, the most worth reviewing first (score from ``proposal_ranking``;
    proposals stored before scoring existed come after, largest first)."""
    with transaction(engine) as session:
        q = select(ThemeProposal).order_by(ThemeProposal.size.desc(), ThemeProposal.id)
        if status:
            q = q.where(ThemeProposal.status == status)
        found = sorted(session.scalars(q), key=lambda p: -_score(p))
        return [
            {
                "id": p.id,
                "rank": position,
                "score": round(_score(p), 3),
                "label": p.label,
                "keywords": p.keywords,
                "size": p.size,
                "share": round(p.share, 4),
                "negative_share": None if p.negative_share is None else round(p.negative_share, 3),
                "trend": p.trend.get("direction"),
                "status": p.status,
                "examples": p.examples,
                "why": {
                    k: v
                    for k, v in ((p.params or {}).get("rank") or {}).items()
                    if k not in ("score", "position")
                },
            }
            for position, p in enumerate(found, start=1)
        ]


def workspace_overlaps(engine: Engine, threshold: float = 0.35) -> list[dict[str, Any]]:
    """Overlapping themes by definition and by how often both are assigned together."""
    taxonomy = load_taxonomy(engine, seed=False)
    with transaction(engine) as session:
        names = dict(session.execute(select(Theme.id, Theme.name)).tuples().all())
        sets: dict[str, set[int]] = {}
        # A parent's rows restate its sub-themes (theme_rollup): they would make every
        # parent "overlap" its children, so only the themes actually matched count here.
        for fid, tid in session.execute(
            select(FeedbackTheme.feedback_id, FeedbackTheme.theme_id).where(
                FeedbackTheme.origin != PARENT_ORIGIN
            )
        ):
            sets.setdefault(names.get(tid, str(tid)), set()).add(fid)
    co: dict[tuple[str, str], float] = {}
    keys = sorted(sets)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            union = len(sets[a] | sets[b])
            if union >= 20:
                co[(a, b)] = len(sets[a] & sets[b]) / union
    return theme_overlaps(taxonomy, co, threshold=threshold)
