"""A meeting's minutes draft as data, in the house style of the secretariat's reports:
title and date, Documents, 1. Introduction, 2. Opening remarks and adoption of the agenda, one
numbered section per agenda item (discussion in reported speech, Conclusion, Next Steps),
Other matters, Closure of the meeting, Annex I — List of Participants.

Every section takes notes (the meeting's own sections by name, see `notes.SECTIONS`); a section
without notes keeps its default sentences. The closing time comes from a note, never from the
schedule. A meeting that is not over is drafted under "Draft — meeting not yet held", with its
date as precise as it is known.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session

from digests.minutes.names import Mentions, annex_name, capital
from digests.minutes.speech import CHAIR, MEETING, report
from store.meetings import agenda_items, over_at, participants
from store.models import Meeting, MeetingNote, Organisation, Person
from store.names import fold, person_key
from store.notes import meeting_notes
from store.organisations import organisations
from store.people import everyone

_ORDINALS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
             "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
             "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth"]
NOT_HELD = "Draft — meeting not yet held"
DEFAULTS = {
    "opening": "There were no comments on the agenda, which was subsequently adopted.",
    "other": "No other matters were raised.",
}
NO_NOTES = "No notes were recorded for this item."


@dataclass
class Section:
    number: int
    title: str
    kind: str = "item"  # introduction | opening | item | other | closure
    discussion: list[str] = field(default_factory=list)
    conclusions: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """An agenda item without notes (the draft says so)."""
        return self.kind == "item" and not (self.discussion or self.conclusions
                                             or self.next_steps)


@dataclass
class Participant:
    number: int
    name: str
    organisation: str


@dataclass
class MinutesDraft:
    meeting_key: str
    title: str
    notice: str  # NOT_HELD for a meeting not over yet, else ""
    date: str
    documents: list[str]
    sections: list[Section]
    participants: list[Participant]
    actions: list[str]
    secretariat: str = ""  # who writes the minutes: the document's author

    @property
    def items(self) -> list[Section]:
        """The agenda items' sections."""
        return [s for s in self.sections if s.kind == "item"]

    @property
    def version(self) -> str:
        """A fingerprint of the content: a changed draft is a new version to circulate."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def ordinal(n: int) -> str:
    if 0 < n < len(_ORDINALS):
        return _ORDINALS[n]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def is_held(meeting: Meeting, now: dt.datetime) -> bool:
    """Whether the meeting is over at `now` (a month-only meeting once its month is)."""
    return over_at(meeting) <= now


def meeting_date(meeting: Meeting, *, held: bool) -> str:
    """'05 October 2017'; a meeting known by its month: 'December 2017', with '(date to be
    confirmed)' until it is held. No day is invented."""
    start = meeting.starts_at.astimezone(ZoneInfo(meeting.timezone))
    if meeting.precision == "month":
        return f"{start:%B %Y}" + ("" if held else " (date to be confirmed)")
    return f"{start:%d %B %Y}"


class _Speakers:
    """Who a note's speaker is, named as the house style names them at that point."""

    def __init__(self, *, people: list[Person], chair: Person | None, mentions: Mentions):
        self.by_name = {fold(p.name): p for p in people}
        self.chair = chair
        self.mentions = mentions

    def chair_name(self) -> str:
        if self.chair is None:
            return CHAIR
        return capital(self.mentions.chair(f"{self.chair.title} {self.chair.name}".strip(),
                                           self.chair.organisation_id))

    def subject(self, note: MeetingNote) -> str:
        speaker = note.speaker
        if not speaker:
            return ""
        if speaker == MEETING:
            return MEETING
        key = person_key(speaker)
        if speaker == CHAIR or (self.chair and key == fold(self.chair.name)):
            return self.chair_name()
        person = self.by_name.get(key)
        if person is not None or key != fold(speaker):  # a known name, or a title: a person
            name = f"{person.title} {person.name}".strip() if person else speaker
            return self.mentions.person(name, note.speaker_organisation_id)
        if note.speaker_organisation_id in self.mentions.orgs:
            return capital(self.mentions.org(note.speaker_organisation_id))
        return speaker


