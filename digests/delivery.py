"""Delivering a period's digest exactly once.

A Digest row per period and a DigestDelivery row per recipient are created in one transaction
before anything is sent. Senders then claim pending deliveries (on PostgreSQL with
FOR UPDATE SKIP LOCKED, so several workers share the work without doubling), and each delivery
moves claimed -> sending (committed) -> sent (committed, with the server's reply). A sender
killed mid-send leaves at most its one 'sending' row: that one is marked 'ambiguous' later and
reported, never sent again by itself; its other claimed rows go back to 'pending'.

The sender does not sit idle while the server works: a message's 'sending' mark (and, in the
same commit, the previous message's 'sent' mark) is committed while the server answers its
MAIL FROM, and the next message is composed while the server takes this one's DATA. Neither
changes the order the promise rests on: 'sending' is committed before any of the message is
handed over, and the next 'sending' only after this message's reply.

A message is 'ambiguous' when the server got all of it and its final reply never came (the
line dropped, the reply came after the timeout, a TLS error): the server may have kept and
delivered it, so nothing sends it again by itself; `digests.operator.resend` is the
operator's explicit way.
A 4xx reply leaves the delivery pending for the next run (the server said no, it kept
nothing); a 5xx fails it. Each of these records its reason and when it was seen.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from digests.compose import compose, render
from digests.content import Shared
from digests.ledger import Ledger
from digests.period import Period
from digests.personal import RenderCache
from digests.transport import AmbiguousError, PermanentError, TransientError, Unreachable
from store.deliveries import ambiguous_emails, people_of_deliveries
from store.models import Digest, DigestDelivery, Person
from store.people import subscribed_ids

log = logging.getLogger("coalition.digest")

CLAIM_BATCH = 50
SENDER = f"{socket.gethostname()}:{os.getpid()}"  # who claimed a delivery, for the record
GIVE_UP_AFTER = 3  # deferred deliveries in a row: the server is down, stop this run


DONE = ("sent", "skipped")  # a period whose deliveries are all in these is done


@dataclass
class SendReport:
    period: str
    counts: Counter = field(default_factory=Counter)
    this_run: Counter = field(default_factory=Counter)
    ambiguous: list[str] = field(default_factory=list)
    server_down: str = ""  # why the run stopped early, when the mail server was unreachable

    @property
    def done(self) -> bool:
        """Every delivery of the period is sent (or skipped), or there was none."""
        return all(status in DONE for status, n in self.counts.items() if n)

    def summary(self) -> str:
        run = ", ".join(f"{n} {k}" for k, n in sorted(self.this_run.items())) or "nothing to do"
        total = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items()))
        text = f"{self.period}: this run {run}; in all {total or 'no recipients'}"
        if self.ambiguous:
            text += "; ambiguous (check the mail log before resending): " + ", ".join(
                self.ambiguous)
        return text


def wall() -> dt.datetime:
    """Real time, for claims and sending times; `now` (maybe a demo clock) is for content."""
    return dt.datetime.now(dt.UTC)


def _insert(session: Session, model, rows: list[dict]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: concurrent preparers never fail or double."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # one statement, many parameter sets: a 10,000-row VALUES list takes seconds to build
    session.execute(dialect.insert(model).on_conflict_do_nothing(), rows)


def prepare(*, session: Session, period: Period, now: dt.datetime) -> Digest:
    """The period's Digest and a pending delivery per subscribed person; the caller commits."""
    _insert(session, Digest, [{"period": period.key, "starts_at": period.starts_at,
                               "ends_at": period.ends_at, "created_at": now}])
    digest = session.exec(select(Digest).where(Digest.period == period.key)).one()
    _insert(session, DigestDelivery, [{"digest_id": digest.id, "person_id": pid,
                                       "status": "pending"}
                                      for pid in not_prepared(session, digest.id)])
    return digest


def not_prepared(session: Session, digest_id: int | None) -> list[int]:
    """Subscribed people without a delivery of the digest yet."""
    have = None if digest_id is None else select(DigestDelivery.person_id).where(
        DigestDelivery.digest_id == digest_id)
    return subscribed_ids(session=session, excluding=have)


