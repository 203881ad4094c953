"""What a poll's outcome makes of a feed: its status, and when it is polled next. Pure rules,
tested on their own (`tests/worker/test_backoff.py`); `store.feeds` writes what they decide.

Statuses: `new` (never polled), `ok`, `warning` (read, but the parser had to work around a
problem in the document), `error` (this poll failed), `failing` (`[feeds]
failure_alert_after` polls in a row failed: the secretariat's digest lists it), `retired`
(removed, gone for good with a 410, or a duplicate of another followed feed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAX_BACKOFF = dt.timedelta(days=1)
MAX_RETRY_AFTER = dt.timedelta(days=7)  # a Retry-After further off is taken as a week
# An unchanged document (304) keeps the status its last reading gave it; any other status
# (new, error, failing) is `ok` again, since the feed answered.
KEPT_ON_UNCHANGED = ("warning",)


@dataclass(frozen=True)
class AfterFailure:
    error_count: int  # failures in a row, this one included
    status: str  # error | failing | retired
    next_poll_at: dt.datetime | None  # None: retired, never polled again


def after_failure(*, error_count: int, interval_minutes: int, now: dt.datetime,
                  alert_after: int, gone: bool = False,
                  retry_after: float | None = None) -> AfterFailure:
    """A failed poll of a feed that had failed `error_count` times in a row before: retried
    after its interval times 2, 4, 8... (capped at MAX_BACKOFF), or later if the server asked
    (`Retry-After`, capped at MAX_RETRY_AFTER); `failing` from the `alert_after`-th failure in
    a row; retired if the feed is gone (410)."""
    count = error_count + 1
    if gone:
        return AfterFailure(count, "retired", None)
    backoff = min(dt.timedelta(minutes=interval_minutes) * 2 ** min(count, 10), MAX_BACKOFF)
    asked = min(dt.timedelta(seconds=max(0.0, retry_after or 0.0)), MAX_RETRY_AFTER)
    return AfterFailure(count, "failing" if count >= alert_after else "error",
                        now + max(backoff, asked))


def after_read(*, interval_minutes: int, now: dt.datetime, warning: str) -> tuple[str, str,
                                                                                  dt.datetime]:
    """A feed read fine: (status, note, next poll): `warning` with the parser's warning as its
    note, else `ok`; polled again after its interval."""
    next_poll = now + dt.timedelta(minutes=interval_minutes)
    if warning:
        return "warning", f"parsed with a warning: {warning}", next_poll
    return "ok", "", next_poll
