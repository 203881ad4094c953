"""Member updates from the updates channel, and Slack's event retries handled once.

Every top-level message in the channel is an update of the poster's organisation; an edit
changes it, a deletion marks it deleted (kept for the record, left out of digests). Slack
retries an event it thinks was not received: the event id is claimed once in `SlackEvent`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import writes
from bot.dispatch import Asker
from store.engine import unit_of_work
from store.models import MemberUpdate, SlackEvent

SOURCE = "slack"
_IGNORED_SUBTYPES = {"bot_message", "channel_join", "channel_leave", "channel_topic",
                     "channel_purpose", "channel_name", "thread_broadcast"}


def claim_event(*, engine: Engine, event_id: str, now: dt.datetime) -> bool:
    """True the first time an event id is seen; a retry (even a concurrent one) gets False."""
    if not event_id:
        return True
    try:
        with unit_of_work(engine) as session:
            if session.exec(select(SlackEvent.id).where(
                    SlackEvent.event_id == event_id)).first() is not None:
                return False
            session.add(SlackEvent(event_id=event_id, received_at=now))
    except IntegrityError:
        return False
    return True


def source_id(channel: str, ts: str) -> str:
    return f"{channel}:{ts}"


def posted_at(ts: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(ts), dt.UTC)


def is_update(event: dict) -> bool:
    """A person's top-level message (not a thread reply, not a bot, not a join)."""
    if event.get("bot_id") or event.get("subtype") in _IGNORED_SUBTYPES:
        return False
    if event.get("subtype") in ("message_changed", "message_deleted"):
        return True
    thread = event.get("thread_ts")
    return bool(event.get("user")) and (not thread or thread == event.get("ts"))


def follow(*, session: Session, event: dict, asker: Asker | None, now: dt.datetime) -> str:
    """Store, edit or delete the update the message event is about; says what it did."""
    channel = event.get("channel", "")
    match event.get("subtype"):
        case "message_changed":
            msg = event.get("message") or {}
            changed = writes.edit_update(session=session, source=SOURCE,
                                         source_id=source_id(channel, msg.get("ts", "")),
                                         text=msg.get("text", ""), now=now)
            return "edited" if changed else "unchanged"
        case "message_deleted":
            deleted = writes.delete_update(session=session, source=SOURCE, now=now,
                                           source_id=source_id(channel,
                                                               event.get("deleted_ts", "")))
            return "deleted" if deleted else "unchanged"
    text = (event.get("text") or "").strip()
    if not text:
        return "empty"
    key = source_id(channel, event["ts"])
    if session.exec(select(MemberUpdate.id).where(MemberUpdate.source == SOURCE,
                                                  MemberUpdate.source_id == key)).first():
        return "unchanged"
    person = asker.person if asker else None
    session.add(MemberUpdate(
        organisation_id=person.organisation_id if person else None,
        person_id=person.id if person else None, text=text, source=SOURCE, source_id=key,
        posted_at=posted_at(event["ts"])))
    session.flush()
    return "stored"
