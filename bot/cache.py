"""Public answers kept in memory, for as long as they would read the same.

An answer depends on the store and on time. The store side: each answer is kept under the
reference data's version (`store.version`), read before the store is, and serves only while
that version is current, whichever process changed the data. The time side: each command's
row in `bot.commands` says how long its answer holds with the store unchanged (`cache`, read by
`validity`); commands without one are never kept. Answers to people the store does not know
(their timezone comes from Slack and is remembered for a while only) are never kept either.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot import commands
from bot.answers import AgendaAnswer, local_date
from bot.router import Request
from store.meetings import HORIZON, over_at

KEPT = tuple(c.name for c in commands.COMMANDS if c.cache)


@dataclass(frozen=True)
class Validity:
    """From `since` on; until `until` (excluded) if set; while it is `day` in `timezone` if set."""

    since: dt.datetime
    until: dt.datetime | None = None
    day: dt.date | None = None
    timezone: str = ""

    def covers(self, now: dt.datetime) -> bool:
        if now < self.since or (self.until is not None and now >= self.until):
            return False
        return self.day is None or local_date(now, self.timezone) == self.day


def validity(request: Request, answer, *, now: dt.datetime, timezone: str) -> Validity | None:
    """How long `answer`, given at `now`, holds while the store does not change; None: it is
    not to be kept."""
    match commands.get(request.command).cache:
        case "always":
            return Validity(since=now)
        case "day":  # as of the asker's date: days left, windows, current roles
            return Validity(since=now, day=local_date(now, timezone), timezone=timezone)
        case "meeting" if isinstance(answer, AgendaAnswer):
            meeting = answer.meeting
            if meeting is None:
                return Validity(since=now)  # none to come, ever
            if request.args.get("number") is not None:  # upcoming until it is over, then held
                over = over_at(meeting)
                return Validity(since=now, until=over if over > now else None)
            # The next meeting stays the next one (those before it are over for good) until it
            # is over, or falls out of `upcoming_meetings`' window.
            return Validity(since=now, until=min(over_at(meeting),
                                                 meeting.starts_at + HORIZON))
    return None


@dataclass(frozen=True)
class Ticket:
    """Where a fresh answer is to be kept: the asker and request, and the data version read
    before the store was."""

    key: tuple
    version: int


@dataclass(frozen=True)
class _Entry:
    version: int
    validity: Validity
    answer: object


class AnswerCache:
    """Kept answers by (Slack user, request); the least recently used go past `size`."""

    def __init__(self, *, size: int = 1024):
        self.size = size
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._version: int | None = None
        self._lock = threading.Lock()

    def find(self, request: Request, *, user_id: str, now: dt.datetime,
             version: Callable[[], int]):
        """(ticket, answer): the answer kept for this asker and request, or None; the ticket
        (None: not a kind that is kept) goes to `keep` with a fresh answer. `version` reads
        the data version, before the store is read for a fresh answer."""
        if request.command not in KEPT or not user_id:
            return None, None
        key = (user_id, request.command, tuple(sorted(request.args.items())))
        ticket = Ticket(key, version())
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != ticket.version or not entry.validity.covers(now):
                return ticket, None
            self._entries.move_to_end(key)
            return ticket, entry.answer

    def keep(self, ticket: Ticket | None, answer, *, request: Request, asker,
             now: dt.datetime) -> None:
        if ticket is None or asker is None or asker.person is None:
            return
        valid = validity(request, answer, now=now, timezone=asker.timezone)
        if valid is None:
            return
        with self._lock:
            if ticket.version != self._version:  # the data moved: nothing older serves again
                self._entries.clear()
                self._version = ticket.version
            self._entries[ticket.key] = _Entry(ticket.version, valid, answer)
            self._entries.move_to_end(ticket.key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
