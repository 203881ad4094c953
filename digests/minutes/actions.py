"""Next steps become action items: Deadline rows (kind "action", origin "minutes") keyed on the
note, so re-drafting after more notes never duplicates them. They show in `deadlines`, the App
Home and the digest until done."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from store.models import Deadline, Meeting, MeetingNote

NO_DATE = "Ongoing"


def sync_actions(*, session: Session, meeting: Meeting, now: dt.datetime) -> int:
    """Create the action items of the meeting's next steps not yet made; the caller commits."""
    notes = session.exec(select(MeetingNote).where(
        MeetingNote.meeting_id == meeting.id, MeetingNote.kind == "next_step")).all()
    made = 0
    for note in notes:
        key = f"minutes-{meeting.key}-{note.fingerprint[:12]}"
        if session.exec(select(Deadline.id).where(Deadline.key == key)).first() is not None:
            continue
        session.add(Deadline(
            key=key, title=note.text.rstrip("."), kind="action", origin="minutes",
            due_text=note.due_on.isoformat() if note.due_on else NO_DATE,
            starts_on=note.due_on, due_on=note.due_on,
            owner_organisation_id=note.owner_organisation_id, meeting_id=meeting.id,
            source=f"{meeting.title}, Next Steps"))
        made += 1
    session.flush()
    return made
