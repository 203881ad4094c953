"""The product's clock: real time, or a demo clock set by `[clock] today` or `--now`.

Logic never reads the time itself; it is handed `now` from here.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


def parse_instant(text: str, timezone: str) -> dt.datetime:
    """An ISO date (start of that day in `timezone`) or datetime (naive means `timezone`)."""
    text = text.strip()
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as e:
        raise ValueError(
            f"expected an ISO date or date-time such as 2017-10-06, got {text!r}"
        ) from e
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(dt.UTC)


@dataclass
class Clock:
    """`today` shifts the calendar so that the clock starts on that date and then runs;
    `speed` makes it run faster (tests and demos run a week in minutes)."""

    timezone: str = "Europe/Zurich"
    today: dt.date | None = None
    speed: float = 1.0
    fixed: dt.datetime | None = None
    _origin_real: float = field(default_factory=time.time)
    _origin: dt.datetime | None = None

    def __post_init__(self) -> None:
        real = dt.datetime.fromtimestamp(self._origin_real, dt.UTC)
        if self.today is not None:
            local = real.astimezone(ZoneInfo(self.timezone))
            shifted = dt.datetime.combine(self.today, local.timetz())
            self._origin = shifted.astimezone(dt.UTC)
        else:
            self._origin = real

    def now(self) -> dt.datetime:
        if self.fixed is not None:
            return self.fixed
        elapsed = (time.time() - self._origin_real) * self.speed
        return self._origin + dt.timedelta(seconds=elapsed)
