"""Meeting notes: reading them (one line each) and recording them against agenda items or the
meeting's own sections.

A note is a discussion point (`Ms. Tatiana Terekhova (BRS): ...`, `BRS: ...`, with a verb:
`Ms. Marit Nilses (UNESCAP) asked: ...`, `The meeting agreed: ...`; see `speech`), a
conclusion (`Conclusion: ...`), a next step (`Next step: UNITAR to ... by 2018-01-15`) or the
closing time (`Closed at 17:00 GVA time`). Its place is an agenda item's number or a section:
`introduction`, `opening` (or `0`), `other`, `closure`. Recording is idempotent: a note's
fingerprint (its place and text) is stored once per meeting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from coalition.errors import InputError
from digests.minutes.speech import closing_time, parse_speech
from store import meetings as meeting_store
from store.models import Meeting, MeetingNote
from store.names import organisation_named, owners_named, person_named
from store.notes import note_by_fingerprint, note_count
from store.periods import trailing_period
from store.textfile import read_text

# The meeting's own sections, which take notes like agenda items; `0` is the opening.
SECTIONS = ("introduction", "opening", "other", "closure")
_SECTION_WORDS = {"0": "opening", "intro": "introduction", "closing": "closure",
                  **{s: s for s in SECTIONS}}


def parse_place(text: str) -> int | str:
    """Where a note goes: an agenda item's number, or one of SECTIONS ('0' is the opening);
    raises ValueError."""
    word = text.strip().lower()
    if word in _SECTION_WORDS:
        return _SECTION_WORDS[word]
    if word.isdigit() and len(word) <= 3:
        return int(word)
    raise ValueError(f"{text!r} is neither an agenda item number nor one of the sections "
                     f"{', '.join(SECTIONS)} (0 is the opening)")


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
    due_text: str = ""  # a next step due within a month or period: "in November 2017"
    verb: str = ""  # the discussion's verb: asked, suggested, ...; "" for noted


_NEXT = re.compile(r"^(?P<owner>.+?)\s+to\s+(?P<action>.+?)(?:\s+by\s+(?P<due>\d{4}-\d{2}-\d{2}))?"
                   r"\.?$", re.S)
_LINE = re.compile(r"^(?P<item>\d{1,3}|[A-Za-z]+)\s+(?P<rest>.+)$")


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
            action, period = m.group("action"), None
            if due is None:  # "... in November 2017": kept in the sentence, and as its due
                _, period = trailing_period(action)
            return ParsedNote("next_step", _body(action), owner=m.group("owner"), due_on=due,
                              due_text=period.text if period else "")
    if (closed := closing_time(text)) is not None:
        return ParsedNote("closing", closed)
    speech = parse_speech(text)
    return ParsedNote("discussion", _body(speech.text), speaker=speech.speaker,
                      organisation=speech.organisation, verb=speech.verb)


def _body(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("the note has no text")
    return text if text.endswith((".", "!", "?")) else text + "."


def parse_notes_file(path: Path) -> list[tuple[int, int | str, ParsedNote]]:
    """(line number, place, note) for every note, the place being an agenda item's number or a
    section (see `parse_place`); the first bad line raises NotesError."""
    lines = read_text(path, what="notes file", error=NotesError).splitlines()
    notes = []
    for lineno, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(stripped)
        if not m or m.group("item").lower() not in _SECTION_WORDS and \
                not m.group("item").isdigit():
            raise NotesError(f"{path}, line {lineno}: a note starts with its agenda item number "
                             f"or section ({', '.join(SECTIONS)}), e.g. '1 Conclusion: ...'; "
                             f"got {stripped[:60]!r}")
        try:
            notes.append((lineno, parse_place(m.group("item")), parse_note(m.group("rest"))))
        except ValueError as e:
            raise NotesError(f"{path}, line {lineno}: {e}") from e
    return notes


def find_meeting(session: Session, ref: str, series: str = meeting_store.MAIN_SERIES
                 ) -> Meeting | None:
    """A meeting by number in the series (`5`) or by key (`img-5`): `store.meetings`'."""
    return meeting_store.find_meeting(session=session, ref=ref, series=series)


def _speaker_organisation(session: Session, note: ParsedNote) -> int | None:
    if note.organisation:
        org = organisation_named(session=session, text=note.organisation)
        return org.id if org else None
    if note.speaker:
        person = person_named(session=session, name=note.speaker)
        return person.organisation_id if person else None
    return None


def owner_organisations(session: Session, owner: str) -> list[int]:
    """The organisations a next step's owner names, in order: "BRS and UNITAR" is both."""
    return [org.id for org in owners_named(session=session, text=owner)] if owner else []


def record_note(*, session: Session, meeting: Meeting, item_number: int | str,
                note: ParsedNote, source: str, now: dt.datetime) -> tuple[MeetingNote, bool]:
    """Store the note once (by fingerprint) on the agenda item `item_number`, or on the section
    it names (see `parse_place`); (the note, whether it is new). Caller commits."""
    place = parse_place(str(item_number))
    section, item = (place, None) if isinstance(place, str) else (
        "", meeting_store.agenda_item(session=session, meeting=meeting, number=place))
    if not section and item is None:
        raise ValueError(f"{meeting.title} has no agenda item {item_number}")
    raw = f"{section or item.id}\n{note.kind}\n{note.speaker}\n{note.organisation}\n" \
          f"{note.owner}\n{note.text}" + (f"\n{note.verb}" if note.verb else "")
    fingerprint = hashlib.sha256(raw.encode()).hexdigest()
    existing = note_by_fingerprint(session=session, meeting=meeting, fingerprint=fingerprint)
    if existing is not None:
        return existing, False
    position = note_count(session=session, meeting=meeting)
    owners = owner_organisations(session, note.owner)
    row = MeetingNote(
        meeting_id=meeting.id, agenda_item_id=item.id if item else None, section=section,
        kind=note.kind, verb=note.verb,
        speaker=note.speaker or note.organisation or note.owner,
        speaker_organisation_id=_speaker_organisation(session, note),
        owner_organisation_id=owners[0] if owners else None,
        due_on=note.due_on, due_text=note.due_text, text=note.text, position=position,
        fingerprint=fingerprint, source=source, created_at=now)
    session.add(row)
    session.flush()
    return row, True


def import_notes(*, session: Session, meeting: Meeting, path: Path, now: dt.datetime) -> int:
    """Every note of the file, or none: a bad line raises before anything is stored."""
    notes = parse_notes_file(path)
    items = {i.number for i in meeting_store.agenda_items(session=session, meeting=meeting)}
    for lineno, item, _ in notes:
        if isinstance(item, int) and item not in items:
            raise NotesError(f"{path}, line {lineno}: {meeting.title} has no agenda item {item} "
                             f"(it has {', '.join(map(str, sorted(items))) or 'none'})")
    added = 0
    for _, item, note in notes:
        _, new = record_note(session=session, meeting=meeting, item_number=item, note=note,
                             source=f"file:{path.name}", now=now)
        added += new
    return added
