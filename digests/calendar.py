"""Meetings and deadlines as an iCalendar feed, so focal points subscribe in Outlook or Google.

UIDs are stable (built from natural keys), so a re-published calendar updates events in the
subscribers' calendars instead of duplicating them. Dates are as precise as they are known:
a meeting known only by its month is left out until it has a day (an event on the 1st would
be a date nobody set); one known by its day is an all-day event; a deadline due within a month
or a period is an all-day event on its last day, "(date to be confirmed)" in its title. Every
timezone an event names has its VTIMEZONE.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import Session

from store.deadlines import Named, calendar_deadlines, is_exact
from store.meetings import agenda_items, calendar_meetings, ends_at
from store.models import Meeting
from store.names import work_stream_by_key
from store.when import TO_BE_CONFIRMED


def build_calendar(*, session: Session, now: dt.datetime, name: str,
                   work_stream: str | None = None, domain: str = "coalition-desk") -> Calendar:
    """The calendar of active meetings and open or done deadlines, optionally of one stream."""
    cal = Calendar()
    cal.add("prodid", "-//Coalition Desk//coalition-desk//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name + (f" — {work_stream}" if work_stream else ""))
    stream_id = None
    if work_stream:
        stream = work_stream_by_key(session=session, key=work_stream)
        stream_id = stream.id if stream else -1
    first = last = None
    for meeting in calendar_meetings(session=session, work_stream_id=stream_id):
        if meeting.precision == "month":
            continue  # no day yet
        cal.add_component(_meeting_event(session, meeting, now, domain))
        first = min(first or meeting.starts_at, meeting.starts_at)
        last = max(last or meeting.starts_at, ends_at(meeting))
    for item in calendar_deadlines(session=session, work_stream_id=stream_id):
        cal.add_component(_deadline_event(item, now, domain))
    if first is not None:
        cal.add_missing_timezones(first_date=(first - dt.timedelta(days=366)).date(),
                                  last_date=(last + dt.timedelta(days=366)).date())
    return cal


def _meeting_event(session: Session, meeting: Meeting, now: dt.datetime, domain: str) -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.key}@{domain}")
    event.add("dtstamp", now)
    summary = meeting.title
    local = meeting.starts_at.astimezone(ZoneInfo(meeting.timezone))
    if meeting.precision == "minute":
        event.add("dtstart", local)
        event.add("dtend", ends_at(meeting).astimezone(ZoneInfo(meeting.timezone)))
    else:  # known by its day: an all-day event on it
        event.add("dtstart", local.date())
        event.add("dtend", local.date() + dt.timedelta(days=1))
    if meeting.status == "cancelled":
        event.add("status", "CANCELLED")
    elif meeting.status == "postponed":
        event.add("status", "TENTATIVE")
        summary += " (postponed)"
    event.add("summary", summary)
    where = ", ".join(x for x in ("online" if meeting.online else "", meeting.location) if x)
    if where:
        event.add("location", where)
    if meeting.link:
        event.add("url", meeting.link)
    lines = [meeting.purpose] if meeting.purpose else []
    lines += [f"{item.number}. {item.title}"
              for item in agenda_items(session=session, meeting=meeting)]
    if lines:
        event.add("description", "\n".join(lines))
    return event


def _deadline_event(item: Named, now: dt.datetime, domain: str) -> Event:
    deadline = item.deadline
    event = Event()
    event.add("uid", f"deadline-{deadline.key}@{domain}")
    event.add("dtstamp", now)
    owners = ", ".join(item.owners)
    label = "Done" if deadline.status == "done" else "Due"
    summary = f"{label}: {deadline.title}" + (f" ({owners})" if owners else "")
    if not is_exact(deadline):  # due within a month or a period: by its last day
        summary += f" — {deadline.due_text} ({TO_BE_CONFIRMED})"
    event.add("summary", summary)
    event.add("dtstart", deadline.due_on)
    event.add("dtend", deadline.due_on + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    description = [f"Due {deadline.due_text}" if deadline.due_text else ""]
    if not is_exact(deadline):
        description.append(f"Shown on {deadline.due_on:%d %B %Y}, the last day it may be due.")
    description += [deadline.description, deadline.source and f"Source: {deadline.source}"]
    event.add("description", "\n".join(x for x in description if x))
    event.add("categories", [deadline.kind])
    return event
