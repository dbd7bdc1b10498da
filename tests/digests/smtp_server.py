"""A real SMTP server for the sending tests (aiosmtpd in a thread), recording what it accepted.

It can refuse chosen recipients with a 550 (at RCPT or at DATA) and hold a message at DATA
until the test lets it go, to stop a sender in the middle of a batch.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.rcpt_attempts: Counter[str] = Counter()
        self.refuse_at_rcpt: set[str] = set()
        self.refuse_at_data: set[str] = set()
        self.delay = 0.0  # seconds before answering each DATA
        # Hold every DATA after the first ``hold_after`` accepted messages until ``release``
        # is set; then answer it with a 451 (not accepted).
        self.hold_after: int | None = None
        self.release = threading.Event()
        self.holding = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_attempts[address] += 1
        if address in self.refuse_at_rcpt:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if set(envelope.rcpt_tos) & self.refuse_at_data:
            return "550 5.7.1 Message refused"
        if self.hold_after is not None and len(self.messages) >= self.hold_after:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            return "451 4.3.0 Not accepted"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def received(self) -> Counter[str]:
        """How many messages each recipient got."""
        with self.lock:
            return Counter(rcpt for rcpts, _ in self.messages for rcpt in rcpts)


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def mailer(self) -> dict:
        """A MAILERS entry sending to this server."""
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
        }

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.handler.release.set()
        self.controller.stop()
