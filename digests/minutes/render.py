"""The draft in each format: Markdown and HTML from the product's Jinja2 templates, DOCX."""

from __future__ import annotations

from digests.minutes.docx import to_docx
from digests.minutes.draft import MinutesDraft
from digests.render import render_text

FORMATS = ("md", "html", "docx")


def render_minutes(draft: MinutesDraft, fmt: str) -> bytes:
    if fmt == "md":
        return render_text("minutes.md.j2", d=draft).encode()
    if fmt == "html":
        return render_text("minutes.html.j2", d=draft).encode()
    if fmt == "docx":
        return to_docx(draft)
    raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
