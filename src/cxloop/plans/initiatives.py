"""Action plans: initiatives with an owner, links, an outcome metric, baseline, target, milestones.

The links (themes, journey stages, segments) are checked against what the workspace knows
when they are given, so a typo is caught at creation and not months later as an impact
estimate over nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cxloop.errors import ConflictError, NotFoundError, ValidationError
from cxloop.plans.data import load_feedback_frame
from cxloop.plans.impact import MIN_PER_CELL, ImpactResult, difference_in_differences
from cxloop.plans.outcomes import check_metric
from cxloop.storage.models.core import Customer
from cxloop.storage.models.plans import INITIATIVE_STATUSES, Initiative, Milestone
from cxloop.storage.models.text import Theme


def _check_themes(session: Session, themes: Sequence[str]) -> None:
    if not themes:
        return
    known = set(session.scalars(select(Theme.name).where(Theme.name.in_(list(themes)))))
    unknown = [t for t in themes if t not in known]
    if unknown:
        raise ValidationError(
            f"unknown theme {unknown[0]!r}",
            hint="list themes with 'cxloop themes list' (names are case-sensitive)",
            details={"field": "themes"},
        )


def _check_segments(session: Session, segments: Sequence[str]) -> None:
    if not segments:
        return
    known = set(
        session.scalars(select(Customer.segment).where(Customer.segment.in_(list(segments))))
    )
    unknown = [s for s in segments if s not in known]
    if unknown:
        raise ValidationError(
            f"no customer is in segment {unknown[0]!r}",
            hint="check the segment names of your customers (case-sensitive)",
            details={"field": "segments"},
        )


def parse_milestone(text: str) -> tuple[str, date | None]:
    """``"Carrier switched:2026-05-01"`` -> (name, due date); the date is optional."""
    name, sep, due = text.rpartition(":")
    if sep and due.strip():
        try:
            return name.strip(), date.fromisoformat(due.strip())
        except ValueError:
            pass
    return text.strip(), None


def create_initiative(
    session: Session,
    *,
    name: str,
    owner: str,
    start_date: date,
    outcome_metric: str = "nps",
    description: str | None = None,
    themes: Sequence[str] = (),
    stages: Sequence[str] = (),
    segments: Sequence[str] = (),
    baseline: float | None = None,
    target: float | None = None,
    milestones: Sequence[str] = (),
    status: str = "active",
) -> Initiative:
    check_metric(outcome_metric)
    if not (themes or stages or segments):
        raise ValidationError(
            "an initiative needs at least one linked theme, journey stage or segment",
            hint="add --theme, --stage or --segment: they define what it is meant to change",
        )
    if status not in INITIATIVE_STATUSES:
        raise ValidationError(
            f"unknown status {status!r}", hint="use " + ", ".join(INITIATIVE_STATUSES)
        )
    if session.scalar(select(Initiative.id).where(Initiative.name == name)):
        raise ConflictError(f"an initiative named {name!r} already exists")
    _check_themes(session, themes)
    _check_segments(session, segments)
    initiative = Initiative(
        name=name,
        owner=owner,
        description=description,
        themes=list(themes),
        stages=list(stages),
        segments=list(segments),
        outcome_metric=outcome_metric,
        baseline=baseline,
        target=target,
        start_date=start_date,
        status=status,
    )
    session.add(initiative)
    session.flush()
    for text in milestones:
        mname, due = parse_milestone(text)
        session.add(Milestone(initiative_id=initiative.id, name=mname, due_date=due))
    session.flush()
    return initiative


def get_initiative(session: Session, initiative_id: int) -> Initiative:
    initiative = session.get(Initiative, initiative_id)
    if initiative is None:
        raise NotFoundError(
            f"no initiative with id {initiative_id}", hint="list them with 'cxloop actions list'"
        )
    return initiative


def list_initiatives(session: Session, status: str | None = None) -> list[Initiative]:
    query = select(Initiative).order_by(Initiative.start_date, Initiative.id)
    if status:
        query = query.where(Initiative.status == status)
    return list(session.scalars(query))


def milestones_of(session: Session, initiative_id: int) -> list[Milestone]:
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.initiative_id == initiative_id)
            .order_by(Milestone.due_date.is_(None), Milestone.due_date, Milestone.id)
        )
    )


def set_status(session: Session, initiative: Initiative, status: str) -> None:
    if status not in INITIATIVE_STATUSES:
        raise ValidationError(
            f"unknown status {status!r}", hint="use " + ", ".join(INITIATIVE_STATUSES)
        )
    initiative.status = status


def complete_milestone(session: Session, initiative_id: int, milestone_name: str) -> Milestone:
    found = session.scalar(
        select(Milestone).where(
            Milestone.initiative_id == initiative_id, Milestone.name == milestone_name
        )
    )
    if found is None:
        raise NotFoundError(f"initiative {initiative_id} has no milestone {milestone_name!r}")
    found.done_at = datetime.now(UTC)
    return found


def initiative_summary(session: Session, initiative: Initiative) -> dict[str, Any]:
    return {
        "id": initiative.id,
        "name": initiative.name,
        "owner": initiative.owner,
        "status": initiative.status,
        "description": initiative.description,
        "themes": initiative.themes,
        "stages": initiative.stages,
        "segments": initiative.segments,
        "outcome_metric": initiative.outcome_metric,
        "baseline": initiative.baseline,
        "target": initiative.target,
        "start_date": initiative.start_date,
        "milestones": [
            {"name": m.name, "due": m.due_date, "done_at": m.done_at}
            for m in milestones_of(session, initiative.id)
        ],
    }


def estimate_impact(
    engine: Engine,
    initiative: Initiative,
    *,
    pre_days: int = 90,
    post_days: int = 90,
    min_per_cell: int = MIN_PER_CELL,
) -> ImpactResult:
    """Load the window's feedback and run the difference-in-differences estimate."""
    start = datetime.combine(initiative.start_date, datetime.min.time(), tzinfo=UTC)
    frame = load_feedback_frame(
        engine,
        themes=initiative.themes,
        since=start - timedelta(days=pre_days),
        until=start + timedelta(days=post_days),
    )
    return difference_in_differences(
        frame,
        metric=initiative.outcome_metric,
        start=start,
        themes=list(initiative.themes),
        stages=list(initiative.stages),
        segments=list(initiative.segments),
        pre_days=pre_days,
        post_days=post_days,
        min_per_cell=min_per_cell,
    )
