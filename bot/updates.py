"""Member updates from the updates channel, and Slack's event retries handled once.

Every top-level post in the channel (a message, a file shared with or without a comment, a
`/me` message) is an update of the poster's organisation; an edit changes it, a deletion marks
it deleted (kept for the record, left out of digests). Slack retries an event it thinks was
not received: the event id is recorded in `SlackEvent` in the same transaction as the event's
effect, so a retry of a handled event does nothing, and a retry of one whose effect failed is
handled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import writes
from bot.dispatch import Asker
from store.models import MemberUpdate, SlackEvent

SOURCE = "slack"
_POSTS = ("", "file_share", "me_message")  # subtypes of a person's new post
T = TypeVar("T")


def handle_once(*, engine: Engine, event_id: str, now: dt.datetime,
                effect: Callable[[Session], T]) -> T | None:
    """`effect(session)` and the record that the event was handled, in one transaction.

    None, and nothing done, for an event handled before (a retry). When the effect fails,
    nothing is recorded (the error goes on): Slack's retry is handled as the first delivery
    was. A concurrent delivery of the same id waits on the unique key until this transaction
    ends, then finds it taken. An event without an id is handled every time."""
    with Session(engine, expire_on_commit=False) as session:
        if event_id:
            if session.exec(select(SlackEvent.id).where(
                    SlackEvent.event_id == event_id)).first() is not None:
                return None
            session.add(SlackEvent(event_id=event_id, received_at=now))
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                return None
        try:
            result = effect(session)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return result


def claim_event(*, engine: Engine, event_id: str, now: dt.datetime) -> bool:
    """True the first time an event id is seen; a retry (even a concurrent one) gets False.
    For effects outside the store (a reply posted): recorded before the effect, so that a
    retry never answers twice."""
    return handle_once(engine=engine, event_id=event_id, now=now,
                       effect=lambda _session: True) is True


def source_id(channel: str, ts: str) -> str:
    return f"{channel}:{ts}"


def posted_at(ts: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(ts), dt.UTC)


def is_post(event: dict) -> bool:
    """A person's new message, file or `/me` message (not an edit, a join, a bot's post)."""
    return event.get("subtype", "") in _POSTS and not event.get("bot_id")


def is_update(event: dict) -> bool:
    """A person's top-level post (not a thread reply, not a bot, not a join), or the edit
    or deletion of one."""
    if event.get("subtype") in ("message_changed", "message_deleted"):
        return not event.get("bot_id")
    thread = event.get("thread_ts")
    return is_post(event) and bool(event.get("user")) and bool(event.get("ts")) and (
        not thread or thread == event.get("ts"))


def follow(*, session: Session, event: dict, asker: Asker | None, now: dt.datetime) -> str:
    """Store, edit or delete the update the message event is about; says what it did."""
    channel = event.get("channel", "")
    match event.get("subtype"):
        case "message_changed":  # the message's ts, or only the previous message's
            msg = event.get("message") or {}
            ts = msg.get("ts") or (event.get("previous_message") or {}).get("ts", "")
            changed = writes.edit_update(session=session, source=SOURCE,
                                         source_id=source_id(channel, ts),
                                         text=msg.get("text", ""), now=now)
            return "edited" if changed else "unchanged"
        case "message_deleted":
            deleted = writes.delete_update(session=session, source=SOURCE, now=now,
                                           source_id=source_id(channel,
                                                               event.get("deleted_ts", "")))
            return "deleted" if deleted else "unchanged"
    text = (event.get("text") or "").strip() or ", ".join(
        f.get("title") or f.get("name") or "" for f in event.get("files") or []).strip(", ")
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
