"""Outgoing email: templates (plain text + HTML), threading headers and SMTP delivery.

Messages are rendered when they are queued, not when they are sent, so what the outbox holds
is exactly what the customer gets, however late the worker runs. The Message-ID is derived
from the idempotency key: a redelivery after a crash carries the same Message-ID, which mail
clients use to show it once. The signed case reference goes into the subject, the
Message-ID and the Reply-To plus-address, so the customer's answer can be threaded back
whichever of them their mail client keeps.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from cxloop.config import Settings
from cxloop.errors import ConfigError
from cxloop.loop.outbox import ClaimedMessage, DeliveryOutcome

TEMPLATES = Path(__file__).parent / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render(name: str, **context: Any) -> tuple[str, str]:
    """Render ``name.txt`` and ``name.html`` with the same context (HTML is autoescaped)."""
    return _env.get_template(f"{name}.txt").render(**context), _env.get_template(
        f"{name}.html"
    ).render(**context)


def mail_domain(settings: Settings) -> str:
    return settings.mail_from.rsplit("@", 1)[-1] or "cxloop.local"


def reply_address(settings: Settings, signed_reference: str) -> str:
    """``cx@example.com`` -> ``cx+CX-000123.<tag>@example.com`` (plus-addressing)."""
    local, _, domain = settings.mail_from.partition("@")
    return f"{local}+{signed_reference}@{domain or 'cxloop.local'}"


def message_id_for(settings: Settings, idempotency_key: str, signed_reference: str | None) -> str:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
    left = f"{signed_reference}.{digest}" if signed_reference else digest
    return f"<{left}@{mail_domain(settings)}>"


def reply_payload(
    settings: Settings,
    *,
    reference: str,
    signed_reference: str,
    customer_name: str | None,
    body: str,
    agent_name: str | None,
    idempotency_key: str,
    subject: str | None = None,
    in_reply_to: str | None = None,
) -> dict[str, Any]:
    """The outbox payload of a reply to the customer: subject, both parts and headers."""
    context = {
        "customer_name": customer_name,
        "body": body,
        "paragraphs": [p.strip() for p in body.split("\n\n") if p.strip()],
        "agent_name": agent_name,
        "reference": reference,
    }
    text, html = render("reply", **context)
    headers = {
        "Message-ID": message_id_for(settings, idempotency_key, signed_reference),
        "Reply-To": reply_address(settings, signed_reference),
        "X-Cxloop-Case": signed_reference,
    }
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    return {
        "event": "case.reply",
        "subject": f"{subject or 'About your feedback'} [{signed_reference}]",
        "text": text,
        "html": html,
        "headers": headers,
    }


def notification_parts(payload: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text and HTML for a notification payload that was not pre-rendered."""
    title = str(
        payload.get("subject")
        or payload.get("text")
        or f"cxloop: {payload.get('event', 'notification')}"
    )
    fields = [(k, v) for k, v in payload.items() if k not in ("subject", "html", "headers")]
    text, html = render("notification", title=title, fields=fields)
    return title[:200], text, html


def build_message(settings: Settings, message: ClaimedMessage) -> EmailMessage:
    """An RFC 5322 message with a plain-text part and an HTML alternative."""
    payload = message.payload
    if "text" in payload and "subject" in payload:
        subject, text, html = payload["subject"], payload["text"], payload.get("html")
    else:
        subject, text, html = notification_parts(payload)
    email = EmailMessage()
    email["From"] = formataddr(("Customer experience", settings.mail_from))
    email["To"] = message.target
    email["Subject"] = " ".join(str(subject).split())[:250]  # no header injection by newline
    email["Date"] = formatdate(localtime=False)
    headers = dict(payload.get("headers") or {})
    headers.setdefault("Message-ID", message_id_for(settings, message.idempotency_key, None))
    for name, value in headers.items():
        email[name] = " ".join(str(value).split())
    email["X-Cxloop-Idempotency-Key"] = message.idempotency_key
    email.set_content(text)
    if html:
        email.add_alternative(html, subtype="html")
    return email


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool

    def __repr__(self) -> str:  # never print the password
        return f"SmtpTarget({self.host}:{self.port}, tls={self.implicit_tls or self.starttls})"


def parse_smtp_url(url: str | None) -> SmtpTarget:
    """``smtp://user:pass@host:587?starttls=true`` or ``smtps://host`` -> SmtpTarget."""
    if not url:
        raise ConfigError(
            "no SMTP server is configured",
            hint="set CXLOOP_SMTP_URL, e.g. smtp://user:password@mail.example.com:587?starttls=true",
        )
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(
            "CXLOOP_SMTP_URL must look like smtp://host:port or smtps://user:pass@host",
        )
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
        starttls=query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
    )


class EmailDeliverer:
    """Delivers ``email`` outbox messages through SMTP (one connection per message).

    Connection problems and 4xx replies are retried; a 5xx refusal of the recipient or the
    message is permanent and fails at once with the server's answer.
    """

    channel = "email"

    def __init__(self, settings: Settings, *, timeout: float = 15.0) -> None:
        self.settings = settings
        self.timeout = timeout

    def deliver(self, message: ClaimedMessage) -> DeliveryOutcome:
        try:
            target = parse_smtp_url(self.settings.smtp_url)
        except ConfigError as exc:
            return DeliveryOutcome(message.id, False, str(exc), True)
        email = build_message(self.settings, message)
        where = f"{target.host}:{target.port}"
        try:
            client: smtplib.SMTP
            if target.implicit_tls:
                client = smtplib.SMTP_SSL(
                    target.host,
                    target.port,
                    timeout=self.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(target.host, target.port, timeout=self.timeout)
            with client:
                if target.starttls:
                    client.starttls(context=ssl.create_default_context())
                if target.username:
                    client.login(target.username, target.password or "")
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            permanent = all(code >= 500 for code in codes)
            return DeliveryOutcome(
                message.id,
                False,
                f"SMTP server {where} refused {message.target}: {codes}",
                not permanent,
            )
        except smtplib.SMTPResponseException as exc:
            return DeliveryOutcome(
                message.id,
                False,
                f"SMTP server {where} answered {exc.smtp_code}: {exc.smtp_error!r}",
                exc.smtp_code < 500,
            )
        except (OSError, smtplib.SMTPException) as exc:
            return DeliveryOutcome(
                message.id, False, f"could not deliver through SMTP server {where}: {exc}", True
            )
        return DeliveryOutcome(message.id, True)
