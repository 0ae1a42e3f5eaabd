"""Webhook endpoints and their delivery: signed generic JSON or Slack-compatible payloads.

Every call carries ``Idempotency-Key`` (the outbox key: the same on every redelivery),
``X-Cxloop-Timestamp`` and ``X-Cxloop-Signature: sha256=HMAC(secret, timestamp "." body)``.
A receiver verifies the signature, rejects stale timestamps and drops keys it has seen.
Slack incoming webhooks ignore unknown headers, so the same signing applies to them.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cxloop.errors import ConflictError, NotFoundError, ValidationError
from cxloop.loop.outbox import ClaimedMessage, DeliveryOutcome
from cxloop.loop.signing import sign_body
from cxloop.storage.db import transaction
from cxloop.storage.models.delivery import WebhookEndpoint

STYLES = ("json", "slack")
SIGNATURE_HEADER = "X-Cxloop-Signature"
TIMESTAMP_HEADER = "X-Cxloop-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def add_webhook(
    session: Session, name: str, url: str, *, secret: str | None = None, style: str = "json"
) -> tuple[WebhookEndpoint, str]:
    """Configure a named receiver; returns it and its signing secret (generated if not given)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"{url!r} is not an http(s) URL", details={"field": "url"})
    if style not in STYLES:
        raise ValidationError(
            f"unknown webhook style {style!r}", hint="use json or slack", details={"field": "style"}
        )
    if session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.name == name)):
        raise ConflictError(
            f"webhook {name!r} already exists",
            hint=f"remove it first: cxloop outbox webhooks remove {name}",
        )
    secret = secret or secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(name=name, url=url, secret=secret, style=style, active=True)
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def remove_webhook(session: Session, name: str) -> None:
    endpoint = session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.name == name))
    if endpoint is None:
        raise NotFoundError(f"webhook {name!r} is not configured")
    session.delete(endpoint)


def list_webhooks(session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.name)))


def slack_escape(text: str) -> str:
    """Slack reads ``<...>`` as links and mentions; customer text must not be able to ping
    ``<!channel>`` or forge a link, so &, < and > are escaped as Slack documents."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook body: ``text`` (the fallback) plus one section block."""
    raw = str(payload.get("text") or payload.get("summary") or payload.get("event") or "cxloop")
    text = slack_escape(raw)[:3000]
    fields = [
        {"type": "mrkdwn", "text": f"*{slack_escape(key)}*\n{slack_escape(str(value))[:1900]}"}
        for key, value in payload.items()
        if key not in ("text", "summary") and isinstance(value, str | int | float)
    ][:10]
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if fields:
        block["fields"] = fields
    return {"text": text, "blocks": [block]}


def render_body(style: str, message: ClaimedMessage) -> bytes:
    """The exact bytes that are signed and sent."""
    if style == "slack":
        doc: dict[str, Any] = slack_payload(message.payload)
    else:
        doc = {
            "id": message.idempotency_key,
            "event": message.payload.get("event", "notification"),
            "data": message.payload,
        }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True, default=str).encode()


class WebhookDeliverer:
    """Delivers ``webhook`` outbox messages over one pooled HTTP client (thread-safe).

    2xx is success; 408, 429 and 5xx and network errors are retried; other 4xx mean the
    receiver rejects the message, so retrying would not help and it fails at once.
    """

    channel = "webhook"

    def __init__(self, engine: Engine, *, timeout: float = 10.0, pool_size: int = 32) -> None:
        self.engine = engine
        self._client = httpx.Client(
            timeout=timeout,
            limits=httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size),
        )
        self._endpoints: dict[str, WebhookEndpoint] = {}
        self._lock = threading.Lock()

    def _endpoint(self, name: str) -> WebhookEndpoint | None:
        with self._lock:
            if name not in self._endpoints:
                with transaction(self.engine) as session:
                    found = session.scalar(
                        select(WebhookEndpoint).where(WebhookEndpoint.name == name)
                    )
                    if found is not None:
                        session.expunge(found)
                        self._endpoints[name] = found
            return self._endpoints.get(name)

    def deliver(self, message: ClaimedMessage) -> DeliveryOutcome:
        endpoint = self._endpoint(message.target)
        if endpoint is None or not endpoint.active:
            return DeliveryOutcome(
                message.id,
                False,
                f"webhook {message.target!r} is not configured or inactive",
                False,
            )
        body = render_body(endpoint.style, message)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: message.idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign_body(endpoint.secret, timestamp, body),
            "User-Agent": "cxloop-webhooks/1",
        }
        try:
            response = self._client.post(endpoint.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return DeliveryOutcome(message.id, False, f"{type(exc).__name__}: {exc}", True)
        status = response.status_code
        if 200 <= status < 300:
            return DeliveryOutcome(message.id, True)
        retryable = status in (408, 429) or status >= 500
        return DeliveryOutcome(
            message.id, False, f"HTTP {status} from webhook {message.target!r}", retryable
        )

    def close(self) -> None:
        self._client.close()
