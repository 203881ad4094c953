"""Finding work streams, organisations and people from what people type: keys, numbers, names,
aliases, accents and case folded away. The one home of name matching, for the chat answers,
the notes of a meeting and the secretariat's forms alike."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func
from sqlmodel import Session, select

from store.current import current
from store.models import Organisation, Person, WorkStream
from store.words import CARDINALS, ORDINALS

_NUMBER_WORDS = {word: str(n) for word, n in (CARDINALS | ORDINALS).items()} | {
    "i": "1", "ii": "2", "iii": "3"}
_STREAM_NUMBER = re.compile(r"\b(?:ws|work ?streams?|streams?)\s*#?\s*(\d+)\b")
_FILLER = {"the", "a", "an", "of", "for", "on", "about", "is", "who", "leads", "lead", "leading"}
_TITLES = re.compile(r"^(?:(?:Mr|Ms|Mrs|Mx|Dr|Prof|H\.?\s?E)\.?\s+)+", re.I)
_OWNER_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b|\bwith\b)\s*", re.I)


def fold(text: str) -> str:
    """Lower case, accents and punctuation removed, number words as digits."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^\w@.+-]+", " ", text).replace("_", " ")
    words = [_NUMBER_WORDS.get(w.strip("."), w.strip(".") if w.endswith(".") else w)
             for w in text.split()]
    return " ".join(w for w in words if w)


def _strip_filler(text: str) -> str:
    return " ".join(w for w in text.split() if w not in _FILLER)


def find_work_streams(*, session: Session, query: str) -> list[WorkStream]:
    """Work streams matching the query, best first: key, number, name or alias."""
    streams = list(session.exec(select(WorkStream).where(current(WorkStream))))
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


def _names(org: Organisation) -> set[str]:
    return {fold(org.acronym), fold(org.name), *map(fold, org.aliases)}


def find_organisations(*, session: Session, query: str) -> list[Organisation]:
    """Organisations by acronym, name or alias; else those whose name contains the words."""
    orgs = list(session.exec(select(Organisation).where(current(Organisation))))
    q = _strip_filler(fold(query))
    if not q:
        return []
    exact = [o for o in orgs if q in _names(o)]
    if exact:
        return exact
    return [o for o in orgs if len(q) >= 3 and any(
        q in fold(name) for name in [o.name, *o.aliases])]


def find_people(*, session: Session, query: str) -> list[Person]:
    """People by email, Slack user id or name (all the words of the query, in any order)."""
    people = list(session.exec(select(Person).where(current(Person))))
    q = _strip_filler(fold(_TITLES.sub("", query.strip())))
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


def organisation_named(*, session: Session, text: str) -> Organisation | None:
    """The organisation whose acronym, name or alias is exactly the text (folded)."""
    wanted = fold(text)
    if not wanted:
        return None
    for org in session.exec(select(Organisation).where(current(Organisation))
                            .order_by(Organisation.acronym)):
        if wanted in _names(org):
            return org
    return None


def owners_named(*, session: Session, text: str) -> list[Organisation]:
    """Every organisation a next step's owner names, in order: "BRS and UNITAR", "EMG
    Secretariat", "ITU, UNU & ILO". Words that name no organisation are left out."""
    orgs = list(session.exec(select(Organisation).where(current(Organisation))
                             .order_by(Organisation.acronym)))
    found: list[Organisation] = []
    whole = _named(orgs, text)
    parts = [whole] if whole else [_named(orgs, part)
                                   for part in _OWNER_SEPARATORS.split(text) if part]
    for org in parts:
        if org is not None and org not in found:
            found.append(org)
    return found


def _named(orgs: list[Organisation], text: str) -> Organisation | None:
    wanted = fold(re.sub(r"^the\s+", "", text.strip(), flags=re.I))
    return next((o for o in orgs if wanted and wanted in _names(o)), None)


def person_key(name: str) -> str:
    """A person's name as matched: titles dropped, accents and case folded ('Ms. Pitkänen'
    -> 'pitkanen')."""
    return fold(_TITLES.sub("", name.strip()))


def person_named(*, session: Session, name: str) -> Person | None:
    """The current person whose name is exactly this one (titles, accents and case aside)."""
    wanted = person_key(name)
    if not wanted:
        return None
    for person in session.exec(select(Person).where(current(Person)).order_by(Person.id)):
        if fold(person.name) == wanted:
            return person
    return None


def organisation_by_acronym(*, session: Session, acronym: str) -> Organisation | None:
    return session.exec(select(Organisation).where(
        func.lower(Organisation.acronym) == acronym.strip().lower(),
        current(Organisation))).first()


def work_stream_by_key(*, session: Session, key: str) -> WorkStream | None:
    return session.exec(select(WorkStream).where(
        func.lower(WorkStream.key) == key.strip().lower(), current(WorkStream))).first()