def build_draft(*, session: Session, meeting: Meeting, now: dt.datetime) -> MinutesDraft:
    """The draft of `meeting` from its agenda, participants and notes, as things are at `now`."""
    orgs = organisations(session=session)
    chair = session.get(Person, meeting.chair_id) if meeting.chair_id else None
    present = participants(session=session, meeting=meeting)
    mentions = Mentions(orgs)
    speakers = _Speakers(people=everyone(session=session), chair=chair, mentions=mentions)
    held = is_held(meeting, now)
    items = agenda_items(session=session, meeting=meeting)
    notes = meeting_notes(session=session, meeting=meeting)

    def of(place) -> list[MeetingNote]:
        return [n for n in notes if (n.section or n.agenda_item_id) == place]

    intro = Section(1, "Introduction", "introduction",
                    [_first_sentence(meeting, held=held, speakers=speakers)])
    if not _fill(intro, of("introduction"), speakers, orgs) and meeting.purpose:
        purpose = meeting.purpose.strip()
        if purpose.startswith("To "):
            purpose = "The purpose of the meeting was t" + purpose[1:]
        intro.discussion.append(purpose)
    intro.discussion.append("The list of meeting participants is provided in Annex I.")
    sections = [intro, _section(Section(2, "Opening remarks and adoption of the agenda",
                                        "opening"), of("opening"), speakers, orgs)]
    for item in items:
        sections.append(_section(Section(item.number + 2, item.title), of(item.id), speakers,
                                 orgs))
    n = len(items)
    sections.append(_section(Section(n + 3, "Other matters", "other"), of("other"), speakers,
                             orgs))
    closure = Section(n + 4, "Closure of the meeting", "closure")
    _fill(closure, of("closure"), speakers, orgs)
    closing = [note.text for note in notes if note.kind == "closing"]
    if closing or not closure.discussion:
        closure.discussion.append(_closed(meeting, closing[-1] if closing else "", chair))
    sections.append(closure)

    annex = []
    for number, person in enumerate(present, start=1):
        name = f"{person.title} {person.name}".strip()
        if chair and person.id == chair.id:
            name += " (Chair)"
        org = orgs.get(person.organisation_id)
        annex.append(Participant(number, name, annex_name(org, orgs.get(org.parent_id))
                                 if org else ""))
    secretariat = sorted((o for o in orgs.values() if o.kind == "secretariat"
                          and o.retired_at is None), key=lambda o: o.acronym)
    return MinutesDraft(
        meeting_key=meeting.key,
        title=f"{meeting.title} — Draft Report" if held else meeting.title,
        notice="" if held else NOT_HELD, date=meeting_date(meeting, held=held),
        documents=list(meeting.documents) or ["Provisional Agenda"], sections=sections,
        participants=annex, actions=[step for s in sections for step in s.next_steps],
        secretariat=secretariat[0].name if secretariat else "",
    )


def _first_sentence(meeting: Meeting, *, held: bool, speakers: _Speakers) -> str:
    """'The fifth meeting of the IMG took place online on 05 October 2017, chaired by ...'."""
    what = (f"The {ordinal(meeting.number)} meeting of the {meeting.series}"
            if meeting.number else f"The {meeting.title}")
    where = " online" if meeting.online else f" in {meeting.location}" if meeting.location \
        else ""
    on = "in" if meeting.precision == "month" else "on"
    text = f"{what} {'took place' if held else 'is to take place'}{where} {on} " \
           f"{meeting_date(meeting, held=held)}"
    if speakers.chair is not None:
        text += f", {'chaired' if held else 'to be chaired'} by {speakers.chair_name()}"
    return text + "."


def _section(section: Section, notes: list[MeetingNote], speakers: _Speakers,
             orgs: dict[int, Organisation]) -> Section:
    if not _fill(section, notes, speakers, orgs) and section.kind in DEFAULTS:
        section.discussion.append(DEFAULTS[section.kind])
    return section


def _fill(section: Section, notes: list[MeetingNote], speakers: _Speakers,
          orgs: dict[int, Organisation]) -> bool:
    """Put the notes in the section, in their order; whether there were any to show."""
    shown = False
    for note in notes:
        if note.kind == "conclusion":
            section.conclusions.append(note.text)
        elif note.kind == "next_step":
            section.next_steps.append(_next_step(note, orgs))
        elif note.kind == "discussion":
            section.discussion.append(report(speakers.subject(note), note.verb, note.text))
        else:
            continue
        shown = True
    return shown


def _closed(meeting: Meeting, closing: str, chair: Person | None) -> str:
    """The closure's sentence: the time only when a note gave it ('Closed at 17:00 GVA
    time'), in the meeting's zone when the note names none."""
    if closing and closing.strip().count(" ") == 0:
        closing += f" ({meeting.timezone.rsplit('/', 1)[-1].replace('_', ' ')} time)"
    at = f" at {closing}" if closing else ""
    return f"The Chair closed the meeting{at}." if chair else f"The meeting was closed{at}."


def _next_step(note: MeetingNote, orgs: dict[int, Organisation]) -> str:
    owner = note.speaker or (orgs[note.owner_organisation_id].acronym
                             if note.owner_organisation_id in orgs else "")
    text = f"{owner} to {note.text.rstrip('.')}" if owner else note.text.rstrip(".")
    if note.due_on:
        text += f", by {note.due_on:%d %B %Y}"
    return text + "."
