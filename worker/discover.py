"""Feed discovery: the feeds a web page names, so that `coalition feeds add` can be given a
site's news page rather than its feed.

A page names its feeds with `<link rel="alternate" type="application/rss+xml">` (or
`application/atom+xml`) in its head, and a server may name them in an HTTP `Link` header.
Those of the header come first, then the page's, in the order written; the first is the one
followed. The page is fetched like a feed (`worker.fetch`: the same guard, caps and
timeouts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from worker.clean import absolute_url, plain_text
from worker.fetch import Fetched, Limits, fetch

FEED_TYPES = ("application/rss+xml", "application/atom+xml")
PAGE_BYTES = 1_000_000  # a page's head is in its first megabyte, or nowhere
_LINK_VALUE = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+?\s*=\s*(?:\"[^\"]*\"|[^;,]*))*)")
_LINK_PARAM = re.compile(r";\s*([^=\s]+)\s*=\s*(?:\"([^\"]*)\"|([^;,]*))")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)\b", re.I | re.S)
_FEED_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<\?[^>]*>\s*)*"
                         rb"(?:<!doctype\s+(?:rss|feed|rdf)[^>]*>\s*)?<(?:rss|feed|rdf:rdf)\b",
                         re.I | re.S)


@dataclass(frozen=True)
class FeedLink:
    url: str
    title: str = ""


@dataclass
class Discovery:
    """What the address given turned out to be: a feed (`page` False, `feeds` empty), or a
    web page and the feeds it names."""
    url: str
    page: bool = False
    feeds: list[FeedLink] = field(default_factory=list)


def is_page(fetched: Fetched) -> bool:
    """An HTML page: not a document that starts as a feed does (servers send feeds as
    text/html too), and HTML by its Content-Type or, when the server says nothing useful, by
    its first bytes."""
    head = fetched.body[:4096].lstrip(b"\xef\xbb\xbf")
    if _FEED_START.match(head):
        return False
    kind = fetched.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    if kind and ("xml" in kind or "rss" in kind or "atom" in kind):
        return False
    return bool(_HTML_START.match(head))


def header_links(value: str, base: str) -> list[FeedLink]:
    """The feeds an HTTP `Link` header names (`<url>; rel="alternate"; type="..."`)."""
    links = []
    for match in _LINK_VALUE.finditer(value or ""):
        params = {name.lower(): (quoted if quoted is not None else bare).strip()
                  for name, quoted, bare in _LINK_PARAM.findall(match.group(2))}
        if "alternate" in params.get("rel", "").lower().split() and \
                params.get("type", "").lower() in FEED_TYPES:
            url = absolute_url(base, match.group(1).strip())
            if url:
                links.append(FeedLink(url, plain_text(params.get("title", ""))))
    return links


class _Head(HTMLParser):
    """Reads `<base href>` and the feed `<link>`s, until the body starts."""

    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.links: list[tuple[str, str]] = []
        self.done = False

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "body":
            self.done = True
        elif tag == "base" and values.get("href"):
            self.base = absolute_url(self.base, values["href"].strip()) or self.base
        elif tag == "link" and "alternate" in values.get("rel", "").lower().split() and \
                values.get("type", "").strip().lower() in FEED_TYPES and values.get("href"):
            self.links.append((values["href"].strip(), values.get("title", "")))

    handle_startendtag = handle_starttag


def page_links(body: bytes, base: str) -> list[FeedLink]:
    """The feeds an HTML page names in its head, resolved against its `<base>` or `base`."""
    head = _Head(base)
    head.feed(body[:PAGE_BYTES].decode("utf-8", errors="replace"))
    links = []
    for href, title in head.links:
        url = absolute_url(head.base, href)
        if url:
            links.append(FeedLink(url, plain_text(title)))
    return links


def discover(url: str, *, limits: Limits) -> Discovery:
    """Fetch `url`: a feed is itself; a page yields the feeds it names, each once (none: a
    page with no feed). A fetch that fails raises its `FetchError`."""
    fetched = fetch(url, limits=limits)
    if not is_page(fetched):
        return Discovery(url)
    found = header_links(fetched.headers.get("link", ""), fetched.url) + \
        page_links(fetched.body, fetched.url)
    unique: dict[str, FeedLink] = {}
    for link in found:
        unique.setdefault(link.url, link)
    return Discovery(url, page=True, feeds=list(unique.values()))
