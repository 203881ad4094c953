"""A real SMTP server (aiosmtpd on 127.0.0.1, a free port) with the faults real servers make.

Faults are ordered per recipient address, for its next messages (`fault(address, kind)`) or
for every one (`times=None`), so a test knows whom each one hit:

- "keep-then-drop": keeps the message, then drops the connection before its 250 (the message
  was delivered; the reply was lost);
- "keep-then-late": keeps it and answers 250 only after `late_by` seconds, past the client's
  timeout;
- "keep-then-bad-tls": keeps it, then writes a corrupt TLS record where the reply should be
  and cuts the line (on a TLS server: the client's TLS layer fails reading the reply);
- "421-after-data": answers the message with 421 and closes the connection (keeps nothing);
- "451-at-rcpt": answers RCPT TO with 451 (keeps nothing);
- "550-at-rcpt": answers RCPT TO with 550 (keeps nothing).

And the older switches: `drop_after` (after that many kept messages, drop the connection when
the next one's DATA is complete, before keeping it), `tempfail_next` (451 to that many DATA),
`refuse` (550 at RCPT), `delay` (seconds before answering DATA), `on_data` (a hook). A server
that is down is a port nobody listens on (`down_port`).
"""

from __future__ import annotations

import asyncio
import email
import os
import socket
import threading
import time
from collections import defaultdict
from email import policy

import pytest
from aiosmtpd.controller import Controller

from coalition.config import load_config

RCPT_FAULTS = {"451-at-rcpt": "451 4.3.0 mailbox busy, try again later",
               "550-at-rcpt": "550 5.1.1 mailbox unavailable"}
DATA_FAULTS = ("keep-then-drop", "keep-then-late", "keep-then-bad-tls", "421-after-data")


class RecordingHandler:
    """Records every message it keeps; makes the faults it is told to."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[str] = []
        self.drop_after: int | None = None  # close the connection after this many messages
        self.tempfail_next = 0  # answer 451 to this many DATA commands first
        self.refuse: set[str] = set()  # RCPT TO answered 550
        self.delay = 0.0
        self.late_by = 2.0  # "keep-then-late" answers after this many seconds
        self.on_data = None  # called with the envelope when a message's DATA is complete
        self.faults: dict[str, list[str]] = defaultdict(list)  # address -> next messages'
        self.always: dict[str, str] = {}  # address -> the fault every message to it meets
        self.lock = threading.Lock()

    def fault(self, address: str, kind: str, times: int | None = 1) -> None:
        assert kind in RCPT_FAULTS or kind in DATA_FAULTS, kind
        if times is None:
            self.always[address] = kind
        else:
            self.faults[address].extend([kind] * times)

    def clear_faults(self) -> None:
        self.faults.clear()
        self.always.clear()

    def _take(self, address: str, kinds) -> str | None:
        with self.lock:
            if self.always.get(address) in kinds:
                return self.always[address]
            queue = self.faults.get(address)
            if queue and queue[0] in kinds:
                return queue.pop(0)
        return None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        kind = self._take(address, RCPT_FAULTS)
        if kind:
            return RCPT_FAULTS[kind]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.on_data:
            self.on_data(envelope)
        if self.delay:
            await asyncio.sleep(self.delay)
        kind = next(filter(None, (self._take(a, DATA_FAULTS) for a in envelope.rcpt_tos)), None)
        if kind == "421-after-data":
            # the reply goes out first, then the line is closed, as a server shutting down does
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.3.2 service shutting down, closing the connection"
        with self.lock:
            if self.tempfail_next:
                self.tempfail_next -= 1
                return "451 4.3.0 try again later"
            if self.drop_after is not None and len(self.messages) >= self.drop_after:
                self.drop_after = None
                server.transport.close()  # nothing more goes out on this connection
                return "421 closing"
            n = self._keep(envelope)
        if kind == "keep-then-drop":
            server.transport.close()
            return f"250 2.0.0 queued as {n} (never read: the connection is closed)"
        if kind == "keep-then-bad-tls":
            # an application-data record whose MAC cannot check out, under TLS's own layer
            os.write(server.transport.get_extra_info("socket").fileno(),
                     b"\x17\x03\x03\x00\x30" + os.urandom(48))
            server.transport.abort()
            return f"250 2.0.0 queued as {n} (never sent: the connection is cut)"
        if kind == "keep-then-late":
            await asyncio.sleep(self.late_by)
        return f"250 2.0.0 queued as {n}"

    def _keep(self, envelope) -> int:
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.extend(envelope.rcpt_tos)
        return len(self.messages)

    def count_for(self, address: str) -> int:
        with self.lock:
            return sum(1 for r in self.recipients if r == address)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


@pytest.fixture
def tls_smtp():
    """The recording server behind implicit TLS (port 465 style), with a certificate from a
    test CA; `handler.client_context` trusts that CA."""
    import ssl

    trustme = pytest.importorskip("trustme", reason="trustme makes the test CA")
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    handler = RecordingHandler()
    handler.client_context = ssl.create_default_context()
    ca.configure_trust(handler.client_context)
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port,
                            ssl_context=server_context)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def down_port():
    """A port on which no mail server listens: a server that is down."""
    return free_port()


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
