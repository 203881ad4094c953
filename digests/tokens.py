"""Unsubscribe and view-in-browser links: the person's random token, signed.

Each person has a random `unsubscribe_token` (192 bits). When COALITION_SECRET_KEY is set, links
also carry an HMAC of it, so a leaked database dump alone cannot forge working links.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from sqlmodel import Session

from store.models import Person
from store.people import person_by_token

# A person's token (`secrets.token_urlsafe(24)`: 32 characters), with its 32-hex-digit HMAC when
# links are signed.
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}(\.[0-9a-f]{32})?$")


def well_formed(signed: str) -> bool:
    """Whether a link's token has the shape of one we make (checked before any lookup)."""
    return bool(_SHAPE.match(signed))


def sign(token: str, secret: str) -> str:
    if not secret:
        return token
    mac = hmac.new(secret.encode(), f"unsubscribe:{token}".encode(), hashlib.sha256)
    return f"{token}.{mac.hexdigest()[:32]}"


def person_for(session: Session, signed: str, secret: str) -> Person | None:
    """The person a link's token belongs to, or None for a bad or forged token."""
    token, _, _mac = signed.partition(".")
    if not token or len(signed) > 200:
        return None
    if secret and not hmac.compare_digest(sign(token, secret), signed):
        return None
    return person_by_token(session=session, token=token)