def news_since(*, session: Session, period: Period, backlog_days: int) -> dt.datetime:
    """Where the period's news and member updates start: when the previous digest was
    prepared (not after this period starts); for the first digest of a store, `backlog_days`
    before the period (what a feed's first poll counts as news, not backlog)."""
    previous = session.exec(select(func.max(Digest.created_at)).where(
        Digest.starts_at < period.starts_at)).one()
    if previous is None:
        return period.starts_at - dt.timedelta(days=backlog_days)
    return min(previous, period.starts_at)


def load_shared(*, session: Session, config, period: Period, now: dt.datetime) -> Shared:
    """What every reader's digest of the period draws on, as the store stands at `now`."""
    return Shared.load(session, now=now, coalition=config.coalition.name,
                       since=news_since(session=session, period=period,
                                        backlog_days=config.feeds.backlog_days),
                       deadline_weeks=config.digest.deadline_weeks, week=period.week)


def recover(*, session: Session, digest_id: int, now: dt.datetime,
            claim_timeout: dt.timedelta) -> None:
    """Deliveries a dead sender left: never-attempted claims go back to pending; one that was
    being sent becomes 'ambiguous' (it may or may not have reached the server)."""
    stale = DigestDelivery.claimed_at < now - claim_timeout
    session.execute(update(DigestDelivery).where(
        DigestDelivery.digest_id == digest_id, DigestDelivery.status == "claimed", stale,
    ).values(status="pending", claimed_by=""))
    session.execute(update(DigestDelivery).where(
        DigestDelivery.digest_id == digest_id, DigestDelivery.status == "sending", stale,
    ).values(status="ambiguous", error_at=now,
             error="the sender stopped while sending this message"))


def claim(*, engine: Engine, digest_id: int, now: dt.datetime, limit: int = CLAIM_BATCH,
          exclude: set[int] | None = None) -> list[int]:
    """Claim up to `limit` pending deliveries for this sender, atomically."""
    return _claim(engine=engine, digest_id=digest_id, now=now, limit=limit,
                  exclude=exclude)[1]


def _claim(*, engine: Engine, digest_id: int, now: dt.datetime, limit: int = CLAIM_BATCH,
           exclude: set[int] | None = None) -> tuple[str, list[int]]:
    """(the claim's token, the delivery ids claimed with it)."""
    token = f"{SENDER}:{uuid.uuid4().hex[:12]}"
    claiming, claimed = _claim_statements(engine.dialect.name == "postgresql", bool(exclude))
    with engine.begin() as conn:
        conn.execute(claiming, {"digest": digest_id, "limit": limit, "token": token,
                                "now": now, "exclude": sorted(exclude or ())})
        return token, list(conn.scalars(claimed, {"token": token}))


class ClaimLost(Exception):
    """This sender's claim on a delivery lapsed (it took longer than `claim_timeout_seconds`)
    and another sender took the delivery back: it is theirs to send now."""


@functools.lru_cache(maxsize=8)
def _claim_statements(skip_locked: bool, excluding: bool):
    """Built once: a run claims every CLAIM_BATCH messages, and building these cost more
    than running them."""
    table = DigestDelivery.__table__
    pick = (select(table.c.id)
            .where(table.c.digest_id == bindparam("digest"), table.c.status == "pending")
            .order_by(table.c.id).limit(bindparam("limit")))
    if excluding:
        pick = pick.where(table.c.id.not_in(bindparam("exclude", expanding=True)))
    if skip_locked:
        pick = pick.with_for_update(skip_locked=True)
    claiming = (update(table).where(table.c.id.in_(pick.scalar_subquery()))
                .values(status="claimed", claimed_by=bindparam("token"),
                        claimed_at=bindparam("now"), attempts=table.c.attempts + 1))
    claimed = select(table.c.id).where(table.c.claimed_by == bindparam("token"),
                                       table.c.status == "claimed")
    return claiming, claimed


