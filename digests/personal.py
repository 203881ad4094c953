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

The quoted-printable encoding the message needs is done the same way, and checked the same
way: encoding works line by line, so the lines without a reader's values are encoded once and
only the few lines with them are encoded per reader.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from digests.content import DigestContent
from digests.message import Encoded, quoted_printable

Render = Callable[..., tuple[str, str]]  # (content, *, subject_line, view_url, unsubscribe_url)

# How html5ever-style serialisers (css_inline's) write text and double-quoted attribute values
_IN_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\u00a0": "&nbsp;"})
_IN_ATTRIBUTE = str.maketrans({"&": "&amp;", '"': "&quot;", "\u00a0": "&nbsp;"})
_PARSER_CHANGES = re.compile("[\r\x00\ud800-\udfff]")
_PROBE_TEXT = "<b>&amp; \"O'Brien\"\u00a0& Zoë 漢 \t<"
_PROBE_LINK = "https://probe.invalid/x?a=1&b=\"<i>'\u00a0é&amp;"


class RenderCache:
    """A `render` that renders each distinct content once (up to `size` kept, least recently
    used dropped). One per run: what it keeps are renderings of that run's data."""

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
                 unsubscribe_url: str, key: str | None = None) -> tuple[str, str]:
        """Text and HTML, as `render` gives them; from the cache they are `Encoded`, their
        quoted-printable form built from parts encoded once. `key`, when the caller has one,
        identifies the content without the reader's name and address, and the subject (a
        digests.kept.Copy's key): it spares working one out."""
        values = {"name": content.person_name, "email": content.person_email,
                  "view": view_url, "unsub": unsubscribe_url}
        entry = None
        if not any(_PARSER_CHANGES.search(v) for v in values.values()):
            entry = self._entry(content, subject_line, key)
        if entry is None:
            self.plain += 1
            return self._render(content, subject_line=subject_line, view_url=view_url,
                                unsubscribe_url=unsubscribe_url)
        self.filled += 1
        return entry.fill(values)

    def _entry(self, content: DigestContent, subject_line: str,
               given: str | None = None) -> _Pieces | None:
        marked = None
        if given is None:
            marked = dataclasses.replace(content, person_name=self._mark_of["name"],
                                         person_email=self._mark_of["email"])
        key = (given or repr(marked), subject_line)
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        if marked is None:
            marked = dataclasses.replace(content, person_name=self._mark_of["name"],
                                         person_email=self._mark_of["email"])
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
        if filled != expected or any(f.qp != quoted_printable(str(f)) for f in filled):
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


class _Literal(NamedTuple):
    """Lines without marks, and their quoted-printable form."""

    text: str
    qp: str


@dataclasses.dataclass(frozen=True)
class _Rendering:
    """A marked rendering by lines: runs of lines without marks, encoded once, and lines with
    marks, kept as pieces. Quoted-printable encoding works line by line, so encoding those
    lines once filled in and joining gives exactly what encoding the whole text gives."""

    chunks: tuple  # _Literal, or the pieces of one line with marks

    @classmethod
    def of(cls, pieces: tuple) -> _Rendering:
        chunks: list = []
        for line in _lines(pieces):
            if any(not isinstance(p, str) for p in line):
                chunks.append(tuple(line))
            elif chunks and isinstance(chunks[-1], str):
                chunks[-1] += "".join(line)
            else:
                chunks.append("".join(line))
        return cls(tuple(_Literal(c, quoted_printable(c)) if isinstance(c, str) else c
                         for c in chunks))

    def fill(self, values: dict[str, str]) -> Encoded:
        text, qp = [], []
        for chunk in self.chunks:
            if isinstance(chunk, _Literal):
                text.append(chunk.text)
                qp.append(chunk.qp)
            else:
                line = "".join(p if isinstance(p, str) else _value(p, values) for p in chunk)
                text.append(line)
                qp.append(quoted_printable(line))
        return Encoded("".join(text), "".join(qp))


def _value(mark: tuple[str, dict | None], values: dict[str, str]) -> str:
    key, escaping = mark
    return values[key] if escaping is None else values[key].translate(escaping)


def _lines(pieces: tuple) -> list[list]:
    """The pieces cut after each line feed, where quoted-printable encoding starts afresh."""
    lines: list[list] = [[]]
    for piece in pieces:
        if not isinstance(piece, str):
            lines[-1].append(piece)
            continue
        *ended, rest = piece.split("\n")
        for part in ended:
            lines[-1].append(part + "\n")
            lines.append([])
        if rest:
            lines[-1].append(rest)
    return [line for line in lines if line]


@dataclasses.dataclass(frozen=True)
class _Pieces:
    text: _Rendering
    html: _Rendering

    def fill(self, values: dict[str, str]) -> tuple[Encoded, Encoded]:
        return self.text.fill(values), self.html.fill(values)
