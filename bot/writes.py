"""What people change from chat: member updates, digest subscriptions, meeting notes,
deadlines marked done. Keyword-only functions taking the session; the caller commits.

Each returns a small dataclass that `bot.text` and `bot.blocks` render like any answer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from store.deadlines import find_deadline, mark_done
from store.meetings import MAIN_SERIES, agenda_item, find_meeting, meeting_for_notes
from store.models import Meeting, MemberUpdate, Person, SentReminder


@dataclass
class Done:
    """A change made, said in one sentence."""

    text: str


@dataclass
class Refused:
    """Something the asker may not do, and who can."""

    action: str
    who_can: list[str]


@dataclass
class NeedsModal:
    """A secretariat form to open: `kind` is meeting or deadline, `key` the item edited."""

    kind: str
    key: str = ""


@dataclass
class Later:
    """Work that takes longer than Slack's 3 seconds (a sync, a draft): done after ack()."""

    command: str
    text: str = ""


def record_update(*, session: Session, person: Person, text: str, source: str,
                  source_id: str, now: dt.datetime) -> Done:
    """Store a member update for the person's organisation; the same source id once."""
    found = session.exec(select(MemberUpdate).where(
        MemberUpdate.source == source, MemberUpdate.source_id == source_id)).first()
    if found is None:
        session.add(MemberUpdate(organisation_id=person.organisation_id, person_id=person.id,
                                 text=text, source=source, source_id=source_id,
                                 posted_at=now))
        session.flush()
    return Done("Thank you: your update is recorded and will be in the next weekly digest.")


def edit_update(*, session: Session, source: str, source_id: str, text: str,
                now: dt.datetime) -> bool:
    row = _update(session, source, source_id)
    if row is None or row.text == text:
        return False
    row.text, row.edited_at = text, now
    session.add(row)
    return True


def delete_update(*, session: Session, source: str, source_id: str, now: dt.datetime) -> bool:
    row = _update(session, source, source_id)
    if row is None or row.deleted_at is not None:
        return False
    row.deleted_at = now
    session.add(row)
    return True


def _update(session: Session, source: str, source_id: str) -> MemberUpdate | None:
    return session.exec(select(MemberUpdate).where(
        MemberUpdate.source == source, MemberUpdate.source_id == source_id)).first()


def set_digest(*, session: Session, person: Person, subscribed: bool) -> Done:
    person.digest_subscribed = subscribed
    session.add(person)
    session.flush()
    if subscribed:
        return Done(f"You will receive the weekly digest at {person.email}.")
    return Done("You will no longer receive the weekly digest. `subscribe` brings it back.")


def mark_deadline_done(*, session: Session, key: str, now: dt.datetime) -> Done:
    """Mark a deadline done; it stays done through syncs of the data file until the file's
    entry for it changes."""
    deadline = find_deadline(session=session, ref=key)
    if deadline is None:
        return Done(f"There is no deadline {key.strip()!r}. `deadlines` shows their keys.")
    mark_done(session=session, deadline=deadline, now=now)
    return Done(f"Marked done: {deadline.title}.")


_ITEM = re.compile(r"^(?:(\d{1,3})\.)?(\d{1,2})\s+(.+)$", re.S)


def record_note(*, session: Session, text: str, now: dt.datetime, source: str = "slack",
                series: str = MAIN_SERIES) -> Done:
    """A note against agenda item ITEM of the current meeting (`2 text`) or of meeting N
    (`5.2 text`); `Conclusion:` and `Next step:` set its kind."""
    m = _ITEM.match(text.strip())
    if not m:
        return Done("Write `note ITEM TEXT`, e.g. `note 2 Conclusion: the ToR were endorsed` "
                    "(or `note 5.2 ...` for item 2 of meeting 5).")
    meeting = meeting_for_notes(session=session, now=now, series=series,
                                number=int(m.group(1)) if m.group(1) else None)
    if meeting is None:
        return Done("I cannot tell which meeting the note is for; write `note N.ITEM TEXT`.")
    return _note_on_item(session=session, meeting=meeting, number=int(m.group(2)),
                         body=m.group(3).strip(), now=now, source=source)


_THREAD_NOTE = re.compile(r"^\s*(\d{1,3})[.):]?\s+(\S.*)$", re.S)


def thread_meeting(*, session: Session, channel: str, thread_ts: str) -> Meeting | None:
    """The meeting whose reminder started this thread, if one did."""
    key = session.exec(select(SentReminder.key).where(
        SentReminder.channel == channel, SentReminder.message_ts == thread_ts,
        col(SentReminder.key).startswith("meeting:"))).first()
    if not key or not thread_ts:
        return None
    return find_meeting(session=session, ref=key.split(":")[1])


def record_thread_note(*, session: Session, meeting: Meeting, text: str,
                       now: dt.datetime) -> Done | None:
    """A reply in a meeting's thread that starts with an agenda item's number
    (`2 Conclusion: ...`) is a note on that item; None when the reply is not one."""
    m = _THREAD_NOTE.match(text)
    if not m:
        return None
    return _note_on_item(session=session, meeting=meeting, number=int(m.group(1)),
                         body=m.group(2).strip(), now=now, source="slack")


def _note_on_item(*, session: Session, meeting: Meeting, number: int, body: str,
                  now: dt.datetime, source: str) -> Done:
    # The minutes' note reading is imported here: every chat answer imports this module.
    from digests.minutes.actions import sync_actions
    from digests.minutes.notes import parse_note
    from digests.minutes.notes import record_note as minutes_note

    item = agenda_item(session=session, meeting=meeting, number=number)
    if item is None:
        return Done(f"{meeting.title} has no agenda item {number}.")
    try:
        note = parse_note(body)
    except ValueError as e:
        return Done(f"I could not read that note: {e}.")
    minutes_note(session=session, meeting=meeting, item_number=item.number, note=note,
                 source=source, now=now)
    sync_actions(session=session, meeting=meeting, now=now)
    return Done(f"Noted against item {item.number} of {meeting.title}: {body}")

