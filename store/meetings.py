"""Meetings: when one is over, its status, which come next, finding one by what people type.
The one home of these questions, for the answers, the App Home, reminders, the digest, the
calendar and the minutes.

A meeting known only by its month is upcoming until that month is over; one known by its day
until the day is over; a timed one until it ends (two hours after it starts when no end is
given). After that it is held, unless the secretariat marked it cancelled or postponed.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.current import current
from store.models import AgendaItem, Attendance, Meeting, Person

HORIZON = dt.timedelta(days=31)  # the longest a meeting can have started and not be over
DEFAULT_LENGTH = dt.timedelta(hours=2)  # a timed meeting given no end
MAIN_SERIES = "IMG"  # the series whose numbers people use ("agenda 5", "minutes 5")
MARKS = ("planned", "cancelled", "postponed")  # what the secretariat may set
OFF = ("cancelled", "postponed")  # marks that take a meeting off the calendar of what comes


def ends_at(meeting) -> dt.datetime:
    """When a timed meeting ends: its end, else two hours after it starts."""
    return meeting.ends_at or meeting.starts_at + DEFAULT_LENGTH


def over_at(meeting) -> dt.datetime:
    """The instant the meeting is over (a `Meeting` or anything with its times and precision):
    the end of its month, of its day (in its timezone), or its end."""
    if meeting.precision in ("month", "day"):
        zone = ZoneInfo(meeting.timezone)
        start = meeting.starts_at.astimezone(zone).date()
        if meeting.precision == "month":
            after = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        else:
            after = start + dt.timedelta(days=1)
        return dt.datetime.combine(after, dt.time(0, 0), zone).astimezone(dt.UTC)
    return ends_at(meeting)


def is_over(meeting, now: dt.datetime) -> bool:
    return over_at(meeting) <= now


def meeting_status(meeting, now: dt.datetime) -> str:
    """upcoming | held | cancelled | postponed: time decides, unless the secretariat (or the
    data file) marked the meeting cancelled or postponed."""
    if meeting.status in OFF:
        return meeting.status
    return "held" if is_over(meeting, now) else "upcoming"


def _in_series(query, series: str | None):
    return query if series is None else query.where(
        func.lower(Meeting.series) == series.lower())


def upcoming_meetings(*, session: Session, now: dt.datetime, limit: int,
                      series: str | None = None) -> list[Meeting]:
    """The next `limit` meetings not over at `now` (nor cancelled or postponed), soonest
    first, read in small batches."""
    query = _in_series(select(Meeting).where(
        current(Meeting), col(Meeting.status).not_in(OFF), Meeting.starts_at >= now - HORIZON,
    ).order_by(Meeting.starts_at, Meeting.key), series)
    found: list[Meeting] = []
    offset, batch = 0, max(limit, 8)
    while len(found) < limit:
        rows = session.exec(query.offset(offset).limit(batch)).all()
        found += [m for m in rows if not is_over(m, now)]
        if len(rows) < batch:
            break
        offset, batch = offset + batch, batch * 4
    return found[:limit]


def next_meeting(*, session: Session, now: dt.datetime,
                 series: str | None = MAIN_SERIES) -> Meeting | None:
    """The coalition's next meeting: the next of its main series (the one whose agenda the
    members work to), else the next of any series. Every surface names this one."""
    found = upcoming_meetings(session=session, now=now, limit=1, series=series)
    if not found and series is not None:
        found = upcoming_meetings(session=session, now=now, limit=1)
    return found[0] if found else None


def recent_meetings(*, session: Session, now: dt.datetime, limit: int) -> list[Meeting]:
    """The last `limit` meetings held by `now`, latest first (cancelled ones too: their date
    has passed)."""
    query = select(Meeting).where(current(Meeting), Meeting.starts_at < now,
                                  ).order_by(col(Meeting.starts_at).desc(), Meeting.key)
    found: list[Meeting] = []
    offset, batch = 0, limit + 2
    while len(found) < limit:
        rows = session.exec(query.offset(offset).limit(batch)).all()
        found += [m for m in rows if is_over(m, now) and m.status != "postponed"]
        if len(rows) < batch:
            break
        offset, batch = offset + batch, batch * 4
    return found[:limit]


def find_meeting(*, session: Session, ref: str, series: str = MAIN_SERIES) -> Meeting | None:
    """A current meeting by its number in the series (`5`) or by its key (`img-5`, any case)."""
    ref = ref.strip()
    query = select(Meeting).where(current(Meeting))
    if ref.isdigit():
        if len(ref) > 9:
            return None
        return session.exec(_in_series(query.where(Meeting.number == int(ref)), series)
                            .order_by(Meeting.starts_at)).first()
    return session.exec(query.where(func.lower(Meeting.key) == ref.lower())).first()


def key_taken(*, session: Session, key: str) -> bool:
    """Whether a meeting (current or retired) already has this key."""
    return session.exec(select(Meeting.id).where(
        func.lower(Meeting.key) == key.lower())).first() is not None


def agenda_items(*, session: Session, meeting: Meeting) -> list[AgendaItem]:
    return list(session.exec(select(AgendaItem).where(
        AgendaItem.meeting_id == meeting.id, current(AgendaItem)).order_by(AgendaItem.number)))


def agenda_item(*, session: Session, meeting: Meeting, number: int) -> AgendaItem | None:
    return session.exec(select(AgendaItem).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.number == number,
        current(AgendaItem))).first()


def participants(*, session: Session, meeting: Meeting,
                 present_only: bool = True) -> list[Person]:
    """The meeting's participants in the order of its list."""
    query = select(Person).join(Attendance, Attendance.person_id == Person.id).where(
        Attendance.meeting_id == meeting.id, current(Attendance))
    if present_only:
        query = query.where(Attendance.present.is_(True))
    return list(session.exec(query.order_by(Attendance.position, Person.id)))


