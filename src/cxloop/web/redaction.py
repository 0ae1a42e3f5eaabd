"""Personal data is redacted wherever the web app shows customer words.

The text engine stores ``enrichments.redacted_text``; rows not enriched yet are redacted on
the fly with the same redactor, so a page never shows an e-mail, phone or card number that the
engine would have hidden.
"""

from __future__ import annotations

from cxloop.text.pii import redact


def redact_for_display(text: str | None) -> str | None:
    return redact(text) if text else text
