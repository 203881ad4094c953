"""When a meeting is over, and which come next: shared by the bot, the digest and reminders.

A meeting known only by its month stays "next" until that month is over; one known by its day
until the day is over; a timed one until it ends.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from store.models import Attendance, Meeting, Person

HORIZON = dt.timedelta(days=31)  # the longest a meeting can have started and not be over


def over_at(meeting) -> dt.datetime:
    """The instant the meeting is over (a `Meeting` or anything with its times and precision)."""
    if meeting.precision == "month":
        start = meeting.starts_at.astimezone(ZoneInfo(meeting.timezone))
        next_month = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return next_month.astimezone(dt.UTC)
    if meeting.precision == "day":
        return meeting.starts_at + dt.timedelta(days=1)
    return meeting.ends_at or meeting.starts_at


def is_over(meeting: Meeting, now: dt.datetime) -> bool:
    return over_at(meeting) <= now


def upcoming_meetings(session: Session, now: dt.datetime, *, limit: int,
                      series: str | None = None) -> list[Meeting]:
    """The next `limit` meetings not over at `now`, read in small batches."""
    query = select(Meeting).where(
        Meeting.retired_at.is_(None), Meeting.status != "cancelled",
        Meeting.starts_at >= now - HORIZON,
    ).order_by(Meeting.starts_at, Meeting.key)
    if series is not None:
        query = query.where(func.lower(Meeting.series) == series.lower())
    found: list[Meeting] = []
    offset, batch = 0, max(limit, 8)
    while len(found) < limit:
        rows = session.exec(query.offset(offset).limit(batch)).all()
        found += [m for m in rows if not is_over(m, now)]
        if len(rows) < batch:
            break
        offset, batch = offset + batch, batch * 4
    return found[:limit]


def participants(*, session: Session, meeting: Meeting) -> list[Person]:
    """The people listed as present at the meeting, in the order of its list."""
    return list(session.exec(
        select(Person).join(Attendance, Attendance.person_id == Person.id)
        .where(Attendance.meeting_id == meeting.id, Attendance.retired_at.is_(None),
               Attendance.present.is_(True))
        .order_by(Attendance.position, Person.id)).all())
