"""A meeting's minutes draft as data, in the house style of the secretariat's reports:
title and date, Documents, 1. Introduction, 2. Opening remarks and adoption of the agenda, one
numbered section per agenda item (discussion in reported speech, Conclusion, Next Steps),
Other matters, Closure of the meeting, Annex I — List of Participants.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session

from store.meetings import agenda_items
from store.meetings import participants as present_participants
from store.models import MeetingNote, Organisation, Person
from store.notes import meeting_notes
from store.organisations import organisations

_ORDINALS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
             "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
             "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth"]


@dataclass
class Section:
    number: int
    title: str
    discussion: list[str] = field(default_factory=list)
    conclusions: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.discussion or self.conclusions or self.next_steps)


@dataclass
class Participant:
    number: int
    name: str
    organisation: str


@dataclass
class MinutesDraft:
    meeting_key: str
    title: str
    date: str
    documents: list[str]
    introduction: list[str]
    opening: str
    sections: list[Section]
    other_matters: str
    closure: str
    participants: list[Participant]
    actions: list[str]

    @property
    def version(self) -> str:
        """A fingerprint of the content: a changed draft is a new version to circulate."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def ordinal(n: int | None) -> str:
    return _ORDINALS[n] if n is not None and 0 < n < len(_ORDINALS) else f"{n}th"


_LOWER_STARTS = {"the", "it", "a", "an", "we", "there", "this", "that", "these", "those", "from",
                 "countries", "engagement", "she", "he", "they", "our", "its", "in", "on", "for",
                 "as", "if", "when", "while", "both", "more", "several", "many", "some", "all"}


def reported(speaker: str, organisation: str, text: str) -> str:
    """'Ms. X from ORG noted that ...': the house style's reported speech."""
    body = text.strip().rstrip(".!? ")
    first = body.split()[0] if body else ""
    if first.lower() in _LOWER_STARTS:
        body = body[0].lower() + body[1:]
    if speaker and organisation and speaker != organisation:
        who = f"{speaker} from {organisation}"
    else:
        who = speaker or organisation
    return f"{who} noted that {body}." if who else f"It was noted that {body}."


def _of(org: Organisation) -> str:
    """'the EMG Secretariat' rather than the full name, where the coalition says it so."""
    short = next((a for a in org.aliases if a.endswith("Secretariat")), None)
    return short or org.name


def build_draft(*, session: Session, meeting, now: dt.datetime) -> MinutesDraft:
    """The draft of `meeting` from its agenda, participants and notes."""
    orgs = organisations(session=session)
    tz = ZoneInfo(meeting.timezone)
    start = meeting.starts_at.astimezone(tz)
    chair = session.get(Person, meeting.chair_id) if meeting.chair_id else None
    chair_org = orgs.get(chair.organisation_id) if chair else None
    where = "online" if meeting.online else f"in {meeting.location}" if meeting.location else ""
    intro = (f"The {ordinal(meeting.number)} meeting of the {meeting.series} took place "
             f"{where + ' ' if where else ''}on {start:%d %B %Y}")
    if chair:
        intro += f", chaired by {f'{chair.title} {chair.name}'.strip()}"
        if chair_org:
            intro += f" of the {_of(chair_org)}"
    introduction = [intro + "."]
    if meeting.purpose:
        purpose = meeting.purpose.strip()
        if purpose.startswith("To "):
            purpose = "The purpose of the meeting was t" + purpose[1:]
        introduction.append(purpose)
    introduction.append("The list of meeting participants is provided in Annex I.")

    items = agenda_items(session=session, meeting=meeting)
    notes = meeting_notes(session=session, meeting=meeting)
    sections = []
    for item in items:
        section = Section(item.number + 2, item.title)
        for note in (n for n in notes if n.agenda_item_id == item.id):
            org = orgs.get(note.speaker_organisation_id)
            if note.kind == "conclusion":
                section.conclusions.append(note.text)
            elif note.kind == "next_step":
                section.next_steps.append(_next_step(note, orgs))
            else:
                speaker = note.speaker if note.speaker != (org.acronym if org else None) else ""
                section.discussion.append(reported(speaker, org.acronym if org else
                                                    note.speaker, note.text))
        sections.append(section)

    participants = []
    for n, person in enumerate(present_participants(session=session, meeting=meeting), start=1):
        org = orgs.get(person.organisation_id)
        name = f"{person.title} {person.name}".strip()
        if chair and person.id == chair.id:
            name += " (Chair)"
        participants.append(Participant(n, name, org.acronym if org else ""))
    ends = (meeting.ends_at or meeting.starts_at).astimezone(tz)
    closure = f"The Chair closed the meeting at {ends:%H:%M} ({meeting.timezone} time)."
    return MinutesDraft(
        meeting_key=meeting.key, title=f"{meeting.title} — Draft Report",
        date=f"{start:%d %B %Y}", documents=list(meeting.documents) or ["Provisional Agenda"],
        introduction=introduction,
        opening="There were no comments on the agenda, which was subsequently adopted.",
        sections=sections, other_matters="No other matters were raised.", closure=closure,
        participants=participants,
        actions=[step for s in sections for step in s.next_steps],
    )


def _next_step(note: MeetingNote, orgs: dict[int, Organisation]) -> str:
    owner = note.speaker or (orgs[note.owner_organisation_id].acronym
                             if note.owner_organisation_id in orgs else "")
    text = f"{owner} to {note.text.rstrip('.')}" if owner else note.text.rstrip(".")
    if note.due_on:
        text += f", by {note.due_on:%d %B %Y}"
    return text + "."
