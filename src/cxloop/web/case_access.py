"""Which cases a caller may see: the row-level half of the authorization rules.

Admins and analysts see every case; a manager the cases of the teams they manage (and their
own team); an agent the cases of their team and those assigned to them; a viewer none. A case
outside the caller's scope is reported as missing (404), never as forbidden, so ids cannot be
probed. Segment/region scopes apply to the case's customer as well.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.errors import NotFoundError
from cxloop.storage.models import Customer
from cxloop.storage.models.loop import Case
from cxloop.storage.types import utcnow
from cxloop.web.permissions import DataScope

OPEN_STATUSES = (
    "new",
    "open",
    "assigned",
    "in_progress",
    "waiting",
    "waiting_customer",
    "escalated",
    "reopened",
)


def scoped_cases(query: Select[Any], scope: DataScope) -> Select[Any]:
    if scope.case_teams is not None:
        conditions: list[ColumnElement[bool]] = []
        if scope.case_teams:
            conditions.append(Case.team_id.in_(scope.case_teams))
        if scope.user_id is not None:
            conditions.append(Case.assignee_id == scope.user_id)
        query = query.where(or_(*conditions) if conditions else false())
    if scope.restricts_customers:
        query = query.join(Customer, Customer.id == Case.customer_id)
        if scope.segments is not None:
            query = query.where(Customer.segment.in_(scope.segments))
        if scope.regions is not None:
            query = query.where(Customer.region.in_(scope.regions))
    return query


def list_cases(
    db: Session,
    scope: DataScope,
    *,
    status: str | None = None,
    mine_user_id: int | None = None,
    team_id: int | None = None,
    priority: str | None = None,
    open_only: bool = False,
    limit: int = 200,
) -> list[Case]:
    query = scoped_cases(select(Case), scope)
    if status:
        query = query.where(Case.status == status)
    if open_only:
        query = query.where(Case.closed_at.is_(None), Case.resolved_at.is_(None))
    if mine_user_id is not None:
        query = query.where(Case.assignee_id == mine_user_id)
    if team_id is not None:
        query = query.where(Case.team_id == team_id)
    if priority:
        query = query.where(Case.priority == priority)
    query = query.order_by(Case.resolution_due_at.is_(None), Case.resolution_due_at, Case.id)
    return list(db.scalars(query.limit(limit)))


def case_in_scope(db: Session, case_id: int, scope: DataScope) -> Case:
    found = db.scalars(scoped_cases(select(Case).where(Case.id == case_id), scope)).first()
    if found is None:
        raise NotFoundError(f"no case {case_id} in your scope")
    return found


def sla_state(case: Case, now: datetime | None = None) -> dict[str, Any]:
    """Time left (negative when overdue) on the first-response and resolution clocks."""
    now = now or utcnow()

    def clock(due: datetime | None, done: datetime | None) -> dict[str, Any] | None:
        if due is None:
            return None
        if done is not None:
            return {"due": due, "met": done <= due, "done": done}
        minutes = int((due - now).total_seconds() // 60)
        return {"due": due, "minutes_left": minutes, "overdue": minutes < 0}

    return {
        "first_response": clock(case.first_response_due_at, case.first_response_at),
        "resolution": clock(case.resolution_due_at, case.resolved_at or case.closed_at),
    }


def case_dict(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "reference": case.reference,
        "title": case.title,
        "status": case.status,
        "priority": case.priority,
        "team_id": case.team_id,
        "assignee_id": case.assignee_id,
        "feedback_id": case.feedback_id,
        "customer_id": case.customer_id,
        "tags": case.tags,
        "root_cause": case.root_cause,
        "resolution_code": case.resolution_code,
        "created_at": case.created_at,
        "sla": sla_state(case),
    }
