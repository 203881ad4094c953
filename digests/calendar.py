"""Meetings and deadlines as an iCalendar feed, so focal points subscribe in Outlook or Google.

UIDs are stable (built from natural keys), so a re-published calendar updates events in the
subscribers' calendars instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from store.models import AgendaItem, Deadline, Meeting, Organisation, WorkStream


def build_calendar(*, session: Session, now: dt.datetime, name: str,
                   work_stream: str | None = None, domain: str = "coalition-desk") -> Calendar:
    """The calendar of active meetings and open or done deadlines, optionally of one stream."""
    cal = Calendar()
    cal.add("prodid", "-//Coalition Desk//coalition-desk//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name + (f" — {work_stream}" if work_stream else ""))
    stream_id = None
    if work_stream:
        stream = session.exec(select(WorkStream).where(WorkStream.key == work_stream)).first()
        stream_id = stream.id if stream else -1
    for meeting in _meetings(session, stream_id):
        cal.add_component(_meeting_event(session, meeting, now, domain))
    orgs = {o.id: o.acronym for o in session.exec(select(Organisation))}
    query = select(Deadline).where(Deadline.retired_at.is_(None), Deadline.due_on.is_not(None),
                                   Deadline.status != "cancelled")
    if stream_id is not None:
        query = query.where(Deadline.work_stream_id == stream_id)
    for deadline in session.exec(query.order_by(Deadline.due_on, Deadline.key)):
        cal.add_component(_deadline_event(deadline, orgs, now, domain))
    return cal


def _meetings(session: Session, stream_id: int | None) -> list[Meeting]:
    query = select(Meeting).where(Meeting.retired_at.is_(None))
    if stream_id is not None:
        ids = select(AgendaItem.meeting_id).where(AgendaItem.work_stream_id == stream_id)
        query = query.where(col(Meeting.id).in_(ids))
    return list(session.exec(query.order_by(Meeting.starts_at, Meeting.key)))


def _meeting_event(session: Session, meeting: Meeting, now: dt.datetime, domain: str) -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.key}@{domain}")
    event.add("dtstamp", now)
    event.add("summary", meeting.title)
    local = meeting.starts_at.astimezone(ZoneInfo(meeting.timezone))
    if meeting.precision == "minute":
        event.add("dtstart", local)
        ends = meeting.ends_at or meeting.starts_at + dt.timedelta(hours=2)
        event.add("dtend", ends.astimezone(ZoneInfo(meeting.timezone)))
    else:  # a date or a month: an all-day event on the first day, marked tentative
        event.add("dtstart", local.date())
        event.add("dtend", local.date() + dt.timedelta(days=1))
        event.add("status", "TENTATIVE")
    if meeting.status == "cancelled":
        event.add("status", "CANCELLED")
    where = ", ".join(x for x in ("online" if meeting.online else "", meeting.location) if x)
    if where:
        event.add("location", where)
    if meeting.link:
        event.add("url", meeting.link)
    items = session.exec(select(AgendaItem).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.retired_at.is_(None),
    ).order_by(AgendaItem.number)).all()
    lines = [meeting.purpose] if meeting.purpose else []
    lines += [f"{item.number}. {item.title}" for item in items]
    if lines:
        event.add("description", "\n".join(lines))
    return event


def _deadline_event(deadline: Deadline, orgs: dict[int, str], now: dt.datetime,
                    domain: str) -> Event:
    event = Event()
    event.add("uid", f"deadline-{deadline.key}@{domain}")
    event.add("dtstamp", now)
    owner = orgs.get(deadline.owner_organisation_id)
    label = "Done" if deadline.status == "done" else "Due"
    event.add("summary", f"{label}: {deadline.title}" + (f" ({owner})" if owner else ""))
    event.add("dtstart", deadline.due_on)
    event.add("dtend", deadline.due_on + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    description = [f"Due {deadline.due_text}" if deadline.due_text else ""]
    description += [deadline.description, deadline.source and f"Source: {deadline.source}"]
    event.add("description", "\n".join(x for x in description if x))
    event.add("categories", [deadline.kind])
    return event
