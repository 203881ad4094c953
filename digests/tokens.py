"""Unsubscribe and view-in-browser links: the person's random token, signed.

Each person has a random `unsubscribe_token` (192 bits). Links carry it with an HMAC of it under
COALITION_SECRET_KEY, so a leaked database dump alone cannot forge working links. Verifying
accepts the current key and the ones in COALITION_SECRET_KEY_PREVIOUS (comma-separated), so a
key can be rotated without breaking the links already mailed. Without any key (the outbox, for
trying things out) links carry the bare token, and only the bare token is accepted: a link with
a signature that nobody can check is refused, never waved through.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from sqlmodel import Session

from coalition.errors import InputError
from store.models import Person
from store.people import person_by_token

# A person's token (`secrets.token_urlsafe(24)`: 32 characters), with its 32-hex-digit HMAC when
# links are signed.
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}(\.[0-9a-f]{32})?$")


def well_formed(signed: str) -> bool:
    """Whether a link's token has the shape of one we make (checked before any lookup)."""
    return bool(_SHAPE.match(signed))


KEY_VARIABLE = "COALITION_SECRET_KEY"


class SigningKeyMissing(InputError):
    """Digests would go out by SMTP with links nobody can verify."""


def sign(token: str, secret: str) -> str:
    if not secret:
        return token
    mac = hmac.new(secret.encode(), f"unsubscribe:{token}".encode(), hashlib.sha256)
    return f"{token}.{mac.hexdigest()[:32]}"


def verify(signed: str, secret: str, previous: Iterable[str] = ()) -> str | None:
    """The bare token of a link signed with the current key or a previous one (or, with no
    current key, a bare token); None for a bad or forged one."""
    token, dot, _mac = signed.partition(".")
    if not token or len(signed) > 200:
        return None
    if not dot:
        return None if secret else token
    for key in (secret, *previous):
        if key and hmac.compare_digest(sign(token, key).encode(), signed.encode()):
            return token
    return None


def person_for(session: Session, signed: str, secret: str,
               previous: Iterable[str] = ()) -> Person | None:
    """The person a link's token belongs to, or None for a bad or forged token."""
    token = verify(signed, secret, previous)
    if token is None:
        return None
    return person_by_token(session=session, token=token)


def check_links(*, transport: str, secret: str, base_url: str) -> list[str]:
    """Refuse to mail links nobody can verify (transport smtp without a key); the warnings
    for what may go on but should not stay so."""
    hint = ('python3 -c "import secrets; print(secrets.token_urlsafe(32))" makes one; '
            f"to change it later, move the old one to {KEY_VARIABLE}_PREVIOUS")
    if transport == "smtp" and not secret:
        raise SigningKeyMissing(
            f"transport smtp needs the environment variable {KEY_VARIABLE}: it signs the "
            "digest's unsubscribe and view-in-browser links, which could be forged without it",
            hint=hint)
    warnings = []
    if not secret:
        warnings.append(f"{KEY_VARIABLE} is not set: the digest's links are unsigned (the "
                        "outbox may do without; transport smtp will refuse)")
    if transport == "smtp" and not base_url.lower().startswith("https://"):
        warnings.append(f"[email] base_url {base_url!r} is not https://: mail clients' "
                        "one-click unsubscribe (RFC 8058) expects an HTTPS link")
    return warnings
