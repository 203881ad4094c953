"""Due dates as people write them: "2017-11-30", "November 2017", "Sept-Dec 16",
"January- February 17", "October 16- August 17", "November/December 2017", "Ongoing".

A period is kept as its text and as the first and last day it covers; "Ongoing" has neither.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass

MONTHS = {
    name: number
    for number in range(1, 13)
    for name in {
        calendar.month_name[number].lower(),
        calendar.month_abbr[number].lower(),
        calendar.month_name[number][:4].lower(),
    }
}
_OPEN_ENDED = {"ongoing", "continuous", "tbd", "to be decided", "to be confirmed"}
_DASHES = re.compile(r"\s*[-–—/]\s*|\s+to\s+")
YEARS = (1900, 2200)  # the years a coalition's dates can be in (the rest are typing slips)
_MONTH_YEAR = re.compile(r"^(?P<month>[a-z]+)\.?(?:\s*(?P<year>\d{2}|\d{4}))?$")


@dataclass(frozen=True)
class Period:
    text: str
    starts_on: dt.date | None
    ends_on: dt.date | None


def _year(token: str) -> int:
    year = int(token)
    year = year + 2000 if year < 100 else year
    if not YEARS[0] <= year <= YEARS[1]:
        raise ValueError(f"{year} is out of range (years {YEARS[0]}-{YEARS[1]})")
    return year


def _day(day: dt.date) -> dt.date:
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise ValueError(f"{day.isoformat()} is out of range (years {YEARS[0]}-{YEARS[1]})")
    return day


def _month(token: str, text: str) -> tuple[int, int | None]:
    m = _MONTH_YEAR.match(token.strip().lower())
    if not m or m.group("month") not in MONTHS:
        raise ValueError(f"cannot read {text!r} as a date or period (e.g. 2017-11-30, "
                         "'November 2017', 'Sept-Dec 16', 'Ongoing')")
    year = _year(m.group("year")) if m.group("year") else None
    return MONTHS[m.group("month")], year


_TAIL = re.compile(r"^(?P<head>.*\S)\s+(?:by|in|before)\s+(?P<when>[\w/ –—-]+?)[.!]?$", re.S | re.I)


def trailing_period(text: str) -> tuple[str, Period | None]:
    """A sentence that ends with when: "... by the wider IMG in November 2017" is
    ("... by the wider IMG", November 2017); (text, None) when it does not end so."""
    m = _TAIL.match(text.strip())
    if m:
        try:
            period = parse_period(m.group("when"))
        except ValueError:
            period = None
        if period is not None and period.ends_on is not None:
            return m.group("head"), period
    return text, None


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_period(value: str | dt.date) -> Period:
    """Read a due date or a period; raise ValueError naming the text when it cannot be read."""
    if isinstance(value, dt.date):
        _day(value)
        return Period(value.isoformat(), value, value)
    return _parse_text(value)


@functools.lru_cache(maxsize=4096)  # a data file writes the same periods over and over
def _parse_text(value: str) -> Period:
    text = " ".join(value.split())
    if not text:
        raise ValueError("the due date is empty (e.g. 2017-11-30, 'November 2017', 'Ongoing')")
    if text.lower() in _OPEN_ENDED:
        return Period(text, None, None)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return Period(text, _day(day), day)
    parts = [p for p in _DASHES.split(text) if p]
    if len(parts) not in (1, 2):
        raise ValueError(f"cannot read {text!r} as a date or period")
    months = [_month(p, text) for p in parts]
    end_month, end_year = months[-1]
    if end_year is None:
        raise ValueError(f"{text!r} needs a year (e.g. 'November 2017' or 'Nov 17')")
    start_month, start_year = months[0]
    if start_year is None:
        start_year = end_year if start_month <= end_month else end_year - 1
    start = dt.date(start_year, start_month, 1)
    end = _last_day(end_year, end_month)
    if end < start:
        raise ValueError(f"{text!r} ends before it starts")
    return Period(text, start, end)
