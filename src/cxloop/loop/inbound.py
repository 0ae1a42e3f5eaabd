"""Inbound email: thread a customer's answer into its case by signed reference, or quarantine.

The only trusted link between an email and a case is a reference whose HMAC tag verifies
(see ``cxloop.loop.signing``). An email with no reference, an unsigned one, a forged tag, a
reference to a case that does not exist, or references to two different cases is never
guessed into a case: it goes to the quarantine with the reason, for a person to handle.
Feeding the same email twice threads it once (its Message-ID is unique).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from html.parser import HTMLParser

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.config import Settings
from cxloop.errors import NotFoundError
from cxloop.loop.signing import find_references
from cxloop.storage.models.core import Customer, QuarantinedRow
from cxloop.storage.models.delivery import CaseMessage
from cxloop.storage.types import utcnow

#: Headers where a signed reference may travel back, most specific first.
REFERENCE_HEADERS = (
    "In-Reply-To",
    "References",
    "To",
    "Cc",
    "Delivered-To",
    "X-Original-To",
    "Subject",
)

BARE_REFERENCE = re.compile(r"\bCX-\d{3,12}\b")
QUOTE_MARKERS = (
    re.compile(r"^On .{0,200}wrote:\s*$"),
    re.compile(r"^Le .{0,200}a écrit\s*:\s*$"),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}", re.I),
    re.compile(r"^From: .+$"),
)

#: The statuses from which a customer's answer puts the case back in the agent's hands.
REOPEN_FROM = ("waiting_on_customer", "resolved")


@dataclass(frozen=True)
class ParsedInbound:
    message_id: str
    sender: str
    subject: str
    body: str
    references: list[tuple[str, bool]]  # (reference, tag verifies)
    bare_references: list[str]


@dataclass(frozen=True)
class InboundResult:
    """``status`` is threaded, duplicate or quarantined; ``reason`` says why when quarantined."""

    status: str
    case_id: int | None = None
    reference: str | None = None
    reason: str | None = None
    quarantine_id: int | None = None
    reopened: bool = False


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("br", "p", "div", "blockquote"):
            self.parts.append("\n")


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_subtype() == "html":
        parser = _TextOfHtml()
        parser.feed(content)
        content = "".join(parser.parts)
    return str(content)


def strip_quoted(text: str) -> str:
    """The new text of a reply, without the quoted history mail clients append below it."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if any(marker.match(line.strip()) for marker in QUOTE_MARKERS):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def parse_inbound(raw: bytes, key: bytes) -> ParsedInbound:
    """Parse raw MIME and find every reference in the threading headers and subject."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    message_id = str(message.get("Message-ID") or "").strip()
    if not message_id:
        message_id = f"<sha256-{hashlib.sha256(raw).hexdigest()}@inbound.cxloop>"
    haystack = "\n".join(str(message.get(h) or "") for h in REFERENCE_HEADERS)
    found = find_references(key, haystack)
    bare = sorted(set(BARE_REFERENCE.findall(haystack)) - {f.reference for f in found})
    return ParsedInbound(
        message_id=message_id[:512],
        sender=parseaddr(str(message.get("From") or ""))[1],
        subject=str(message.get("Subject") or ""),
        body=strip_quoted(_body_text(message)),
        references=[(f.reference, f.valid) for f in found],
        bare_references=bare,
    )


def _quarantine(
    session: Session, raw: bytes, parsed: ParsedInbound | None, reason: str, file_name: str | None
) -> InboundResult:
    # PostgreSQL text cannot hold NUL; it only appears in garbage, which is kept readable.
    raw_text = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    existing = session.scalar(
        select(QuarantinedRow.id).where(
            QuarantinedRow.kind == "email",
            QuarantinedRow.status == "open",
            QuarantinedRow.raw_text == raw_text,
        )
    )
    if existing is not None:
        return InboundResult("quarantined", reason=reason, quarantine_id=int(existing))
    row = QuarantinedRow(
        kind="email",
        file_name=file_name,
        field="reference",
        reason=reason,
        raw={
            "message_id": parsed.message_id if parsed else None,
            "from": parsed.sender if parsed else None,
            "subject": parsed.subject if parsed else None,
        },
        raw_text=raw_text,
        status="open",
    )
    session.add(row)
    session.flush()
    return InboundResult("quarantined", reason=reason, quarantine_id=int(row.id))


def case_id_of(reference: str) -> int:
    return int(reference.split("-", 1)[1])


def receive_email(
    session: Session,
    settings: Settings,
    raw: bytes,
    *,
    file_name: str | None = None,
    now: datetime | None = None,
) -> InboundResult:
    """Thread one inbound email into its case (reopening it if waiting or resolved).

    Everything happens in the caller's transaction: the message, the case event, the status
    change, or else the quarantine row.
    """
    from cxloop.loop import cases as case_service

    try:
        parsed = parse_inbound(raw, settings.signing_key)
    except Exception as exc:  # malformed MIME: keep it for a person
        return _quarantine(session, raw, None, f"not a readable email: {exc}", file_name)
    if not raw.strip() or (not parsed.sender and not parsed.subject):
        return _quarantine(session, raw, parsed, "not an email (no From or Subject)", file_name)
    duplicate = session.scalar(
        select(CaseMessage).where(CaseMessage.message_id == parsed.message_id)
    )
    if duplicate is not None:
        return InboundResult("duplicate", case_id=duplicate.case_id)
    valid = sorted({ref for ref, ok in parsed.references if ok})
    forged = sorted({ref for ref, ok in parsed.references if not ok})
    if len(valid) > 1:
        return _quarantine(
            session,
            raw,
            parsed,
            f"references to several cases ({', '.join(valid)}); a person must choose",
            file_name,
        )
    if not valid:
        if forged:
            reason = (
                f"reference {forged[0]} has a signature that does not verify (forged or damaged)"
            )
        elif parsed.bare_references:
            reason = (
                f"unsigned reference {parsed.bare_references[0]} (typed by hand or forged); "
                "not trusted to thread"
            )
        else:
            reason = "no case reference found in the subject or threading headers"
        return _quarantine(session, raw, parsed, reason, file_name)
    reference = valid[0]
    try:
        case = case_service.get_case(session, case_id_of(reference))
    except NotFoundError:
        return _quarantine(
            session, raw, parsed, f"signed reference {reference} names no existing case", file_name
        )
    message = CaseMessage(
        case_id=case.id,
        direction="in",
        author=parsed.sender or None,
        subject=parsed.subject[:2000],
        body=parsed.body or "(empty message)",
        message_id=parsed.message_id,
        created_at=now or utcnow(),
    )
    session.add(message)
    session.flush()
    actor = f"customer:{parsed.sender}" if parsed.sender else "customer"
    customer = session.get(Customer, case.customer_id) if case.customer_id else None
    # A forwarded email keeps a valid reference: threading is right, but the agent should see
    # that someone other than the customer wrote.
    known_sender = bool(
        customer and customer.email and customer.email.lower() == parsed.sender.lower()
    )
    case_service.add_event(
        session,
        case,
        "reply_received",
        actor,
        body=message.body,
        data={
            "message_id": parsed.message_id,
            "case_message_id": message.id,
            "sender_is_customer": known_sender,
        },
        at=now,
    )
    reopened = False
    if case.status in REOPEN_FROM:
        case_service.transition(
            session, case, "in_progress", actor, reason="the customer replied by email", at=now
        )
        reopened = True
    return InboundResult("threaded", case_id=case.id, reference=reference, reopened=reopened)
