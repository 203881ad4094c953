"""Time windows as people say them: "this week", "next month", "in November 2017", "by Friday",
"before 15 November", "in the next 10 days", "today".

The router finds them in a question (`find`); a `Window` keeps what was said, not dates, so a
kept answer is asked again the same way on another day. `Window.span(today)` gives its first
and last day in the asker's calendar (weeks run Monday to Sunday). A pure module: no store.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from store.periods import MONTHS

WEEKDAYS = {name: number for number in range(7) for name in {
    calendar.day_name[number].lower(), calendar.day_abbr[number].lower()}} | {
    "tues": 1, "thur": 3, "thurs": 3}


@dataclass(frozen=True)
class Window:
    """`unit`: day, week, month, year (`offset` from today's: 0 this, 1 next, -1 last; or a
    named `month` and `year`), days (the next `offset` days), weekday (`day` 0 = Monday, in
    `offset` weeks), date (`year`, `month`, `day`; year 0: the next one), by or before
    (up to the end, or the start, of `inner`)."""

    unit: str
    offset: int = 0
    year: int = 0
    month: int = 0
    day: int = 0
    inner: Window | None = None

    def span(self, today: dt.date) -> tuple[dt.date | None, dt.date]:
        """The first (None: no limit) and last day of the window, both included."""
        if self.unit in ("by", "before"):
            start, end = self.inner.span(today)
            return None, end if self.unit == "by" else (start or end) - dt.timedelta(days=1)
        if self.unit == "day":
            day = today + dt.timedelta(days=self.offset)
            return day, day
        if self.unit == "days":
            return today, today + dt.timedelta(days=self.offset)
        if self.unit == "week":
            monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=self.offset)
            return monday, monday + dt.timedelta(days=6)
        if self.unit == "weekday":
            ahead = (self.day - today.weekday()) % 7
            if self.offset:  # "next Friday": the Friday of next week
                ahead = self.day - today.weekday() + 7 * self.offset
            day = today + dt.timedelta(days=ahead)
            return day, day
        if self.unit == "month":
            year, month = self._month(today)
            return dt.date(year, month, 1), _last_day(year, month)
        if self.unit == "year":
            year = self.year or today.year + self.offset
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        day = self._date(today)
        return day, day

    def _date(self, today: dt.date) -> dt.date:
        if self.year:
            return dt.date(self.year, self.month, self.day)
        for year in range(today.year, today.year + 5):  # the next one (29 February too)
            try:
                day = dt.date(year, self.month, self.day)
            except ValueError:
                if self.month == 2 and self.day == 29:
                    continue
                raise
            if day >= today:
                return day
        raise ValueError(f"no date {self.day}/{self.month}")

    def _month(self, today: dt.date) -> tuple[int, int]:
        if not self.month:
            index = today.year * 12 + today.month - 1 + self.offset
            return index // 12, index % 12 + 1
        if self.year:
            return self.year, self.month
        return (today.year if self.month >= today.month else today.year + 1), self.month


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _alternation(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_M = rf"(?P<mon>{_alternation(MONTHS)})\.?"
_D = rf"(?P<wd>{_alternation(WEEKDAYS)})"
_Y = r"(?P<y>(?:19|20)\d{2})"
_ORD = r"(?:st|nd|rd|th)?"
_REL = {"this": 0, "coming": 0, "next": 1, "last": -1}


def _relative(m) -> Window:
    return Window(m["unit"], offset=_REL[m["rel"] or "this"])


def _iso(m) -> Window:
    return Window("date", year=int(m["y"]), month=int(m["m"]), day=int(m["d"]))


def _date(m) -> Window:
    return Window("date", year=int(m["y"] or 0), month=MONTHS[m["mon"]], day=int(m["d"]))


def _weekday(m) -> Window:
    return Window("weekday", day=WEEKDAYS[m["wd"]], offset=1 if m["next"] else 0)


# A day or a period; those marked False are read only after a word such as "in", "by", "on".
_POINTS: list[tuple[str, Callable, bool]] = [
    (r"(?:the )?end of (?:(?P<rel>this|next) |the )?(?P<unit>week|month|year)", _relative, True),
    (r"(?P<rel>this|next|last|coming) (?P<unit>week|month|year)", _relative, True),
    (r"today|tonight", lambda m: Window("day"), True),
    (r"tomorrow", lambda m: Window("day", offset=1), True),
    (r"yesterday", lambda m: Window("day", offset=-1), True),
    (r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})", _iso, True),
    (rf"(?P<d>\d{{1,2}}){_ORD}(?: of)? {_M}(?:,? {_Y})?", _date, True),
    (rf"{_M} (?P<d>\d{{1,2}}){_ORD}\b(?:,? {_Y})?", _date, True),
    (rf"{_M},? {_Y}", lambda m: Window("month", year=int(m["y"]), month=MONTHS[m["mon"]]),
     True),
    (_M, lambda m: Window("month", month=MONTHS[m["mon"]]), False),
    (rf"(?P<next>next |this |coming )?{_D}", _weekday, False),
    (_Y, lambda m: Window("year", year=int(m["y"])), False),
]
_BEFORE = r"\b(?P<how>by|before|until|till|no later than) (?:the )?"
_IN = r"\b(?:(?:in|during|for|on|due|from) (?:the )?)"
_SOON = re.compile(r"\b(?:in |within |over )?(?:the )?(?:next|coming) (?P<n>\d{1,3}) "
                   r"(?P<u>days?|weeks?)\b|\bwithin (?P<n2>\d{1,3}) (?P<u2>days?|weeks?)\b")
_PATTERNS = (
    [(re.compile(_BEFORE + rf"(?:{p})\b"), build, "before") for p, build, _ in _POINTS]
    + [(re.compile(_IN + ("?" if bare else "") + rf"\b(?:{p})\b"), build, "")
       for p, build, bare in _POINTS])


def find(text: str) -> tuple[Window | None, str]:
    """The window named in `text` (lower case), and the text without it."""
    if m := _SOON.search(text):
        n, unit = int(m["n"] or m["n2"]), m["u"] or m["u2"]
        days = n * 7 if unit.startswith("week") else n
        return Window("days", offset=days), _cut(text, m)
    for pattern, build, how in _PATTERNS:
        if m := pattern.search(text):
            try:
                window = build(m)
                window.span(dt.date(2000, 1, 1))  # a date that does not exist: not a window
            except ValueError:
                continue
            if how:
                window = Window("by" if m["how"] != "before" else "before", inner=window)
            return window, _cut(text, m)
    return None, text


def _cut(text: str, m: re.Match) -> str:
    return " ".join(f"{text[:m.start()]} {text[m.end():]}".split())
