"""A real SMTP server (aiosmtpd on 127.0.0.1, a free port) with faults to order."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller

from coalition.config import load_config


class RecordingHandler:
    """Records every accepted message; can drop the connection, defer or refuse on demand."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[str] = []
        self.drop_after: int | None = None  # close the connection after this many messages
        self.tempfail_next = 0  # answer 451 to this many DATA commands first
        self.refuse: set[str] = set()  # RCPT TO answered 550
        self.delay = 0.0
        self.on_data = None  # called with the envelope when a message's DATA is complete
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.on_data:
            self.on_data(envelope)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.tempfail_next:
                self.tempfail_next -= 1
                return "451 4.3.0 try again later"
            if self.drop_after is not None and len(self.messages) >= self.drop_after:
                self.drop_after = None
                server.transport.close()
                return "421 closing"
            self.messages.append(email.message_from_bytes(envelope.content,
                                                          policy=policy.default))
            self.recipients.extend(envelope.rcpt_tos)
            n = len(self.messages)
        return f"250 2.0.0 queued as {n}"

    def count_for(self, address: str) -> int:
        return sum(1 for r in self.recipients if r == address)


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


def smtp_config(port: int, **env):
    values = {"COALITION_EMAIL_TRANSPORT": "smtp", "COALITION_EMAIL_SMTP_HOST": "127.0.0.1",
              "COALITION_EMAIL_SMTP_PORT": str(port), "COALITION_EMAIL_SMTP_SECURITY": "none",
              "COALITION_EMAIL_BASE_URL": "https://desk.example.org",
              "COALITION_SECRET_KEY": "test-secret-key-for-links"}
    values.update(env)
    return load_config(None, env=values)


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")
