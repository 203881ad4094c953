"""The digest email: multipart/alternative (text, then HTML) with list headers (RFC 2369, 8058).

Built with the email package's compat32 classes: for thousands of messages a week they are
several times faster than EmailMessage's header objects, and produce the same wire format.
Two further savings, since a weekly run builds one message per recipient:

- the bodies are quoted-printable encoded by `binascii.b2a_qp` (C) instead of the email
  package's pure-Python encoder: lines of at most 76 characters either way;
- `DigestMessage.as_bytes` writes the message in one pass, byte for byte what the email
  package's generator writes for it (tests/digests/test_digest_message.py holds it to that),
  skipping the generator's per-line writes, per-header `Header` objects and boundary search.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from email.generator import NLCRE
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.policy import Compat32
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
from functools import lru_cache


def clean_header(value: str) -> str:
    """Values that reach headers lose CR and LF: no header injection."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def _address(value: str) -> str:
    name, addr = parseaddr(clean_header(value))
    return formataddr((name, addr), charset="utf-8") if name else addr


@lru_cache(maxsize=256)
def _text(value: str) -> str:
    """ASCII as it is; anything else as RFC 2047 base64 encoded-words of at most 75 characters.
    (email.header.Header does the same but spends milliseconds a header searching for splits.)"""
    value = clean_header(value)
    if value.isascii():
        return value
    words, chunk = [], ""
    for char in value:
        if len((chunk + char).encode()) > 39:
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    return " ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words)


# The sender's values are the same for every message of a run: worked out once.
_fixed_address = lru_cache(maxsize=64)(_address)


@lru_cache(maxsize=64)
def _mailbox(value: str) -> str:
    return parseaddr(value)[1]


@lru_cache(maxsize=64)
def _domain(sender: str) -> str:
    return _mailbox(sender).rpartition("@")[2] or "coalition-desk.invalid"


@lru_cache(maxsize=16)
def _date(now: dt.datetime) -> str:
    return format_datetime(now)


def message_id(period: str, email: str, sender: str) -> str:
    """Deterministic per (digest, recipient): a resend is recognisably the same message."""
    domain = _domain(sender)
    digest = hashlib.sha256(f"{period}:{email.lower()}".encode()).hexdigest()[:24]
    return f"<digest-{period}-{digest}@{domain}>"


class Encoded(str):
    """A text that carries its quoted-printable form: digests.personal encodes the lines that
    many messages share once, and only the lines with each reader's own values per message."""

    def __new__(cls, text: str, qp: str):
        self = super().__new__(cls, text)
        self.qp = qp
        return self


def quoted_printable(content: str) -> str:
    """UTF-8, quoted-printable (RFC 2045): ASCII lines of at most 76 characters."""
    if isinstance(content, Encoded):
        return content.qp
    return binascii.b2a_qp(content.encode("utf-8"), istext=True).decode("ascii")


def _part(content: str, subtype: str) -> Message:
    """What MIMENonMultipart("text", subtype, charset="utf-8") with a quoted-printable
    payload is, without formatting the parameter every time."""
    part = Message()
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["MIME-Version"] = "1.0"
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(quoted_printable(content))
    return part


