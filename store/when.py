"""Dates in words, as precise as they are known (imports nothing of ours: every layer uses it).

A meeting known only by its month is "December 2017 (date to be confirmed)" everywhere, never
the 1st; one known by its day is that day, in its own timezone (a date has no time to move
into the reader's timezone); only a timed meeting is shown at the reader's time.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

TO_BE_CONFIRMED = "date to be confirmed"


def imprecise_when(meeting) -> str | None:
    """The words for a meeting known by its month or day; None for a timed one."""
    if meeting.precision not in ("month", "day"):
        return None
    start = meeting.starts_at.astimezone(ZoneInfo(meeting.timezone))
    if meeting.precision == "month":
        return f"{start:%B %Y} ({TO_BE_CONFIRMED})"
    return f"{start:%A %d %B %Y}"
