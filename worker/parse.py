"""Parsing fetched bytes with feedparser, and turning entries into what we store.

feedparser's own sanitizer and relative-URI pass are turned off for our calls (nh3 sanitizes,
far faster); feedparser's module defaults are left alone for anyone else in the process.
Documents that declare entities are refused before parsing: no billion laughs, no external
entity reading a local file.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import html
import re
from dataclasses import dataclass, field

import nh3

from coalition.errors import OperationError

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_TAGS = {"a", "p", "br", "b", "strong", "i", "em", "ul", "ol", "li", "blockquote", "code",
         "pre", "h3", "h4"}
_ATTRIBUTES = {"a": {"href", "title"}}


class ParseError(OperationError):
    """The body is not a feed we can read safely."""


@dataclass
class ParsedEntry:
    identity: str
    guid: str
    link: str
    title: str
    summary_html: str
    author: str
    published_at: dt.datetime | None
    content_hash: str


@dataclass
class ParsedFeed:
    title: str
    entries: list[ParsedEntry] = field(default_factory=list)
    warning: str = ""


@functools.cache
def _cleaner() -> nh3.Cleaner:
    """Built once: nh3.clean() would convert these settings again at every call."""
    return nh3.Cleaner(tags=_TAGS, attributes=_ATTRIBUTES, link_rel="noopener nofollow",
                       url_schemes={"http", "https", "mailto"})


@functools.cache
def load_feedparser():
    """feedparser, imported on first use (a poller that parses in `worker.parsers`' processes
    never needs it), with `worker.speedups` installed."""
    import feedparser

    from worker import speedups

    speedups.install()
    return feedparser


def sanitize(value: str, content_type: str = "text/html") -> str:
    """Links and basic formatting kept; scripts, styles, images (tracking pixels) dropped."""
    if "html" not in content_type:
        return html.escape(value)
    return _cleaner().clean(value).strip()


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


def parse_feed(body: bytes, headers: dict[str, str] | None = None) -> ParsedFeed:
    if _ENTITY_DECL.search(body[:65536]):
        raise ParseError("the document declares XML entities (a possible XML bomb or "
                         "external-entity attack): refused")
    feedparser = load_feedparser()
    try:
        parsed = feedparser.parse(body, response_headers=headers or {}, sanitize_html=False,
                                  resolve_relative_uris=False)
    except Exception as e:  # feedparser has bugs some documents trigger (a stray </width>)
        raise ParseError(f"feedparser failed on this document: {type(e).__name__}: "
                         f"{e}"[:500]) from e
    if not parsed.entries and not parsed.feed.get("title"):
        reason = parsed.get("bozo_exception")
        raise ParseError(f"not a feed{f': {reason}' if reason else ''}")
    result = ParsedFeed(title=parsed.feed.get("title", ""),
                        warning=str(parsed.get("bozo_exception") or "")[:300])
    for entry in parsed.entries:
        guid = (entry.get("id") or "").strip()
        link = (entry.get("link") or "").strip()
        title = html.unescape(entry.get("title") or "").strip()
        when = _when(entry)
        content = entry.get("content") or []
        raw = content[0].get("value", "") if content else entry.get("summary", "")
        kind = content[0].get("type", "text/html") if content else \
            (entry.get("summary_detail") or {}).get("type", "text/html")
        summary = sanitize(raw or "", kind)[:20000]
        result.entries.append(ParsedEntry(
            identity=_identity(guid, link, title, when), guid=guid, link=link, title=title,
            summary_html=summary, author=(entry.get("author") or "")[:200], published_at=when,
            content_hash=hashlib.sha256(f"{title}\n{link}\n{summary}".encode()).hexdigest()))
    return result
