"""Meeting notes: reading them (one line each) and recording them against agenda items.

A note is a discussion point (`Ms. Tatiana Terekhova (BRS): ...` or `BRS: ...`), a conclusion
(`Conclusion: ...`) or a next step (`Next step: UNITAR to ... by 2018-01-15`). Recording is
idempotent: a note's fingerprint (its item and text) is stored once per meeting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from coalition.errors import InputError
from store.models import AgendaItem, Meeting, MeetingNote, Organisation, Person
from store.textfile import read_text


def fold(text: str) -> str:
    """Lower case without accents or punctuation, for matching names people type."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


class NotesError(InputError):
    """A note that cannot be read; the message names the line and what is wrong."""


@dataclass
class ParsedNote:
    kind: str  # discussion | conclusion | next_step
    text: str
    speaker: str = ""
    organisation: str = ""
    owner: str = ""
    due_on: dt.date | None = None


_SPEAKER = re.compile(r"^(?P<who>(?:Mr|Ms|Mrs|Dr|Prof)\.?\s[^():]+?)\s*(?:\((?P<org>[^)]+)\))?:"
                      r"\s*(?P<text>.+)$")
_ORG_ONLY = re.compile(r"^(?P<org>[A-Z][A-Za-z0-9&/-]{1,15}):\s*(?P<text>.+)$")
_NEXT = re.compile(r"^(?P<owner>.+?)\s+to\s+(?P<action>.+?)(?:\s+by\s+(?P<due>\d{4}-\d{2}-\d{2}))?"
                   r"\.?$", re.S)
_LINE = re.compile(r"^(?P<item>\d{1,3})\s+(?P<rest>.+)$")


def parse_note(text: str) -> ParsedNote:
    """One note's text (without the item number); raises ValueError when it cannot be read."""
    text = " ".join(text.split())
    if not text:
        raise ValueError("the note is empty")
    low = text.lower()
    if low.startswith("conclusion:"):
        return ParsedNote("conclusion", _body(text[len("conclusion:"):]))
    for prefix in ("next step:", "next steps:"):
        if low.startswith(prefix):
            m = _NEXT.match(text[len(prefix):].strip())
            if not m:
                raise ValueError("a next step reads 'Next step: OWNER to ACTION [by YYYY-MM-DD]'")
            due = None
            if m.group("due"):
                try:
                    due = dt.date.fromisoformat(m.group("due"))
                except ValueError as e:
                    raise ValueError(f"'{m.group('due')}' is not a date") from e
            return ParsedNote("next_step", _body(m.group("action")), owner=m.group("owner"),
                              due_on=due)
    if m := _SPEAKER.match(text):
        return ParsedNote("discussion", _body(m.group("text")), speaker=m.group("who").strip(),
                          organisation=(m.group("org") or "").strip())
    if m := _ORG_ONLY.match(text):
        return ParsedNote("discussion", _body(m.group("text")), organisation=m.group("org"))
    return ParsedNote("discussion", _body(text))


def _body(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("the note has no text")
    return text if text.endswith((".", "!", "?")) else text + "."


def parse_notes_file(path: Path) -> list[tuple[int, int, ParsedNote]]:
    """(line number, item number, note) for every note; the first bad line raises NotesError."""
    lines = read_text(path, what="notes file", error=NotesError).splitlines()
    notes = []
    for lineno, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(stripped)
        if not m:
            raise NotesError(f"{path}, line {lineno}: a note starts with its agenda item number, "
                             f"e.g. '1 Conclusion: ...'; got {stripped[:60]!r}")
        try:
            notes.append((lineno, int(m.group("item")), parse_note(m.group("rest"))))
        except ValueError as e:
            raise NotesError(f"{path}, line {lineno}: {e}") from e
    return notes


def find_meeting(session: Session, ref: str, series: str = "IMG") -> Meeting | None:
    """A meeting by number in the series (`5`) or by key (`img-5`)."""
    query = select(Meeting).where(Meeting.retired_at.is_(None))
    if ref.strip().isdigit():
        return session.exec(query.where(Meeting.number == int(ref),
                                        func.lower(Meeting.series) == series.lower())).first()
    return session.exec(query.where(Meeting.key == ref.strip())).first()


def _organisation(session: Session, text: str) -> Organisation | None:
    wanted = fold(text)
    for org in session.exec(select(Organisation).where(Organisation.retired_at.is_(None))):
        if wanted in {fold(org.acronym), fold(org.name), *map(fold, org.aliases)}:
            return org
    return None


def _speaker_organisation(session: Session, note: ParsedNote) -> int | None:
    if note.organisation:
        org = _organisation(session, note.organisation)
        return org.id if org else None
    if note.speaker:
        name = fold(re.sub(r"^(?:Mr|Ms|Mrs|Dr|Prof)\.?\s", "", note.speaker))
        for person in session.exec(select(Person)):
            if fold(person.name) == name:
                return person.organisation_id
    return None


def _owner_organisation(session: Session, owner: str) -> int | None:
    for word in re.split(r"\s*(?:,|\band\b|&)\s*", owner):
        org = _organisation(session, word) if word else None
        if org:
            return org.id
    return None


def record_note(*, session: Session, meeting: Meeting, item_number: int, note: ParsedNote,
                source: str, now: dt.datetime) -> tuple[MeetingNote, bool]:
    """Store the note once (by fingerprint); (the note, whether it is new). Caller commits."""
    item = session.exec(select(AgendaItem).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.number == item_number,
        AgendaItem.retired_at.is_(None))).first()
    if item is None:
        raise ValueError(f"{meeting.title} has no agenda item {item_number}")
    raw = f"{item.id}\n{note.kind}\n{note.speaker}\n{note.organisation}\n{note.owner}\n{note.text}"
    fingerprint = hashlib.sha256(raw.encode()).hexdigest()
    existing = session.exec(select(MeetingNote).where(
        MeetingNote.meeting_id == meeting.id, MeetingNote.fingerprint == fingerprint)).first()
    if existing is not None:
        return existing, False
    position = session.exec(select(func.count()).where(
        MeetingNote.meeting_id == meeting.id)).one()
    row = MeetingNote(
        meeting_id=meeting.id, agenda_item_id=item.id, kind=note.kind,
        speaker=note.speaker or note.organisation or note.owner,
        speaker_organisation_id=_speaker_organisation(session, note),
        owner_organisation_id=_owner_organisation(session, note.owner) if note.owner else None,
        due_on=note.due_on, text=note.text, position=position, fingerprint=fingerprint,
        source=source, created_at=now)
    session.add(row)
    session.flush()
    return row, True


def import_notes(*, session: Session, meeting: Meeting, path: Path, now: dt.datetime) -> int:
    """Every note of the file, or none: a bad line raises before anything is stored."""
    notes = parse_notes_file(path)
    items = set(session.exec(select(AgendaItem.number).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.retired_at.is_(None))))
    for lineno, item, _ in notes:
        if item not in items:
            raise NotesError(f"{path}, line {lineno}: {meeting.title} has no agenda item {item} "
                             f"(it has {', '.join(map(str, sorted(items))) or 'none'})")
    added = 0
    for _, item, note in notes:
        _, new = record_note(session=session, meeting=meeting, item_number=item, note=note,
                             source=f"file:{path.name}", now=now)
        added += new
    return added