def _send_with_retries(transport, message, *, tries: int, backoff: float, prepared=None,
                       before_data: Callable[[], None] | None = None,
                       while_waiting: Callable[[], None] | None = None) -> str:
    for attempt in range(tries):
        try:
            return transport.send(message, prepared=prepared, before_data=before_data,
                                  while_waiting=while_waiting)
        except TransientError:
            if attempt == tries - 1:
                raise
            time.sleep(backoff * 2 ** attempt)
    raise AssertionError("unreachable")


def send_period(*, engine: Engine, config, period: Period, now: dt.datetime, transport,
                stop: threading.Event | None = None,
                progress: Callable[[str], None] | None = None,
                tries: int = 4, backoff: float = 0.5) -> SendReport:
    """Prepare the period, then send every pending delivery of it; safe to re-run any time."""
    claim_timeout = dt.timedelta(seconds=config.digest.claim_timeout_seconds)
    with Session(engine, expire_on_commit=False) as session:
        digest = prepare(session=session, period=period, now=now)
        recover(session=session, digest_id=digest.id, now=wall(), claim_timeout=claim_timeout)
        session.commit()
        digest_id = digest.id
        waiting = session.exec(select(DigestDelivery.id).where(
            DigestDelivery.digest_id == digest_id,
            DigestDelivery.status == "pending").limit(1)).first()
        if waiting is None:
            return _summarise(engine, digest_id, SendReport(period.key))
        shared = load_shared(session=session, config=config, period=period, now=now)
    report = SendReport(period.key)
    ledger = Ledger(engine)
    renders = RenderCache(render)
    deferred: set[int] = set()
    in_a_row = 0
    try:
        while True:
            token, ids = _claim(engine=engine, digest_id=digest_id, now=wall(),
                                exclude=deferred)
            people = _people(engine, ids)
            upcoming = _Upcoming(config, shared, period, now, ids, people, renders, transport)
            for index, delivery_id in enumerate(ids):
                if (stop and stop.is_set()) or in_a_row >= GIVE_UP_AFTER:
                    ledger.flush()
                    _release(engine, ids[index:])
                    ids = []
                    break
                try:
                    outcome = deliver(ledger, delivery_id, token, people[delivery_id],
                                       upcoming.next(), transport, tries=tries,
                                       backoff=backoff, while_waiting=upcoming.prepare)
                except Exception as e:  # one recipient's problem never stops the others
                    log.exception("digest delivery %s failed", delivery_id)
                    ledger.write(delivery_id, status="failed", error_at=wall(),
                                 error=f"internal error: {e}"[:1000])
                    outcome = "failed"
                if outcome == "unreachable":
                    outcome = "deferred"
                    in_a_row = GIVE_UP_AFTER  # no connection at all: the rest would wait too
                    report.server_down = "the mail server cannot be reached"
                elif outcome == "deferred":
                    in_a_row += 1
                else:
                    in_a_row = 0
                if outcome == "deferred":
                    deferred.add(delivery_id)
                report.this_run[outcome] += 1
                if progress:
                    progress(outcome)
            if not ids:
                break
    finally:
        try:
            ledger.flush()
        finally:
            ledger.close()
    if in_a_row >= GIVE_UP_AFTER:
        report.server_down = report.server_down or \
            f"{in_a_row} deliveries in a row were deferred by the mail server"
        log.error("digest %s: %s; the rest stay pending for the next run", period.key,
                  report.server_down)
    return _summarise(engine, digest_id, report)


def _people(engine: Engine, ids: list[int]) -> dict[int, Person]:
    if not ids:
        return {}
    with Session(engine) as session:
        return people_of_deliveries(session=session, ids=ids)


def _release(engine: Engine, ids: list[int]) -> None:
    """Hand claimed but unattempted deliveries back: they are safe for anyone to send."""
    if ids:
        with engine.begin() as conn:
            conn.execute(update(DigestDelivery).where(col(DigestDelivery.id).in_(ids))
                         .values(status="pending", claimed_by=""))


