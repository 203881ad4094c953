"""OPML 2.0 subscription lists: import (from any feed reader's export) and export.

A feed is an `<outline>` with an `xmlUrl`; the folders around it (outlines without one) become
its tags, as does its `category` attribute (comma-separated, slashes stripped). Our own fields
ride in attributes of their own, `coalitionKind` and `coalitionOrganisation` (OPML allows any),
so an export imports back as it was. Parsing goes through defusedxml: an OPML file that
declares entities is refused rather than expanded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.utils import format_datetime
from xml.etree import ElementTree

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

from coalition.errors import InputError

KINDS = ("news", "publication", "member")
MAX_DEPTH = 50  # folders within folders: feed readers export a handful


class OpmlError(InputError):
    """The file is not an OPML subscription list we can read; the message says why."""


@dataclass
class OpmlFeed:
    url: str
    title: str = ""
    kind: str = "news"
    organisation: str = ""
    tags: list[str] = field(default_factory=list)


def read_opml(data: bytes, *, source: str = "OPML") -> list[OpmlFeed]:
    """The feeds of an OPML document, in document order, each URL once."""
    try:
        root = SafeTree.fromstring(data)
    except DefusedXmlException as e:
        raise OpmlError(f"{source}: declares XML entities or a DTD: refused ({e})") from e
    except ElementTree.ParseError as e:
        raise OpmlError(f"{source}: not well-formed XML: {e}") from e
    if root.tag != "opml" or root.find("body") is None:
        raise OpmlError(f"{source}: not an OPML document (expected <opml> with a <body>)")
    feeds: dict[str, OpmlFeed] = {}
    _walk(root.find("body"), [], feeds, source=source)
    return list(feeds.values())


def _walk(node, folders: list[str], feeds: dict[str, OpmlFeed], *, source: str,
          depth: int = 1) -> None:
    for outline in node.findall("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        label = (outline.get("title") or outline.get("text") or "").strip()
        if not url:
            if depth >= MAX_DEPTH and outline.find("outline") is not None:
                raise OpmlError(f"{source}: outlines nested more than {MAX_DEPTH} levels "
                                "deep: refused")
            _walk(outline, [*folders, label] if label else folders, feeds, source=source,
                  depth=depth + 1)
            continue
        categories = [c.strip().strip("/") for c in (outline.get("category") or "").split(",")]
        tags = list(dict.fromkeys(t for t in [*folders, *categories] if t))
        kind = (outline.get("coalitionKind") or "news").strip().lower()
        feeds.setdefault(url, OpmlFeed(
            url=url, title="" if label == url else label, kind=kind if kind in KINDS else "news",
            organisation=(outline.get("coalitionOrganisation") or "").strip(), tags=tags))


def write_opml(feeds: list[OpmlFeed], *, title: str, now: dt.datetime) -> bytes:
    """An OPML 2.0 document listing `feeds` (flat; tags as `category`)."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    ElementTree.SubElement(head, "dateCreated").text = format_datetime(now)
    body = ElementTree.SubElement(root, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed.title or feed.url, "xmlUrl": feed.url}
        if feed.title:
            attributes["title"] = feed.title
        if feed.tags:
            attributes["category"] = ",".join(feed.tags)
        attributes["coalitionKind"] = feed.kind
        if feed.organisation:
            attributes["coalitionOrganisation"] = feed.organisation
        ElementTree.SubElement(body, "outline", attributes)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