def participant_slack_ids(*, session: Session, meeting: Meeting) -> list[str]:
    """The Slack user ids of the meeting's current participants known in Slack."""
    return list(session.exec(select(Person.slack_user_id).join(
        Attendance, Attendance.person_id == Person.id).where(
        Attendance.meeting_id == meeting.id, current(Attendance), current(Person),
        Person.slack_user_id.is_not(None)).order_by(Person.slack_user_id)))


def meetings_starting_between(*, session: Session, start: dt.datetime, end: dt.datetime,
                              ) -> list[Meeting]:
    """Meetings known to the day or the minute starting in [start, end], not called off."""
    return list(session.exec(select(Meeting).where(
        current(Meeting), col(Meeting.status).not_in(OFF), Meeting.precision != "month",
        Meeting.starts_at >= start, Meeting.starts_at <= end,
    ).order_by(Meeting.starts_at, Meeting.key)))


def meetings_ended_between(*, session: Session, start: dt.datetime, end: dt.datetime,
                           ) -> list[Meeting]:
    """Timed meetings, not called off, that ended in (start, end]."""
    rows = session.exec(select(Meeting).where(
        current(Meeting), col(Meeting.status).not_in(OFF), Meeting.precision == "minute",
        Meeting.starts_at <= end, Meeting.starts_at >= start - HORIZON,
    ).order_by(Meeting.starts_at, Meeting.key)).all()
    return [m for m in rows if start < ends_at(m) <= end]


def calendar_meetings(*, session: Session, work_stream_id: int | None = None) -> list[Meeting]:
    """Every current meeting, or those with an agenda item of the work stream."""
    query = select(Meeting).where(current(Meeting))
    if work_stream_id is not None:
        ids = select(AgendaItem.meeting_id).where(AgendaItem.work_stream_id == work_stream_id,
                                                  current(AgendaItem))
        query = query.where(col(Meeting.id).in_(ids))
    return list(session.exec(query.order_by(Meeting.starts_at, Meeting.key)))


def meeting_for_notes(*, session: Session, now: dt.datetime, number: int | None = None,
                      series: str = MAIN_SERIES) -> Meeting | None:
    """The meeting a note is for: meeting `number` of the series; else the one that started
    in the last two days; else the next one of the series."""
    query = _in_series(select(Meeting).where(current(Meeting)), series)
    if number is not None:
        return session.exec(query.where(Meeting.number == number)).first()
    started = session.exec(query.where(Meeting.starts_at <= now)
                           .order_by(col(Meeting.starts_at).desc())).first()
    if started is not None and started.starts_at > now - dt.timedelta(days=2):
        return started
    return session.exec(query.where(Meeting.starts_at > now)
                        .order_by(Meeting.starts_at)).first()
