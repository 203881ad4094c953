"""Digest periods: ISO weeks counted in the coalition's timezone ("2017-W41")."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_KEY = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Period:
    key: str
    starts_at: dt.datetime  # Monday 00:00 local, as UTC
    ends_at: dt.datetime  # the next Monday 00:00 local, as UTC
    week: int


def _period(year: int, week: int, timezone: str) -> Period:
    zone = ZoneInfo(timezone)
    monday = dt.date.fromisocalendar(year, week, 1)
    start = dt.datetime.combine(monday, dt.time(0, 0), zone)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0, 0), zone)
    return Period(f"{year}-W{week:02d}", start.astimezone(dt.UTC), end.astimezone(dt.UTC), week)


def period_at(now: dt.datetime, timezone: str) -> Period:
    """The ISO week that contains `now` in the coalition's timezone."""
    year, week, _ = now.astimezone(ZoneInfo(timezone)).isocalendar()
    return _period(year, week, timezone)


def parse_period_key(key: str, timezone: str) -> Period:
    m = _KEY.match(key.strip())
    if not m:
        raise ValueError(f"expected a period such as 2017-W41, got {key!r}")
    try:
        return _period(int(m.group(1)), int(m.group(2)), timezone)
    except ValueError as e:
        raise ValueError(f"{key!r} is not an ISO week") from e


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def scheduled_at(period: Period, *, weekday: str, time: str, timezone: str) -> dt.datetime:
    """When the period's digest is due: its weekday and time in the coalition's timezone (so
    daylight-saving changes are followed), as UTC."""
    zone = ZoneInfo(timezone)
    hour, minute = map(int, time.split(":"))
    day = period.starts_at.astimezone(zone).date() + dt.timedelta(days=WEEKDAYS.index(weekday))
    return dt.datetime.combine(day, dt.time(hour, minute), zone).astimezone(dt.UTC)


@dataclass(frozen=True)
class Decision:
    """What the scheduler does now: send `period` (None: nothing), and why, for the log."""

    period: Period | None
    reason: str


def due_period(*, now: dt.datetime, started_at: dt.datetime, ever_sent: Callable[[], bool],
               timezone: str, weekday: str, time: str, catch_up: dt.timedelta) -> Decision:
    """The scheduler's rule: the current period's digest is sent from its scheduled time on,
    for `catch_up` after it (never an older period's). If the time passed before this process
    started (a downtime), the digest is sent on start only if the store has sent digests
    before (`ever_sent()`, asked only then): a new store's first digest goes at the next
    scheduled time, not at its first start."""
    period = period_at(now, timezone)
    due = scheduled_at(period, weekday=weekday, time=time, timezone=timezone)

    def local(at: dt.datetime) -> str:
        return f"{at.astimezone(ZoneInfo(timezone)):%a %d %b %Y %H:%M} ({timezone})"

    if now < due:
        return Decision(None, f"{period.key} is due {local(due)}")
    if now >= due + catch_up:
        return Decision(None, (
            f"{period.key} was due {local(due)}, more than {_hours(catch_up)} ago "
            f"([digest] catch_up_hours): the scheduler no longer sends it; "
            f"`coalition digest send --period {period.key}` does"))
    if due < started_at and not ever_sent():
        following = scheduled_at(period_at(period.ends_at, timezone), weekday=weekday,
                                 time=time, timezone=timezone)
        return Decision(None, (
            f"{period.key} was due {local(due)}, before this process started, and this store "
            f"has never sent a digest: the first goes {local(following)} "
            f"(or now with `coalition digest send`)"))
    if due < started_at:
        return Decision(period, f"catching up: {period.key} was due {local(due)}, before "
                                f"this process started")
    return Decision(period, f"{period.key} is due since {local(due)}")


def _hours(span: dt.timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} hour{'s' if hours != 1 else ''}"
