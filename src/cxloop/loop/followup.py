"""Follow-up after resolution: "did we resolve this?" by a signed, single-use link.

The link carries a token signed with the workspace key (itsdangerous) holding the case id
and a random nonce. The nonce is stored on the follow-up row: the token is valid only for
that row, only until ``expires_at`` and only once (``answered_at``). Expiry is checked
against the database row, not the token, so the clock can be injected in tests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.config import Settings
from cxloop.errors import ConflictError, PermissionDenied, ValidationError
from cxloop.loop import cases as case_service
from cxloop.loop.dialogue import customer_email
from cxloop.loop.mail import message_id_for, render, reply_address
from cxloop.loop.outbox import enqueue
from cxloop.loop.signing import sign_reference
from cxloop.storage.models.delivery import FollowUp
from cxloop.storage.models.loop import Case
from cxloop.storage.types import utcnow

SALT = "cxloop-followup-v1"
KINDS = ("scale", "yesno")
DEFAULT_TTL = timedelta(days=14)
#: A 0-10 answer at or above this counts as "resolved" (and 9-10 as a promoter).
RESOLVED_FROM = 7


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.signing_key, salt=SALT)


def followup_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/followup?token={token}"


@dataclass(frozen=True)
class SentFollowUp:
    followup_id: int
    outbox_id: int
    token: str
    link: str


def send_followup(
    session: Session,
    settings: Settings,
    case: Case,
    *,
    kind: str = "scale",
    ttl: timedelta = DEFAULT_TTL,
    actor: str = "system",
    now: datetime | None = None,
) -> SentFollowUp:
    """Queue the follow-up email for a resolved case (one per case)."""
    if kind not in KINDS:
        raise ValidationError(f"unknown follow-up kind {kind!r}", hint="use scale or yesno")
    if case.status not in ("resolved", "closed"):
        raise ConflictError(
            f"case {case.reference} is {case.status}; follow-ups go out after resolution",
            hint=f"resolve it first: cxloop cases resolve {case.reference} --code CODE",
        )
    if session.scalar(select(FollowUp.id).where(FollowUp.case_id == case.id)) is not None:
        raise ConflictError(f"case {case.reference} already had its follow-up")
    address, name = customer_email(session, case)
    now = now or utcnow()
    nonce = secrets.token_urlsafe(16)
    followup = FollowUp(case_id=case.id, nonce=nonce, kind=kind, sent_at=now, expires_at=now + ttl)
    session.add(followup)
    session.flush()
    token = _serializer(settings).dumps({"c": case.id, "n": nonce})
    link = followup_link(settings, token)
    text, html = render(
        "followup",
        customer_name=name,
        reference=case.reference,
        kind=kind,
        link=link,
        expires=followup.expires_at.date().isoformat(),
    )
    key = f"case-followup:{case.id}"
    signed = sign_reference(settings.signing_key, case.reference)
    outbox_id = enqueue(
        session,
        channel="email",
        target=address,
        payload={
            "event": "case.followup",
            "subject": f"Did we resolve your request? [{signed}]",
            "text": text,
            "html": html,
            "headers": {
                "Message-ID": message_id_for(settings, key, signed),
                "Reply-To": reply_address(settings, signed),
            },
        },
        idempotency_key=key,
        case_id=case.id,
    )
    case_service.add_event(
        session, case, "followup_sent", actor, data={"kind": kind, "outbox_id": outbox_id}, at=now
    )
    return SentFollowUp(followup.id, outbox_id, token, link)


def parse_answer(kind: str, answer: str) -> tuple[float | None, bool]:
    """``"9"`` -> (9.0, True); ``"no"`` -> (None, False); a clear error for anything else."""
    text = str(answer).strip().lower()
    if kind == "yesno":
        if text in ("yes", "y", "1", "true"):
            return None, True
        if text in ("no", "n", "0", "false"):
            return None, False
        raise ValidationError(f"answer {answer!r} is not yes or no", details={"field": "answer"})
    try:
        score = float(text)
    except ValueError:
        score = -1.0
    if not (0 <= score <= 10) or score != int(score):
        raise ValidationError(
            f"answer {answer!r} is not a whole number from 0 to 10", details={"field": "answer"}
        )
    return score, score >= RESOLVED_FROM


def answer_followup(
    session: Session,
    settings: Settings,
    token: str,
    answer: str,
    *,
    comment: str | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """Store the customer's answer; the token works once and until it expires."""
    try:
        data = _serializer(settings).loads(token)
        case_id, nonce = int(data["c"]), str(data["n"])
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise PermissionDenied(
            "this follow-up link is not valid (it was changed or is incomplete)"
        ) from exc
    followup = session.scalar(select(FollowUp).where(FollowUp.nonce == nonce))
    if followup is None or followup.case_id != case_id:
        raise PermissionDenied("this follow-up link is not valid for any open question")
    now = now or utcnow()
    if followup.answered_at is not None:
        raise ConflictError("this follow-up was already answered; thank you")
    if now > followup.expires_at:
        raise ConflictError("this follow-up link has expired")
    score, resolved = parse_answer(followup.kind, answer)
    followup.score = score
    followup.resolved = resolved
    followup.comment = (comment or "").strip()[:4000] or None
    followup.answered_at = now
    case = case_service.get_case(session, case_id)
    case_service.add_event(
        session,
        case,
        "followup_answered",
        "customer",
        to_value=str(int(score)) if score is not None else ("yes" if resolved else "no"),
        body=followup.comment,
        data={"score": score, "resolved": resolved},
        at=now,
    )
    session.flush()
    return followup


def due_followups(
    session: Session, *, now: datetime, delay: timedelta = timedelta(hours=24)
) -> list[Case]:
    """Resolved cases (at least ``delay`` ago) with no follow-up yet."""
    asked = select(FollowUp.case_id)
    return list(
        session.scalars(
            select(Case)
            .where(
                Case.status.in_(["resolved", "closed"]),
                Case.resolved_at.is_not(None),
                Case.resolved_at <= now - delay,
                Case.id.not_in(asked),
            )
            .order_by(Case.id)
        )
    )