class _Upcoming:
    """The batch's messages in order, each composed once and prepared for the transport
    (message, prepared): a message, None (nothing to tell) or the exception composing raised,
    which the sender records on that delivery alone. `prepare()` works out the next one early,
    while the server is busy with the current one (this writes nothing, so the
    at-most-one-'sending' rule is untouched)."""

    def __init__(self, config, shared, period, now, ids, people, renders, transport):
        def each():
            for delivery_id in ids:
                try:
                    message = compose(person=people[delivery_id], shared=shared, config=config,
                                      period=period, now=now, delivery_id=delivery_id,
                                      renders=renders)
                    yield message, None if message is None else transport.prepare(message)
                except Exception as e:
                    yield e, None

        self._each = each()
        self._ready: list = []

    def prepare(self) -> None:
        if not self._ready:
            self._ready.extend(itertools.islice(self._each, 1))

    def next(self) -> tuple:
        self.prepare()
        return self._ready.pop()


class _Unsubscribed(Exception):
    """The person unsubscribed after the period was prepared: the delivery is skipped."""


def deliver(ledger: Ledger, delivery_id, token, person, upcoming, transport, *, tries,
             backoff, while_waiting=None) -> str:
    composed, prepared = upcoming
    if isinstance(composed, Exception):
        raise composed
    if person.retired_at is not None or not person.digest_subscribed:
        ledger.write(delivery_id, status="skipped", error="unsubscribed before sending")
        return "skipped"
    if composed is None:
        ledger.write(delivery_id, status="skipped", error="nothing to report this week")
        return "skipped"
    marked: list[bool] = []

    def mark_sending() -> None:
        """Committed before the server gets any of the message; the server meanwhile answers
        MAIL FROM. Once: a retry of the same message is still the same 'sending'. Checks in
        the same statement that the claim stands and the person is still subscribed."""
        if not marked:
            copy = getattr(composed, "digest_copy", None)
            outcome = ledger.claim_sending(
                delivery_id, token, copy=copy, status="sending",
                message_id=composed["Message-ID"], copy_key=copy.key if copy else "")
            if outcome == "lost":
                raise ClaimLost(delivery_id)
            if outcome == "unsubscribed":
                raise _Unsubscribed(delivery_id)
            marked.append(True)

    try:
        reply = _send_with_retries(transport, composed, tries=tries, backoff=backoff,
                                   prepared=prepared, before_data=mark_sending,
                                   while_waiting=while_waiting)
    except ClaimLost:
        log.warning("digest delivery %s: claim lapsed, left to the sender that took it back",
                    delivery_id)
        return "lost"
    except _Unsubscribed:
        log.info("digest to %s skipped: unsubscribed before sending", person.email)
        return "skipped"
    except AmbiguousError as e:
        ledger.write(delivery_id, status="ambiguous", error_at=wall(), error=str(e)[:1000])
        log.error("digest to %s is ambiguous (not sent again by itself; check the mail "
                  "server's log, then `coalition digest resend` if it was not delivered): %s",
                  person.email, e)
        return "ambiguous"
    except PermanentError as e:
        ledger.write(delivery_id, status="failed", error_at=wall(), error=str(e)[:1000])
        log.warning("digest to %s refused: %s", person.email, e)
        return "failed"
    except TransientError as e:
        ledger.write(delivery_id, status="pending", claimed_by="", error_at=wall(),
                     error=str(e)[:1000])
        log.warning("digest to %s not sent yet, will retry: %s", person.email, e)
        return "unreachable" if isinstance(e, Unreachable) else "deferred"
    ledger.mark_sent(delivery_id, status="sent", sent_at=wall(), server_reply=reply[:500],
                     error="")
    return "sent"


def _summarise(engine: Engine, digest_id: int, report: SendReport) -> SendReport:
    with Session(engine) as session:
        for status, n in session.exec(select(DigestDelivery.status, func.count()).where(
                DigestDelivery.digest_id == digest_id).group_by(DigestDelivery.status)):
            report.counts[status] = n
        report.ambiguous = ambiguous_emails(session=session, digest_id=digest_id)
    return report
