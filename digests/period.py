"""Digest periods: ISO weeks counted in the coalition's timezone ("2017-W41")."""

from __future__ import annotations

import datetime as dt
import re
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
