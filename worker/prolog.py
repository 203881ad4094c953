"""The entity pre-check: a document whose prolog (everything before its root element) declares
an XML entity is refused before any parser sees it, so no billion laughs expands and no
external entity reads a local file, however long the prolog (a 70 KB comment first hides
nothing) and whatever encoding hides the declaration from a byte search (UTF-16, UTF-7,
EBCDIC)."""

from __future__ import annotations

import codecs
import re

_DECLARATION_END = re.compile(rb"[\"'>\[<]")
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_MARKERS = ((codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
            (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
            (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
            (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"),
            (b"\x4c\x6f\xa7\x94", "cp037"))  # '<?xm' in EBCDIC
_STATEFUL = ("utf-7", "iso2022", "hz")  # escapes can turn other bytes into '<!ENTITY'


def declares_entities(body: bytes, headers: dict[str, str] | None = None) -> bool:
    """Whether the document's prolog, however long, declares an entity, in any encoding
    feedparser may read it in (what its byte order mark or first bytes say, the HTTP charset,
    the XML declaration's encoding): a `<!ENTITY` that a UTF-16 or UTF-7 document hides
    from a byte search is found too."""
    if _prolog_declares_entities(body):
        return True
    for encoding in _encodings(body, headers or {}):
        try:
            text = body.decode(encoding, errors="replace")
        except LookupError:  # a name no codec has: feedparser cannot use it either
            continue
        if _prolog_declares_entities(text.encode("utf-8", errors="replace")):
            return True
    return False


def _encodings(body: bytes, headers: dict[str, str]) -> set[str]:
    """The encodings feedparser might decode the document with that a byte search does not
    read right: those that write ASCII otherwise (UTF-16, UTF-32, EBCDIC) or can write it
    with other bytes (UTF-7, ISO-2022, HZ)."""
    found = [name for marker, name in _MARKERS if body.startswith(marker)][:1]
    if match := _CHARSET.search(headers.get("content-type", "")):
        found.append(match.group(1))
    if match := _XML_ENCODING.match(body[:512].lstrip(codecs.BOM_UTF8)):
        found.append(match.group(1).decode("ascii"))
    names = set()
    for name in found:
        try:
            name = codecs.lookup(name).name
        except LookupError:
            continue
        if name.startswith(_STATEFUL) or "<!ENTITY".encode(name, "replace") != b"<!ENTITY":
            names.add(name)
    return names


def _prolog_declares_entities(data: bytes) -> bool:
    """Scan what comes before the root element: comments and processing instructions are
    skipped whole, declarations (`<!DOCTYPE`, `<!ELEMENT`, ...) over their quoted literals
    (a literal may hold a `<`), an internal subset `[...]` declaration by declaration. The first
    `<` that opens anything else is the root element: the prolog is over."""
    at = 0
    while (lt := data.find(b"<", at)) >= 0:
        if data.startswith(b"<!--", lt):
            end = data.find(b"-->", lt + 4)
            if end < 0:
                return False
            at = end + 3
        elif data.startswith(b"<?", lt):
            end = data.find(b"?>", lt + 2)
            if end < 0:
                return False
            at = end + 2
        elif data.startswith(b"<!", lt):
            if data[lt + 2:lt + 8].upper() == b"ENTITY":
                return True
            at = _past_literals(data, lt + 2)
        else:
            return False
    return False


def _past_literals(data: bytes, at: int) -> int:
    """Where scanning goes on after a declaration's start: past its quoted literals, to its
    end `>`, its internal subset's `[`, or the next `<`."""
    while match := _DECLARATION_END.search(data, at):
        char = match.group(0)
        if char in (b'"', b"'"):
            end = data.find(char, match.end())
            if end < 0:
                return len(data)
            at = end + 1
            continue
        return match.start() if char == b"<" else match.end()
    return len(data)
