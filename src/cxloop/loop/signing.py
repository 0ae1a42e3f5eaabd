"""Signed references and links: what lets an email reply or a follow-up link be trusted.

A case reference such as ``CX-000123`` is public (customers see it), so threading an inbound
email by the bare reference would let anyone attach text to any case. Outgoing mail carries
``CX-000123.<tag>`` where the tag is a truncated HMAC-SHA256 of the reference under the
workspace's signing key; an inbound email is threaded only when the tag verifies.
Webhook bodies are signed the same way with the endpoint's own secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

#: 16 hex characters = 64 bits: far beyond guessing by mail, short enough for a subject line.
TAG_LENGTH = 16

#: A signed reference as it appears in a subject, a Message-ID or a plus-address.
SIGNED_REFERENCE = re.compile(r"\b([A-Z]{2,5}-\d{3,12})\.([0-9a-f]{" + str(TAG_LENGTH) + r"})\b")


def reference_tag(key: bytes, reference: str) -> str:
    """The HMAC tag of one case reference."""
    digest = hmac.new(key, b"case-reference:" + reference.encode(), hashlib.sha256)
    return digest.hexdigest()[:TAG_LENGTH]


def sign_reference(key: bytes, reference: str) -> str:
    """``CX-000123`` -> ``CX-000123.<tag>``."""
    return f"{reference}.{reference_tag(key, reference)}"


@dataclass(frozen=True)
class FoundReference:
    reference: str
    tag: str
    valid: bool


def find_references(key: bytes, text: str) -> list[FoundReference]:
    """Every signed-looking reference in ``text``, each with whether its tag verifies."""
    found: dict[tuple[str, str], FoundReference] = {}
    for match in SIGNED_REFERENCE.finditer(text or ""):
        ref, tag = match.group(1), match.group(2)
        valid = hmac.compare_digest(tag, reference_tag(key, ref))
        found[(ref, tag)] = FoundReference(ref, tag, valid)
    return list(found.values())


def sign_body(secret: str, timestamp: str, body: bytes) -> str:
    """The webhook signature header value: ``sha256=`` + HMAC(secret, timestamp + "." + body).

    Including the timestamp lets a receiver reject replays older than a few minutes.
    """
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_body(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Constant-time check of a webhook signature (what a receiver does)."""
    return hmac.compare_digest(sign_body(secret, timestamp, body), signature)
