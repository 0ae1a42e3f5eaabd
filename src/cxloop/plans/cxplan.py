"""The CX plan: objectives, target segments and the desired experience per journey stage.

``plan gaps`` compares each stage target with the experience measured now (the last
``days`` days up to the newest feedback, among the target segments when the plan names
some), with a 95% interval, and says whether the target is met, missed, or whether the data
cannot tell yet. A stage with too few responses is shown as such rather than as a number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from cxloop.errors import NotFoundError, ValidationError
from cxloop.plans.data import latest_feedback_at, load_feedback_frame
from cxloop.plans.outcomes import LOWER_IS_BETTER, check_metric, mean_with_interval, outcome_scores
from cxloop.storage.models.plans import CxPlan, StageTarget

PLAN_KEY = "default"
MIN_N = 30


@dataclass(frozen=True)
class TargetSpec:
    stage: str
    metric: str
    target: float
    description: str | None = None


def parse_target(text: str) -> TargetSpec:
    """``"Delivery:nps=30"`` -> TargetSpec("Delivery", "nps", 30.0)."""
    stage, sep, rest = text.rpartition(":")
    metric, eq, value = rest.partition("=")
    if not sep or not eq or not stage.strip():
        raise ValidationError(
            f"target {text!r} is not STAGE:METRIC=VALUE", hint='e.g. --target "Delivery:nps=30"'
        )
    try:
        number = float(value)
    except ValueError as exc:
        raise ValidationError(f"target value {value!r} in {text!r} is not a number") from exc
    return TargetSpec(stage.strip(), check_metric(metric.strip().lower()), number)


def specs_from_document(doc: dict[str, Any]) -> tuple[list[str], list[str], list[TargetSpec]]:
    """Read a YAML plan: {objectives: [...], target_segments: [...], stages: {Stage: {nps: 30}}}."""
    if not isinstance(doc, dict):
        raise ValidationError("the plan file must be a mapping with objectives/stages keys")
    objectives = [str(o) for o in doc.get("objectives") or []]
    segments = [str(s) for s in doc.get("target_segments") or []]
    specs = []
    stages = doc.get("stages") or {}
    if not isinstance(stages, dict):
        raise ValidationError("'stages' must map a stage name to {metric: target}")
    for stage, targets in stages.items():
        if not isinstance(targets, dict):
            raise ValidationError(f"stage {stage!r}: give targets as {{metric: value}}")
        description = targets.get("description")
        for metric, value in targets.items():
            if metric == "description":
                continue
            try:
                number = float(value)
            except (TypeError, ValueError) as exc:
                raise ValidationError(
                    f"stage {stage!r}: target for {metric!r} is not a number"
                ) from exc
            specs.append(TargetSpec(str(stage), check_metric(str(metric)), number, description))
    return objectives, segments, specs


def set_plan(
    session: Session,
    *,
    objectives: Sequence[str] | None = None,
    target_segments: Sequence[str] | None = None,
    targets: Sequence[TargetSpec] = (),
    replace_targets: bool = False,
) -> CxPlan:
    """Create or update the plan; given targets replace those of the same stage and metric."""
    plan = session.get(CxPlan, PLAN_KEY)
    if plan is None:
        plan = CxPlan(key=PLAN_KEY, objectives=[], target_segments=[])
        session.add(plan)
        session.flush()
    if objectives is not None:
        plan.objectives = list(objectives)
    if target_segments is not None:
        plan.target_segments = list(target_segments)
    if replace_targets:
        session.execute(delete(StageTarget).where(StageTarget.plan_key == PLAN_KEY))
    for spec in targets:
        existing = session.scalar(
            select(StageTarget).where(
                StageTarget.plan_key == PLAN_KEY,
                StageTarget.stage == spec.stage,
                StageTarget.metric == spec.metric,
            )
        )
        if existing is None:
            session.add(
                StageTarget(
                    plan_key=PLAN_KEY,
                    stage=spec.stage,
                    metric=spec.metric,
                    target=spec.target,
                    description=spec.description,
                )
            )
        else:
            existing.target = spec.target
            existing.description = spec.description or existing.description
    session.flush()
    return plan


def get_plan(session: Session) -> tuple[CxPlan, list[StageTarget]]:
    plan = session.get(CxPlan, PLAN_KEY)
    if plan is None:
        raise NotFoundError(
            "no CX plan yet",
            hint='set one: cxloop plan set --objective "..." --target "Delivery:nps=30"',
        )
    targets = list(
        session.scalars(
            select(StageTarget)
            .where(StageTarget.plan_key == PLAN_KEY)
            .order_by(StageTarget.stage, StageTarget.metric)
        )
    )
    return plan, targets


def stage_gaps(
    frame: pd.DataFrame,
    targets: Sequence[TargetSpec],
    *,
    segments: Sequence[str] = (),
    min_n: int = MIN_N,
) -> list[dict[str, Any]]:
    """Pure: the measured metric per target stage against its target, with uncertainty."""
    rows = []
    data = frame
    if segments and not frame.empty:
        data = frame[frame["segment"].isin(list(segments))]
    known_stages = set(frame["stage"].dropna().astype(str)) if not frame.empty else set()
    for spec in targets:
        at_stage = data[data["stage"] == spec.stage] if not data.empty else data
        scores = outcome_scores(at_stage, spec.metric) if not at_stage.empty else pd.Series([])
        est = mean_with_interval(scores, spec.metric)
        row: dict[str, Any] = {
            "stage": spec.stage,
            "metric": spec.metric,
            "target": spec.target,
            "n": est.n,
        }
        if est.n < min_n:
            status = f"not enough data (n={est.n}, need {min_n})"
            if at_stage.empty and not frame.empty and spec.stage not in known_stages:
                seen = ", ".join(sorted(known_stages)[:8]) or "none"
                status = f"no feedback at this stage (stages seen: {seen})"
            row.update(current=None, gap=None, ci_low=None, ci_high=None, status=status)
            rows.append(row)
            continue
        gap = est.value - spec.target
        lo, hi = est.ci_low - spec.target, est.ci_high - spec.target
        if spec.metric in LOWER_IS_BETTER:  # lower is better: flip so "above 0" means good
            good_lo, good_hi = -hi, -lo
        else:
            good_lo, good_hi = lo, hi
        if math.isnan(lo):
            status = "uncertain"
        elif good_lo >= 0:
            status = "met"
        elif good_hi < 0:
            status = "short of target"
        else:
            status = "uncertain (interval spans the target)"
        row.update(
            current=round(est.value, 3),
            gap=round(gap, 3),
            ci_low=round(lo, 3),
            ci_high=round(hi, 3),
            status=status,
        )
        rows.append(row)
    return rows


def plan_gaps(
    engine: Engine,
    session: Session,
    *,
    days: int = 90,
    as_of: datetime | None = None,
    all_segments: bool = False,
    min_n: int = MIN_N,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Load the recent feedback and compute the gap per stage target."""
    plan, targets = get_plan(session)
    if not targets:
        raise NotFoundError(
            "the CX plan has no stage targets",
            hint='add one: cxloop plan set --target "Delivery:nps=30"',
        )
    end = as_of or latest_feedback_at(engine)
    if end is None:
        raise NotFoundError("there is no dated feedback to measure the experience with")
    end = end + timedelta(seconds=1)
    start = end - timedelta(days=days)
    frame = load_feedback_frame(engine, since=start, until=end)
    segments = [] if all_segments else list(plan.target_segments)
    specs = [TargetSpec(t.stage, t.metric, t.target, t.description) for t in targets]
    rows = stage_gaps(frame, specs, segments=segments, min_n=min_n)
    params = {
        "window": f"{start.date()} .. {end.date()}",
        "segments": segments or "all",
        "method": "mean of per-response scores (NPS as +100/0/-100) with a 95% t-interval; "
        "gap interval = measured interval minus target",
    }
    return rows, params
