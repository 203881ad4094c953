"""Mail transports: `smtp` (one connection reused, reconnect on drop) and `outbox` (.eml files).

`send(message)` returns the server's reply on success, or raises:

- TransientError: the server said not now (a 4xx reply), or the connection failed before the
  whole message was handed over (Unreachable when it could not be made at all): worth retrying,
  the server cannot have kept the message;
- PermanentError: the server refused it for good (5xx): this recipient fails, the rest go on;
- AmbiguousError: the whole message was handed over and its final reply never came (the
  connection dropped, the reply came after `smtp_timeout`, a TLS error, a reply that cannot be
  read). The server may have kept it and delivered it: nothing may send it again by itself.

Why writing the message is not yet ambiguous: the server accepts a message only once it has
read the lone dot that ends it, and that dot is the last thing written. If writing fails, the
dot never left this machine (socket.sendall stops at the first failure), so the server cannot
have accepted the message.

A sender can also use the time it would spend waiting for the server: `prepare(message)` works
out beforehand what `send` needs from the message (for SMTP the envelope and the bytes), to be
passed as `send(message, prepared=...)`; `before_data()` is called before any of the message is
handed over (the SMTP transport calls it while the server answers MAIL FROM), and the message
goes only if it returns; `while_waiting()` is called once the whole message went out, before
the server's reply is read.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from email import policy
from email.message import Message
from email.utils import getaddresses
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from coalition.errors import OperationError
from digests.message import DigestMessage

log = logging.getLogger("coalition.digest")

SMTP_POLICY = policy.compat32.clone(linesep="\r\n")  # CRLF line ends, as on the wire


class TransientError(OperationError):
    """The mail server said not now (4xx), or could not be reached: try again later."""


class Unreachable(TransientError):
    """No connection to the mail server could be made (down, refused, TLS or login failed
    to start): the following messages would fare no better."""


class PermanentError(OperationError):
    """The mail server refused this message for good (5xx)."""


class AmbiguousError(OperationError):
    """The whole message was handed to the server and its final reply never came: it may have
    been kept and delivered. Never re-sent by itself (`coalition digest resend` is the
    operator's way, once the mail server's log has been checked)."""


class OutboxTransport:
    """Writes each message as an .eml file: the demo shows real emails with no mail server."""

    def __init__(self, folder: Path):
        self.folder = folder

    def prepare(self, message: Message) -> None:
        return None

    def send(self, message: Message, *, prepared: None = None,
             before_data: Callable[[], None] | None = None,
             while_waiting: Callable[[], None] | None = None) -> str:
        if before_data is not None:
            before_data()
        self.folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", message["Message-ID"].strip("<>")) + ".eml"
        path = self.folder / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message.as_bytes())
        os.replace(tmp, path)  # atomic: a crash leaves no half-written email
        return f"outbox: {path.name}"

    def close(self) -> None:
        pass


class Envelope(NamedTuple):
    """What the SMTP transport sends of a message: MAIL FROM, RCPT TOs, and the DATA payload
    (the message's bytes, dot-stuffed and ended with a lone dot)."""

    sender: str
    recipients: list[str]
    data: bytes


class SmtpTransport:
    def __init__(self, *, host: str, port: int, security: str, user: str = "",
                 password: str = "", timeout: float = 30.0, local_hostname: str | None = None,
                 context: ssl.SSLContext | None = None):
        """`context`: the TLS settings (default: the system's CAs, hostnames checked)."""
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        self.local_hostname = local_hostname
        self.context = context
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        local_hostname=self.local_hostname,
                                        context=self.context or ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout,
                                    local_hostname=self.local_hostname)
                if self.security == "starttls":
                    smtp.starttls(context=self.context or ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
        except smtplib.SMTPAuthenticationError as e:
            raise PermanentError(f"SMTP login as {self.user!r} refused: {e.smtp_code}") from e
        except (OSError, smtplib.SMTPException) as e:
            raise Unreachable(f"cannot connect to SMTP {self.host}:{self.port}: {e}") from e
        return smtp

    @staticmethod
    def prepare(message: Message) -> Envelope:
        recipients = (message.recipients() if isinstance(message, DigestMessage)
                      else [addr for _, addr in getaddresses(message.get_all("To", []))])
        return Envelope(_mailbox(str(message["From"])), recipients,
                        _dot_stuffed(message.as_bytes(policy=SMTP_POLICY)))

    def send(self, message: Message, *, prepared: Envelope | None = None,
             before_data: Callable[[], None] | None = None,
             while_waiting: Callable[[], None] | None = None) -> str:
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        sender, recipients, data = prepared or self.prepare(message)
        try:  # nothing of the message has reached the server yet: failures are retryable
            smtp.ehlo_or_helo_if_needed()
            smtp.putcmd("mail", f"FROM:<{sender}>")
            if before_data is not None:
                try:
                    before_data()
                except BaseException:
                    self._abandon()
                    raise
            self._expect(smtp.getreply(), (250,))
            for rcpt in recipients:  # already parsed: smtplib.quoteaddr would parse again
                smtp.putcmd("rcpt", f"TO:<{rcpt}>")
                self._expect(smtp.getreply(), (250, 251))
            self._expect(smtp.docmd("data"), (354,))
            smtp.send(data)  # the lone dot that ends the message is its last bytes
        except (TransientError, PermanentError):
            self._reset()
            raise
        except (OSError, smtplib.SMTPException) as e:  # TimeoutError, ssl.SSLError included
            self._drop()
            raise TransientError(f"SMTP connection lost before the message was handed over: "
                                 f"{e}") from e
        # The server has the whole message: from here on, no failure may lead to a retry.
        if while_waiting is not None:
            try:
                while_waiting()
            except Exception:  # only a head start on the next message: never this one's fate
                log.exception("preparing the next message while the server answers")
        try:
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as e:
            self._drop()
            raise AmbiguousError(f"no reply from the server after the message was handed "
                                 f"over: {e or type(e).__name__}") from e
        if code == -1:
            self._drop()
            raise AmbiguousError(f"an unreadable reply after the message was handed over: "
                                 f"{reply.decode(errors='replace')[:200]!r}")
        try:
            self._expect((code, reply), (250,))
        except (TransientError, PermanentError):
            self._reset()
            raise
        return f"{code} {reply.decode(errors='replace')}"

    def _abandon(self) -> None:
        """Leave a transaction whose MAIL FROM is unanswered: nothing of it goes out."""
        try:
            if self._smtp is not None:
                self._smtp.getreply()
        except (smtplib.SMTPException, OSError):
            self._drop()
        self._reset()

    @staticmethod
    def _expect(answer: tuple[int, bytes], ok: tuple[int, ...]) -> None:
        code, reply = answer
        if code in ok:
            return
        text = f"{code} {reply.decode(errors='replace')}"
        if 400 <= code < 500 or code == -1:
            raise TransientError(text)
        raise PermanentError(text)

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._drop()


@lru_cache(maxsize=64)
def _mailbox(value: str) -> str:
    """The address in a From header: the same for every message of a run."""
    return getaddresses([value])[0][1]


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload as smtplib.SMTP.data sends it: a dot starting a line doubled, then a
    line with a lone dot. (smtplib's multi-line regular expression takes 70 µs on a digest.)"""
    data = (b"." if data.startswith(b".") else b"") + data.replace(b"\n.", b"\n..")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def make_transport(config):
    """The transport the configuration names; the password only from the environment."""
    email = config.email
    if email.transport == "outbox":
        return OutboxTransport(config.path(email.outbox_dir))
    return SmtpTransport(host=email.smtp_host, port=email.smtp_port,
                         security=email.smtp_security, user=email.smtp_user,
                         password=config.secrets.smtp_password, timeout=email.smtp_timeout)
