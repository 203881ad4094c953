"""Rendering a digest once per distinct content, then filling in each reader's own values.

Most of a coalition's readers share their digest's content with many others (same
organisation, work streams, role and timezone); what is truly theirs is their name, their
address and their two signed links. So the text and HTML (with its CSS inlined, the costly
part) are rendered once per distinct content with marks in place of those four values, and each
reader's values are put in place of the marks, escaped as the HTML serialiser of the CSS
inliner writes them (which is not how Jinja2 escapes: the inliner parses the document and
writes it out again).

The result is the plain rendering, byte for byte, and this is checked rather than assumed:
the first time a content is seen, it is rendered a second time with probe values full of the
characters HTML treats specially, and its marked rendering is used only if filling in the probe
values gives exactly that second rendering. Values the HTML parser would change (carriage
returns, NUL) take the plain path.

The quoted-printable encoding the message needs is done the same way: the parts shared by
every reader of a content are encoded once, each reader's values on their own, and the
pieces joined with soft line breaks (digests.message.qp_segment).
"""

from __future__ import annotations

import binascii
import dataclasses
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable

from digests.content import DigestContent
from digests.message import Encoded, qp_segment

Render = Callable[..., tuple[str, str]]  # (content, *, subject_line, view_url, unsubscribe_url)

# How html5ever-style serialisers (css_inline's) write text and double-quoted attribute values
_IN_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\u00a0": "&nbsp;"})
_IN_ATTRIBUTE = str.maketrans({"&": "&amp;", '"': "&quot;", "\u00a0": "&nbsp;"})
_PARSER_CHANGES = re.compile("[\r\x00\ud800-\udfff]")
_PROBE_TEXT = "<b>&amp; \"O'Brien\"\u00a0& Zoë 漢 \t<"
_PROBE_LINK = "https://probe.invalid/x?a=1&b=\"<i>'\u00a0é&amp;"


class RenderCache:
    """A `render` that renders each distinct content once (up to `size` kept, least recently
    used dropped). Use one per run: it holds renderings, not data."""

    def __init__(self, render: Render, *, size: int = 512):
        self._render = render
        self._size = size
        nonce = secrets.token_hex(8)
        self._marks = {f"zq{nonce}{key}qz": key for key in ("name", "email", "view", "unsub")}
        self._split = re.compile("(" + "|".join(self._marks) + ")")
        self._mark_of = {key: mark for mark, key in self._marks.items()}
        self._entries: OrderedDict[tuple[str, str], _Pieces | None] = OrderedDict()
        self.learned = self.filled = self.plain = 0  # contents; readers filled in, rendered

    def __call__(self, content: DigestContent, *, subject_line: str, view_url: str,
                 unsubscribe_url: str) -> tuple[str, str]:
        """Text and HTML, as `render` gives them; from the cache they are `Encoded`, their
        quoted-printable form built from parts encoded once."""
        values = {"name": content.person_name, "email": content.person_email,
                  "view": view_url, "unsub": unsubscribe_url}
        entry = None
        if not any(_PARSER_CHANGES.search(v) for v in values.values()):
            entry = self._entry(content, subject_line)
        if entry is None:
            self.plain += 1
            return self._render(content, subject_line=subject_line, view_url=view_url,
                                unsubscribe_url=unsubscribe_url)
        self.filled += 1
        return entry.fill(values)

    def _entry(self, content: DigestContent, subject_line: str) -> _Pieces | None:
        marked = dataclasses.replace(content, person_name=self._mark_of["name"],
                                     person_email=self._mark_of["email"])
        key = (repr(marked), subject_line)
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        self.learned += 1
        entry = self._entries[key] = self._learn(marked, subject_line)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return entry

    def _learn(self, marked: DigestContent, subject_line: str) -> _Pieces | None:
        """The marked rendering as pieces, if filling in probe values gives exactly what
        rendering with those values gives; None (render this content plainly) if not."""
        text, html = self._render(marked, subject_line=subject_line,
                                  view_url=self._mark_of["view"],
                                  unsubscribe_url=self._mark_of["unsub"])
        entry = _Pieces(_Rendering.of(self._pieces(text, html=False)),
                        _Rendering.of(self._pieces(html, html=True)))
        probe = {"name": _PROBE_TEXT, "email": _PROBE_TEXT, "view": _PROBE_LINK,
                 "unsub": _PROBE_LINK}
        expected = self._render(
            dataclasses.replace(marked, person_name=probe["name"], person_email=probe["email"]),
            subject_line=subject_line, view_url=probe["view"], unsubscribe_url=probe["unsub"])
        filled = entry.fill(probe)
        if filled != expected or any(binascii.a2b_qp(f.qp) != f.encode() for f in filled):
            return None
        return entry

    def _pieces(self, rendered: str, *, html: bool) -> tuple:
        """Literal strings, and (key, escaping) where a mark was: escaping for attribute
        values when the mark is inside a tag, for text otherwise (none at all in plain text)."""
        pieces: list = []
        at = 0
        for i, part in enumerate(self._split.split(rendered)):
            if i % 2:
                in_tag = rendered.rfind("<", 0, at) > rendered.rfind(">", 0, at)
                pieces.append((self._marks[part],
                               (_IN_ATTRIBUTE if in_tag else _IN_TEXT) if html else None))
            else:
                pieces.append(part)
            at += len(part)
        return tuple(pieces)


@dataclasses.dataclass(frozen=True)
class _Rendering:
    pieces: tuple  # literal strings, and (key, escaping) where a reader's value goes
    segments: tuple  # the literal strings quoted-printable encoded, once

    @classmethod
    def of(cls, pieces: tuple) -> _Rendering:
        return cls(pieces, tuple(qp_segment(p) if isinstance(p, str) else None for p in pieces))

    def fill(self, values: dict[str, str]) -> Encoded:
        text, qp = [], []
        for piece, segment in zip(self.pieces, self.segments, strict=True):
            if segment is None:
                key, escaping = piece
                value = values[key] if escaping is None else values[key].translate(escaping)
                text.append(value)
                qp.append(qp_segment(value))
            else:
                text.append(piece)
                qp.append(segment)
        return Encoded("".join(text), "".join(qp))


@dataclasses.dataclass(frozen=True)
class _Pieces:
    text: _Rendering
    html: _Rendering

    def fill(self, values: dict[str, str]) -> tuple[Encoded, Encoded]:
        return self.text.fill(values), self.html.fill(values)
