"""Reminders the worker posts: a deadline N days before it is due (`[slack] reminder_days`),
and a meeting's agenda the day before. Each is posted once: a `SentReminder` row is claimed
before posting and given back if the post fails, so the next run tries again.

A deadline reminder goes to its owner (a direct message), else to the owner organisation's
focal points, else to `[slack] reminders_channel`; a meeting reminder to each participant
known in Slack and to `reminders_channel`. Where a reminder was posted is kept: in the thread
of a meeting's reminder, the secretariat's replies that start with an item number are notes.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import answers, blocks
from bot.answers import local_date
from store.deadlines import Named, open_deadline_list
from store.engine import unit_of_work
from store.meetings import (
    MAIN_SERIES,
    meetings_ended_between,
    meetings_starting_between,
    participant_slack_ids,
)
from store.models import Person, SentReminder
from store.people import contact_slack_ids

log = logging.getLogger("coalition.bot.reminders")


@dataclass
class Reminder:
    key: str
    channel: str
    text: str
    blocks: list[dict] = field(default_factory=list)


def due_reminders(*, session: Session, now: dt.datetime, days: list[int], timezone: str,
                  channel: str = "", secretariat_channel: str = "") -> list[Reminder]:
    """Every reminder due at `now` (posted or not)."""
    return (_deadline_reminders(session, now, sorted(set(days)), timezone, channel)
            + _meeting_reminders(session, now, timezone, channel)
            + _minutes_reminders(session, now, secretariat_channel or channel))


def _minutes_reminders(session: Session, now: dt.datetime, channel: str) -> list[Reminder]:
    """After a meeting ends, remind the secretariat to draft its minutes (within two days)."""
    if not channel:
        return []
    out = []
    for m in meetings_ended_between(session=session, start=now - dt.timedelta(days=2),
                                    end=now):
        ref = str(m.number) if m.series.upper() == MAIN_SERIES and m.number else m.key
        text = (f"{m.title} is over: draft its minutes with `/coalition minutes {ref}` "
                f"(or `coalition minutes draft {ref}`), after recording the notes.")
        out.append(Reminder(f"minutes:{m.key}", channel, text,
                            [blocks.section(blocks.escape(text))]))
    return out


def post_due_reminders(*, engine: Engine, client, config, now: dt.datetime) -> str:
    """Post the reminders due at `now` not yet posted; one failure never stops the others."""
    slack = config.slack
    with unit_of_work(engine) as session:
        due = due_reminders(session=session, now=now, days=slack.reminder_days,
                            timezone=config.coalition.timezone, channel=slack.reminders_channel,
                            secretariat_channel=slack.secretariat_channel)
    posted = failed = 0
    for reminder in due:
        if not _claim(engine, reminder, now):
            continue
        try:
            response = client.chat_postMessage(channel=reminder.channel, text=reminder.text,
                                               blocks=reminder.blocks, unfurl_links=False)
            posted += 1
            _remember(engine, reminder.key, response.get("channel") or reminder.channel,
                      response.get("ts") or "")
        except (SlackApiError, OSError) as e:
            failed += 1
            log.warning("reminder %s to %s not posted: %s", reminder.key, reminder.channel, e)
            _release(engine, reminder.key)
    return f"{posted} reminders posted, {failed} failed"


def _claim(engine: Engine, reminder: Reminder, now: dt.datetime) -> bool:
    try:
        with unit_of_work(engine) as session:
            if session.exec(select(SentReminder.id).where(
                    SentReminder.key == reminder.key)).first() is not None:
                return False
            session.add(SentReminder(key=reminder.key, channel=reminder.channel, sent_at=now))
    except IntegrityError:
        return False
    return True


def _remember(engine: Engine, key: str, channel: str, ts: str) -> None:
    """Where the reminder was posted: replies in its thread are read as meeting notes."""
    with unit_of_work(engine) as session:
        row = session.exec(select(SentReminder).where(SentReminder.key == key)).one()
        row.channel, row.message_ts = channel, ts
        session.add(row)


def _release(engine: Engine, key: str) -> None:
    with unit_of_work(engine) as session:
        for row in session.exec(select(SentReminder).where(SentReminder.key == key)):
            session.delete(row)


def _which_day(days_left: int, days: list[int]) -> int | None:
    """The reminder a deadline `days_left` away is due for: the nearest N not yet passed."""
    if days_left < 0:
        return None
    return next((n for n in days if n >= days_left), None)


def _deadline_reminders(session, now, days, timezone, channel) -> list[Reminder]:
    if not days:
        return []
    today = local_date(now, timezone)
    out = []
    for item in open_deadline_list(session=session, due_from=today,
                                   due_until=today + dt.timedelta(days=max(days))):
        d = item.deadline
        left = (d.due_on - today).days
        n = _which_day(left, days)
        if n is None:
            continue
        when = "today" if left == 0 else "tomorrow" if left == 1 else f"in {left} days"
        text = f"Reminder: “{d.title}” is due {when} ({d.due_text or d.due_on})."
        for target in _deadline_targets(session, item) or ([channel] if channel else []):
            out.append(Reminder(f"deadline:{d.key}:{d.due_on}:{n}:{target}", target, text,
                                [blocks.section(blocks.escape(text))]))
    return out


def _deadline_targets(session: Session, item: Named) -> list[str]:
    """The owner person in Slack, else the contacts (focal points, secretariat) of every
    owner organisation known in Slack."""
    d = item.deadline
    if d.owner_person_id:
        owner = session.get(Person, d.owner_person_id)
        if owner is not None and owner.slack_user_id and owner.retired_at is None:
            return [owner.slack_user_id]
    return contact_slack_ids(session=session, organisation_ids=item.owner_ids)


def _meeting_reminders(session, now, timezone, channel) -> list[Reminder]:
    tomorrow = local_date(now, timezone) + dt.timedelta(days=1)
    out = []
    for m in meetings_starting_between(session=session, start=now - dt.timedelta(days=1),
                                       end=now + dt.timedelta(days=3)):
        if local_date(m.starts_at, m.timezone) != tomorrow:
            continue
        message = blocks.message(answers.meeting_agenda(session=session, meeting=m,
                                                        timezone=timezone, now=now))
        text = f"Tomorrow: {message['text']}"
        body = [blocks.section(f"*Tomorrow:* {blocks.escape(m.title)}"), *message["blocks"]]
        targets = participant_slack_ids(session=session, meeting=m)
        for target in targets + ([channel] if channel else []):
            out.append(Reminder(f"meeting:{m.key}:{m.starts_at:%Y-%m-%d}:{target}", target,
                                text, body))
    return out
