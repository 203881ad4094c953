"""What a delivery was rendered from, kept so that "view in browser" shows the message sent.

A digest is built from the store as it stands when it is sent (the next meeting, the deadlines,
the week's news); days later the store says something else, so the view cannot build it again.
It reads the copy instead: the digest's content and subject as they were rendered. The copy
leaves out the reader's name and address (filled in again from the person when shown), so the
readers of one digest share one copy: a few rows a week, not one per reader.
"""

from __future__ import annotations

import dataclasses
import hashlib

import msgspec

from digests.content import DigestContent

_ENCODER = msgspec.json.Encoder()


@dataclasses.dataclass(frozen=True)
class Copy:
    key: str  # identifies content and subject: the same digest gives the same key
    subject: str
    body: bytes  # the content as JSON, without the reader's name and address


class CopyUnreadable(ValueError):
    """A kept copy this version cannot read back (its content was written by another)."""


def copy_of(content: DigestContent, subject: str) -> Copy:
    body = _ENCODER.encode(dataclasses.replace(content, person_name="", person_email=""))
    return Copy(hashlib.sha256(subject.encode() + b"\n" + body).hexdigest(), subject, body)


def content_of(body: str | bytes, *, person_name: str, person_email: str) -> DigestContent:
    """The content a copy was made from, for this reader."""
    try:
        content = msgspec.json.decode(body, type=DigestContent)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise CopyUnreadable(str(e)) from e
    return dataclasses.replace(content, person_name=person_name, person_email=person_email)
