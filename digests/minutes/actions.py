"""Next steps become action items, once each: a next step is linked to its item
(`MeetingNote.action_id`), so re-drafting after more notes never duplicates them.

A next step that matches an action item already listed for the meeting (one the data file
names with `from_meeting = "img-5"`, or an earlier note's) updates that item instead of adding
one: same action (`store.actions.action_core`: case, punctuation, owners and a trailing date
aside). The update adds the next step's owners to the item's and gives it the next step's due
date if it has none; its title and date otherwise stand (the secretariat's words). Else a new
item (kind "action", origin "minutes") carries the whole sentence as its title, "BRS and
UNITAR to ...", and every organisation it names as owners. They show in `deadlines`, the App
Home and the digest until done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from digests.minutes.notes import owner_organisations
from store.actions import ACTION, action_core, meeting_action_items, owner_names, same_text
from store.deadlines import find_deadline, owner_ids, set_owners
from store.models import Deadline, Meeting, MeetingNote
from store.notes import next_steps
from store.organisations import organisations
from store.periods import Period, parse_period

NO_DATE = "Ongoing"


@dataclass
class ActionsMade:
    created: int = 0
    updated: int = 0  # next steps that matched an item already listed

    def __int__(self) -> int:
        return self.created


def sync_actions(*, session: Session, meeting: Meeting, now: dt.datetime) -> ActionsMade:
    """Link each of the meeting's next steps not yet linked to its action item, matching an
    item already listed or making one; the caller commits."""
    made = ActionsMade()
    notes = [n for n in next_steps(session=session, meeting=meeting) if n.action_id is None]
    if not notes:
        return made
    names = owner_names(organisations(session=session).values())
    listed: dict[str, Deadline] = {}
    for item in meeting_action_items(session=session, meeting=meeting):
        listed.setdefault(action_core(item.title, names), item)
    for note in notes:
        item = find_deadline(session=session, ref=_legacy_key(meeting, note))
        owners = owner_organisations(session, note.speaker)
        if item is None:
            item = listed.get(same_text(note.text))
            if item is not None:
                made.updated += _merge(session, item, note, owners)
        if item is None:
            item = _new_item(session, meeting, note, owners)
            listed[same_text(note.text)] = item
            made.created += 1
        note.action_id = item.id
        session.add(note)
    session.flush()
    return made


def _legacy_key(meeting: Meeting, note: MeetingNote) -> str:
    """The key of the item made from this note before notes were linked to their items."""
    return f"minutes-{meeting.key}-{note.fingerprint[:12]}"


def _merge(session: Session, item: Deadline, note: MeetingNote, owners: list[int]) -> int:
    """The next step's owners and (when the item has none) its date, on the item."""
    have = owner_ids(session=session, deadline=item)
    set_owners(session=session, deadline=item, organisation_ids=have + owners)
    due = _due(note)
    if item.due_on is None and due.ends_on is not None:
        item.due_text, item.starts_on, item.due_on = due.text, due.starts_on, due.ends_on
        session.add(item)
    return 1


def _due(note: MeetingNote) -> Period:
    """When the next step is due: its date, its month or period, else open-ended."""
    if note.due_on is not None:
        return parse_period(note.due_on)
    return parse_period(note.due_text or NO_DATE)


def _new_item(session: Session, meeting: Meeting, note: MeetingNote,
              owners: list[int]) -> Deadline:
    action = note.text.rstrip(".")
    owner = note.speaker.strip()
    due = _due(note)
    item = Deadline(
        key=_legacy_key(meeting, note), title=f"{owner} to {action}" if owner else action,
        kind=ACTION, origin="minutes", due_text=due.text, starts_on=due.starts_on,
        due_on=due.ends_on, meeting_id=meeting.id,
        from_meeting_id=meeting.id, source=f"{meeting.title}, Next Steps")
    session.add(item)
    session.flush()
    set_owners(session=session, deadline=item, organisation_ids=owners)
    return item
