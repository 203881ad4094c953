"""Feed text as readers get it: titles as plain text, HTML sanitized with every link absolute,
long HTML cut without breaking its markup. Pure functions, each with its own tests
(`tests/worker/test_clean.py`).

nh3 does the HTML work (it parses like a browser and writes well-formed HTML: every `<`
in its output opens a tag, attribute values are double-quoted with `"`, `<` and `>` escaped),
which is what lets `absolute_links` and `truncate_html` read its output with two regular
expressions instead of a second parser.
"""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import urljoin, urlsplit

import nh3

_TAGS = {"a", "p", "br", "b", "strong", "i", "em", "ul", "ol", "li", "blockquote", "code",
         "pre", "h3", "h4"}
_ATTRIBUTES = {"a": {"href", "title"}}
LINK_SCHEMES = ("http", "https")
# Elements whose content no reader sees as text (a title keeps none of it).
_HIDDEN = {"script", "style", "iframe", "noscript", "template", "object", "noembed", "noframes",
           "xmp", "textarea", "select"}
# Where a browser would break the line: a title gets a space there, not words run together.
_BREAKS = re.compile(r"<(?=/?(?:br|p|div|li|h[1-6]|tr|td|th|dd|dt|blockquote|pre|hr)\b)", re.I)
_CONTROL = dict.fromkeys([*range(0, 32), 127, *range(128, 160)], " ")
_HREF = re.compile(r'(<a\s[^>]*?\bhref=")([^"]*)"')
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>|[^<]+")
_VOID = {"br", "hr", "img", "wbr"}
ELLIPSIS = "…"


@functools.cache
def _cleaner() -> nh3.Cleaner:
    """Built once: nh3.clean() would convert these settings again at every call."""
    return nh3.Cleaner(tags=_TAGS, attributes=_ATTRIBUTES, link_rel="noopener nofollow",
                       url_schemes={"http", "https", "mailto"})


@functools.cache
def _stripper() -> nh3.Cleaner:
    return nh3.Cleaner(tags=set(), attributes={}, clean_content_tags=_HIDDEN)


def plain_text(value: str, *, markup: bool = True) -> str:
    """A title as plain text: markup removed (with what is inside scripts, styles, frames),
    entities decoded once, whitespace collapsed. `markup=False` for text the feed declares
    plain (Atom `type="text"`): only the whitespace is collapsed."""
    if markup and ("<" in value or "&" in value):
        value = html.unescape(_stripper().clean(_BREAKS.sub(" <", value)))
    return " ".join(value.translate(_CONTROL).split())


def sanitize(value: str, content_type: str = "text/html", base: str = "") -> str:
    """Links and basic formatting kept; scripts, styles, images (tracking pixels) dropped;
    relative links resolved against `base`. Text that is not HTML is escaped."""
    if not value:
        return ""
    if "html" not in content_type:
        return html.escape(value.strip(), quote=False)
    cleaned = _cleaner().clean(value).strip()
    if base and 'href="' in cleaned:
        cleaned = absolute_links(cleaned, base)
    return cleaned


def absolute_links(cleaned: str, base: str) -> str:
    """`cleaned` (nh3's output) with every relative `href` resolved against `base`; a link
    that would not resolve to http or https is left as it was."""
    def resolve(match: re.Match) -> str:
        href = html.unescape(match.group(2)).strip()
        if _SCHEME.match(href):
            return match.group(0)
        url = absolute_url(base, href)
        return match.group(0) if url is None else f'{match.group(1)}{html.escape(url)}"'

    return _HREF.sub(resolve, cleaned)


def absolute_url(base: str, link: str) -> str | None:
    """`link` resolved against `base` if that gives an http or https address, else None."""
    if link.startswith(("https://", "http://")):  # absolute already: most links
        return link
    try:
        url = urljoin(base, link)
        return url if urlsplit(url).scheme.lower() in LINK_SCHEMES else None
    except ValueError:  # an address urllib cannot read (a bad IPv6 literal)
        return None


def safe_link(link: str) -> str:
    """An entry's link as stored: http or https, or relative (no base could resolve it);
    `javascript:`, `data:` and other schemes are dropped."""
    link = link.strip()
    match = _SCHEME.match(link)
    return link if not match or match.group(0)[:-1].lower() in LINK_SCHEMES else ""


def truncate_html(cleaned: str, limit: int) -> str:
    """`cleaned` (nh3's output) cut to at most `limit` characters, markup included: never
    inside a tag, an attribute or an entity, text cut at a word where one is near, an
    ellipsis where it was cut, and every element left open closed again."""
    if len(cleaned) <= limit:
        return cleaned
    if limit <= len(ELLIPSIS):
        return ""
    room = limit - len(ELLIPSIS)
    kept: list[str] = []
    open_tags: list[str] = []
    size = closing = 0  # characters kept; characters the open elements' end tags will take
    for match in _TOKEN.finditer(cleaned):
        token = match.group(0)
        end, name = match.group(1), (match.group(2) or "").lower()
        if not name:  # text
            fits = room - size - closing
            if len(token) > fits:
                kept.append(_cut_text(token, fits))
                break
        elif end:
            if open_tags and open_tags[-1] == name:
                open_tags.pop()
                closing -= len(name) + 3
        else:
            opens = name not in _VOID and not token.endswith("/>")
            if size + len(token) + closing + (len(name) + 3 if opens else 0) > room:
                break
            if opens:
                open_tags.append(name)
                closing += len(name) + 3
        kept.append(token)
        size += len(token)
    return "".join(kept).rstrip() + ELLIPSIS + "".join(f"</{t}>" for t in reversed(open_tags))


def _cut_text(text: str, room: int) -> str:
    """At most `room` characters of escaped text, never half an entity, at a word if one
    ends in the last 40 characters."""
    if room <= 0:
        return ""
    cut = text[:room]
    amp = cut.rfind("&")
    if amp >= 0 and ";" not in cut[amp:]:
        cut = cut[:amp]
    if len(cut) < len(text) and not text[len(cut)].isspace():
        space = cut.rfind(" ")
        if space >= max(0, len(cut) - 40):
            cut = cut[:space]
    return cut
