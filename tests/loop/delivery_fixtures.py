"""Real receivers for delivery tests: an aiosmtpd SMTP server and threaded HTTP webhook servers.

Nothing here is a mock: the worker talks SMTP and HTTP over real sockets on 127.0.0.1.
The webhook receiver behaves like a well-built production receiver: it verifies the
signature and processes each idempotency key once, answering 200 to a repeat.
"""

from __future__ import annotations

import email
import json
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from cxloop.loop.signing import verify_body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeClock:
    """An injectable clock (the only thing faked: time itself)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class _Collector:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.original_content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a free local port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.collector = _Collector()
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[Message]:
        return list(self.collector.messages)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class WebhookReceiver:
    """A threaded HTTP server that verifies signatures and dedups by idempotency key.

    ``fail_rate`` makes it answer 500 before processing on that share of requests
    (seeded, so a run is reproducible).
    """

    secret: str | None = None
    fail_rate: float = 0.0
    seed: int = 7
    delay: float = 0.0
    arrivals: Counter[str] = field(default_factory=Counter)
    processed: Counter[str] = field(default_factory=Counter)
    bodies: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    bad_signatures: int = 0
    failures_sent: int = 0
    failed_after_processing: int = 0
    duplicates_dropped: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver.receive(body, dict(self.headers.items()))
                if receiver.delay:
                    time.sleep(receiver.delay)  # processed, but the answer is slow
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def receive(self, body: bytes, headers: dict[str, str]) -> int:
        key = headers.get("Idempotency-Key", "")
        with self._lock:
            self.arrivals[key] += 1
            if self.secret is not None and not verify_body(
                self.secret,
                headers.get("X-Cxloop-Timestamp", ""),
                body,
                headers.get("X-Cxloop-Signature", ""),
            ):
                self.bad_signatures += 1
                return 401
            if self.fail_rate and self._rng.random() < self.fail_rate:
                self.failures_sent += 1
                if self._rng.random() < 0.5 and key not in self.processed:
                    # the work was done but the answer is lost: a redelivery must be deduped
                    self.processed[key] += 1
                    self.bodies[key] = json.loads(body)
                    self.headers[key] = headers
                    self.failed_after_processing += 1
                return 500
            if key in self.processed:
                self.duplicates_dropped += 1
                return 200  # already done: acknowledge, do not process again
            self.processed[key] += 1
            self.bodies[key] = json.loads(body)
            self.headers[key] = headers
            return 200

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
