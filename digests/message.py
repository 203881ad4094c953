"""The digest email: multipart/alternative (text, then HTML) with list headers (RFC 2369, 8058)."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr


def clean_header(value: str) -> str:
    """Values that reach headers lose CR and LF: no header injection."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def message_id(period: str, email: str, sender: str) -> str:
    """Deterministic per (digest, recipient): a resend is recognisably the same message."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "coalition-desk.invalid"
    digest = hashlib.sha256(f"{period}:{email.lower()}".encode()).hexdigest()[:24]
    return f"<digest-{period}-{digest}@{domain}>"


def build_message(*, sender: str, reply_to: str, to: str, subject: str, text: str, html: str,
                  period: str, list_id: str, unsubscribe_url: str, now: dt.datetime,
                  ) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = clean_header(sender)
    msg["To"] = clean_header(to)
    if reply_to:
        msg["Reply-To"] = clean_header(reply_to)
    msg["Subject"] = clean_header(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(period, to, sender)
    msg["List-Id"] = clean_header(list_id)
    mailto = parseaddr(reply_to or sender)[1]
    msg["List-Unsubscribe"] = (f"<{clean_header(unsubscribe_url)}>, "
                               f"<mailto:{mailto}?subject=unsubscribe>")
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg
