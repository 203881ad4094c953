"""The draft in each format: Markdown and HTML from the product's Jinja2 templates, DOCX."""

from __future__ import annotations

import datetime as dt

from digests.minutes.docx import A4, Layout, to_docx
from digests.minutes.draft import MinutesDraft
from digests.render import render_text

FORMATS = ("md", "html", "docx")


def render_minutes(draft: MinutesDraft, fmt: str, *, now: dt.datetime,
                   layout: Layout = A4) -> bytes:
    """The draft as `fmt`; `now` is the Word document's creation time."""
    if fmt == "md":
        return render_text("minutes.md.j2", d=draft).encode()
    if fmt == "html":
        return render_text("minutes.html.j2", d=draft).encode()
    if fmt == "docx":
        return to_docx(draft, now=now, layout=layout)
    raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