class DigestMessage(MIMEMultipart):
    """multipart/alternative, as MIMEMultipart("alternative", boundary=...) makes it (without
    formatting and parsing its parameter again), that knows who it was built for and whose
    `as_bytes` is a one-pass writer for what this module builds: ASCII headers and already
    encoded ASCII bodies. Anything else, and any policy other than compat32's, goes to the
    email package's generator as usual."""

    def __init__(self, boundary: str, to: str, address: str):
        Message.__init__(self)
        self["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        self["MIME-Version"] = "1.0"
        self._built_for = (to, address)

    def recipients(self) -> list[str]:
        """The envelope recipients: the address it was built for, while its To header is the
        one it was built with (no parsing it back); otherwise the To header's addresses."""
        to = self.get_all("To", [])
        if to == [self._built_for[0]]:
            return [self._built_for[1]]
        return [addr for _, addr in getaddresses(to)]

    def as_bytes(self, unixfrom: bool = False, policy=None) -> bytes:
        policy = self.policy if policy is None else policy
        if not unixfrom and type(policy) is Compat32 and policy.max_line_length:
            flat = _flatten(self, policy)
            if flat is not None:
                return flat.encode("ascii")
        return super().as_bytes(unixfrom=unixfrom, policy=policy)


def _fold(policy: Compat32, name: str, value) -> str | None:
    if not isinstance(value, str) or not value.isascii():
        return None
    if value.isprintable() and len(name) + 2 + len(value) <= policy.max_line_length:
        return f"{name}: {value}{policy.linesep}"  # what compat32's folding leaves it as
    return _folded(policy, name, value)


# compat32 folds an ASCII value (email.header's algorithm) by looking at nothing but its
# whitespace, semicolons and commas, and lengths. So a value folds as its "shape", every other
# character an "x", does; and shapes repeat from message to message where values do not.
_SHAPE = str.maketrans({chr(c): "x" for c in range(33, 127) if chr(c) not in ";,"})


def _folded(policy: Compat32, name: str, value: str) -> str:
    """policy.fold_binary(name, value) as text: the shape's folding, memorised, with the
    value's characters put back in their places."""
    shape = value.translate(_SHAPE)
    head, nl = f"{name}: ", policy.linesep
    lines, at = [], 0
    for i, line in enumerate(_fold_shape(policy, name, shape)[len(head):-len(nl)].split(nl)):
        lead = ""
        if i and line[:1] == " " and shape[at:at + 1] != " ":  # a space the folding put in
            lead, line = " ", line[1:]
        if line != shape[at:at + len(line)]:
            return policy.fold_binary(name, value).decode("ascii")  # never seen; to be sure
        lines.append(lead + value[at:at + len(line)])
        at += len(line)
    if at != len(value):
        return policy.fold_binary(name, value).decode("ascii")
    return head + nl.join(lines) + nl


@lru_cache(maxsize=256)
def _fold_shape(policy: Compat32, name: str, shape: str) -> str:
    return policy.fold_binary(name, shape).decode("ascii")


@lru_cache(maxsize=64)
def _boundary(content_type: str) -> str | None:
    probe = Message()
    probe["Content-Type"] = content_type
    return probe.get_boundary()


def _flatten(msg: Message, policy: Compat32) -> str | None:
    """The generator's output for `msg` (compat32, no unixfrom, mangle_from_ off), or None
    when `msg` holds something this writer does not handle."""
    nl = policy.linesep
    headers = []
    for name, value in msg._headers:
        line = _fold(policy, name, value)
        if line is None:
            return None
        headers.append(line)
    payload, kind = msg._payload, msg.get_content_maintype()
    if kind in ("message", "multipart") and not isinstance(payload, list):
        return None
    if isinstance(payload, str):
        if not payload.isascii():
            return None
        body = payload.replace("\n", nl) if "\r" not in payload else NLCRE.sub(nl, payload)
    elif isinstance(payload, list) and msg.get_content_type() == "multipart/alternative":
        boundary = _boundary(msg.get("Content-Type", ""))
        texts = [_flatten(part, policy) for part in payload]
        if boundary is None or None in texts or msg.preamble is not None \
                or msg.epilogue is not None:
            return None
        delimiter = f"--{boundary}{nl}"
        body = delimiter + f"{nl}{delimiter}".join(texts) + f"{nl}--{boundary}--{nl}"
    elif payload is None:
        body = ""
    else:
        return None
    return "".join(headers) + nl + body


def build_message(*, sender: str, reply_to: str, to: str | tuple[str, str], subject: str,
                  text: str, html: str, period: str, list_id: str, unsubscribe_url: str,
                  now: dt.datetime) -> DigestMessage:
    """`to` is "Name <address>", or the (name, address) pair: a name such as "Smith, John"
    or "Eve <boss@example.org>" then cannot change the address."""
    name, address = parseaddr(clean_header(to)) if isinstance(to, str) else map(clean_header, to)
    to_value = formataddr((name, address), charset="utf-8") if name else address
    # "=_" never occurs in quoted-printable text: the boundary cannot occur in the bodies
    msg = DigestMessage(f"=_digest-{period}", to_value, address)
    msg["From"] = _fixed_address(sender)
    msg["To"] = to_value
    if reply_to:
        msg["Reply-To"] = _fixed_address(reply_to)
    msg["Subject"] = _text(subject)
    msg["Date"] = _date(now)
    msg["Message-ID"] = message_id(period, address, sender)
    msg["List-Id"] = _text(list_id)
    mailto = _mailbox(reply_to or sender)
    msg["List-Unsubscribe"] = (f"<{clean_header(unsubscribe_url)}>, "
                               f"<mailto:{mailto}?subject=unsubscribe>")
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg.attach(_part(text, "plain"))
    msg.attach(_part(html, "html"))
    return msg


def body(message, subtype: str) -> str:
    """The decoded text of the message's text/`subtype` part."""
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise LookupError(f"no text/{subtype} part")
