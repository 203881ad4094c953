"""Parsing fetched bytes with feedparser, and turning entries into what we store.

feedparser's own sanitizer and relative-URI pass are turned off for our calls (nh3 sanitizes
and `worker.clean` resolves links, far faster); feedparser's module defaults are left alone for
anyone else in the process. Documents that declare entities anywhere in their prolog are
refused before parsing: no billion laughs, no external entity reading a local file.

What is stored is what the publisher meant: titles as plain text, links absolute (resolved
against `xml:base`, else the `Content-Location` header, else the address the document was
finally fetched from), the summary and the content both kept, sanitized, and cut without
breaking their markup.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import html
from dataclasses import dataclass, field

from coalition.errors import OperationError
from worker.clean import (
    absolute_links,
    absolute_url,
    plain_text,
    safe_link,
    sanitize,
    truncate_html,
)
from worker.prolog import declares_entities

SUMMARY_CHARS = 20_000  # the digest's snippet
CONTENT_CHARS = 200_000  # the full text
TITLE_CHARS = 1000


class ParseError(OperationError):
    """The body is not a feed we can read safely."""


@dataclass
class ParsedEntry:
    identity: str
    guid: str
    link: str
    title: str
    summary_html: str
    content_html: str
    author: str
    published_at: dt.datetime | None
    content_hash: str


@dataclass
class ParsedFeed:
    title: str
    entries: list[ParsedEntry] = field(default_factory=list)
    warning: str = ""


@functools.cache
def load_feedparser():
    """feedparser, imported on first use (a poller that parses in `worker.parsers`' processes
    never needs it), with `worker.speedups` installed."""
    import feedparser

    from worker import speedups

    speedups.install()
    return feedparser


# --- entries ---------------------------------------------------------------------------------

def _when(entry) -> dt.datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # the keys as stored: feedparser's deprecated `updated_parsed` -> `published_parsed`
        # fallback would only give the published date again, with a DeprecationWarning
        value = dict.get(entry, key)
        if value:
            try:
                return dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC)
            except (OverflowError, ValueError):
                continue
    return None


def _identity(guid: str, link: str, title: str, when: dt.datetime | None) -> str:
    basis = f"guid:{guid}" if guid else f"link:{link}" if link else \
        f"title:{title}|{when.isoformat() if when else ''}"
    return hashlib.sha256(basis.encode()).hexdigest()[:40]


def document_base(url: str, content_location: str = "") -> str:
    """What relative links in a document fetched from `url` resolve against: its
    `Content-Location`, itself resolved against `url`, else `url`; "" for a local file."""
    return absolute_url(url, content_location.strip()) or "" if url else ""


def _title(node, atom: bool) -> str:
    """A feed's or an entry's title as plain text. Only Atom can say a title is plain text
    (`type="text"`); RSS titles are markup in practice, as every feed reader treats them."""
    detail = dict.get(node, "title_detail") or {}
    markup = not (atom and detail.get("type") == "text/plain")
    return plain_text(node.get("title") or "", markup=markup)[:TITLE_CHARS]


def _html(value: str, detail, base: str) -> str:
    """Sanitized, links resolved against the element's `xml:base` (as feedparser resolved it
    within the document) on top of the document's base."""
    cleaned = sanitize(value, detail.get("type") or "text/html")
    if 'href="' in cleaned:
        cleaned = absolute_links(cleaned, _element_base(base, detail.get("base") or ""))
    return cleaned


@functools.lru_cache(maxsize=256)
def _element_base(document: str, own: str) -> str:
    """An element's base: its own (possibly relative) on top of the document's."""
    return (absolute_url(document, own) if document else absolute_url(own, "")) or ""


def _texts(entry, base: str) -> tuple[str, str]:
    """(summary, content): each sanitized, the summary cut as the digest's snippet (the
    content cut, when the feed gives no summary), the content kept in full up to
    CONTENT_CHARS."""
    contents = entry.get("content") or []
    content = next((c for c in contents if "html" in (c.get("type") or "")),
                   contents[0] if contents else None)
    raw_content = (content or {}).get("value") or ""
    raw_summary = entry.get("summary") or ""
    content_html = _html(raw_content, content, base) if raw_content else ""
    if raw_summary and raw_summary != raw_content:
        detail = dict.get(entry, "summary_detail") or content or {}
        summary_html = _html(raw_summary, detail, base)
    else:  # no summary, or feedparser's copy of the content
        summary_html = content_html
    return truncate_html(summary_html, SUMMARY_CHARS), truncate_html(content_html, CONTENT_CHARS)


def _entry(entry, base: str, atom: bool) -> ParsedEntry:
    guid = (entry.get("id") or "").strip()
    link = (entry.get("link") or "").strip()  # resolved by feedparser within the document
    when = _when(entry)
    title = _title(entry, atom)
    stored_link = safe_link((absolute_url(base, link) if base and link else None) or link)
    summary_html, content_html = _texts(entry, base)
    hashed = f"{title}\n{stored_link}\n{summary_html}" + (f"\n{content_html}" if content_html
                                                           else "")
    return ParsedEntry(
        # the identity reads the entry as feedparser gives it, document base aside, so that it
        # stays what it was before links were resolved
        identity=_identity(guid, link, html.unescape(entry.get("title") or "").strip(), when),
        guid=guid, link=stored_link, title=title, summary_html=summary_html,
        content_html=content_html, author=plain_text(entry.get("author") or "")[:200],
        published_at=when, content_hash=hashlib.sha256(hashed.encode()).hexdigest())


def parse_feed(body: bytes, headers: dict[str, str] | None = None, url: str = "") -> ParsedFeed:
    """The feed in `body`, fetched from `url` (after redirects) with response `headers`."""
    headers = headers or {}
    if declares_entities(body, headers):
        raise ParseError("the document declares XML entities (a possible XML bomb or "
                         "external-entity attack): refused")
    feedparser = load_feedparser()
    try:
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False,
                                  resolve_relative_uris=False)
    except Exception as e:  # feedparser has bugs some documents trigger (a stray </width>)
        raise ParseError(f"feedparser failed on this document: {type(e).__name__}: "
                         f"{e}"[:500]) from e
    if not parsed.entries and not parsed.feed.get("title"):
        reason = parsed.get("bozo_exception")
        raise ParseError(f"not a feed{f': {reason}' if reason else ''}")
    atom = (parsed.get("version") or "").startswith("atom")
    base = document_base(url, headers.get("content-location", ""))
    return ParsedFeed(title=_title(parsed.feed, atom)[:300],
                      warning=str(parsed.get("bozo_exception") or "")[:300],
                      entries=[_entry(entry, base, atom) for entry in parsed.entries])
