"""Finding work streams, organisations and people from what people type."""

from __future__ import annotations

import re
import unicodedata

from sqlmodel import Session, select

from store.models import Organisation, Person, WorkStream
from store.words import CARDINALS, ORDINALS

_NUMBER_WORDS = {word: str(n) for word, n in (CARDINALS | ORDINALS).items()} | {
    "i": "1", "ii": "2", "iii": "3"}
_STREAM_NUMBER = re.compile(r"\b(?:ws|work ?streams?|streams?)\s*#?\s*(\d+)\b")
_FILLER = {"the", "a", "an", "of", "for", "on", "about", "is", "who", "leads", "lead", "leading"}


def fold(text: str) -> str:
    """Lower case, accents and punctuation removed, number words as digits."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^\w@.+-]+", " ", text).replace("_", " ")
    words = [_NUMBER_WORDS.get(w, w) for w in text.split()]
    return " ".join(words)


def _strip_filler(text: str) -> str:
    return " ".join(w for w in text.split() if w not in _FILLER)


def find_work_streams(session: Session, query: str) -> list[WorkStream]:
    """Work streams matching the query, best first: key, number, name or alias."""
    streams = list(session.exec(select(WorkStream).where(WorkStream.retired_at.is_(None))))
    q = fold(query)
    compact = q.replace(" ", "")
    exact = [w for w in streams if w.key == compact or w.key == q]
    if exact:
        return exact
    m = _STREAM_NUMBER.search(q) or re.fullmatch(r"(\d+)", q.strip())
    if m:
        number = int(m.group(1))
        numbered = [w for w in streams if w.kind == "work_stream" and w.number == number]
        if numbered:
            return numbered
    core = _strip_filler(q)
    if not core:
        return []
    scored: list[tuple[int, WorkStream]] = []
    for w in streams:
        best = 0
        for name in [w.name, *w.aliases]:
            n = fold(name)
            if n == core:
                best = max(best, 1000)
            elif core in n or n in core:
                best = max(best, len(n) if n in core else len(core))
        if best:
            scored.append((best, w))
    scored.sort(key=lambda pair: (-pair[0], pair[1].key))
    return [w for _, w in scored]


def find_organisations(session: Session, query: str) -> list[Organisation]:
    orgs = list(session.exec(select(Organisation).where(Organisation.retired_at.is_(None))))
    q = _strip_filler(fold(query))
    if not q:
        return []
    exact = [o for o in orgs if q in {fold(o.acronym), fold(o.name), *map(fold, o.aliases)}]
    if exact:
        return exact
    return [o for o in orgs if len(q) >= 3 and any(
        q in fold(name) for name in [o.name, *o.aliases])]


def find_people(session: Session, query: str) -> list[Person]:
    people = list(session.exec(select(Person).where(Person.retired_at.is_(None))))
    q = _strip_filler(fold(query))
    if not q:
        return []
    if "@" in q:
        return [p for p in people if p.email.lower() == q]
    exact = [p for p in people if fold(p.name) == q or p.slack_user_id == query.strip()]
    if exact:
        return exact
    words = _name_words(q)
    return [p for p in people if all(w in _name_words(fold(p.name)) for w in words)]


def _name_words(name: str) -> list[str]:
    """A name's words, a double name's parts apart: "Pitkanen" finds Pitkänen-Brunnsberg."""
    return name.replace("-", " ").split()
