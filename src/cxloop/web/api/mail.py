"""The loop's inbound side: the inbound-mail webhook and customers' follow-up answers.

The webhook takes a raw RFC 822 message (``Content-Type: message/rfc822``) from a mail
provider or relay that authenticates with a bearer token; it is threaded into its case only
when the signed case reference verifies, and quarantined otherwise. A follow-up answer needs no
account: the signed, single-use token in the customer's link is the credential.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from cxloop.errors import ValidationError
from cxloop.web import audit
from cxloop.web.api.schemas import ERRORS
from cxloop.web.deps import Principal, client_ip, get_db, get_settings, require

router = APIRouter(tags=["loop"], responses=ERRORS)
MAX_MAIL_BYTES = 10 * 1024 * 1024


@router.post(
    "/mail/inbound",
    openapi_extra={
        "requestBody": {
            "content": {"message/rfc822": {"schema": {"type": "string"}}},
            "required": True,
        }
    },
)
async def inbound_mail(
    request: Request,
    principal: Principal = Depends(require("webhook.mail")),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """Thread one inbound e-mail (raw RFC 822 bytes) into its case."""
    from cxloop.loop.inbound import receive_email

    raw = await request.body()
    if not raw.strip():
        raise ValidationError(
            "the request body is empty; send the raw e-mail", details=[{"field": "body"}]
        )
    if len(raw) > MAX_MAIL_BYTES:
        raise ValidationError("the e-mail is larger than 10 MB", details=[{"field": "body"}])
    result = receive_email(db, get_settings(request), raw)
    audit.record(
        db,
        user=principal.user,
        via=principal.via,
        action="mail.inbound",
        target_type="case",
        target_id=result.case_id,
        detail={"status": result.status, "reason": result.reason},
        ip=client_ip(request),
    )
    db.commit()
    return {
        "status": result.status,
        "case_id": result.case_id,
        "reference": result.reference,
        "reason": result.reason,
        "quarantine_id": result.quarantine_id,
        "reopened": result.reopened,
    }


class FollowUpAnswer(BaseModel):
    token: str = Field(..., min_length=10, max_length=500)
    answer: str = Field(..., min_length=1, max_length=20, description="0-10, or yes/no")
    comment: str | None = Field(None, max_length=4000)


@router.post("/followups")
def followup_answer(
    request: Request, payload: FollowUpAnswer, db: Session = Depends(get_db)
) -> dict[str, Any]:
    """Record a customer's answer to 'did we fix it?' (no account; the token is single-use)."""
    from cxloop.loop.followup import answer_followup

    followup = answer_followup(
        db, get_settings(request), payload.token, payload.answer, comment=payload.comment
    )
    audit.record(
        db,
        user=None,
        via="api",
        action="followup.answer",
        target_type="case",
        target_id=followup.case_id,
        detail={"score": followup.score, "resolved": followup.resolved},
        ip=client_ip(request),
        actor="customer",
    )
    db.commit()
    return {"case_id": followup.case_id, "score": followup.score, "resolved": followup.resolved}
