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
from digests.transport import PermanentError, TransientError
from store.deliveries import ambiguous_emails, people_of_deliveries
from store.models import Digest, DigestDelivery, Person
from store.people import subscribed_ids

log = logging.getLogger("coalition.digest")

CLAIM_BATCH = 50
SENDER = f"{socket.gethostname()}:{os.getpid()}"  # who claimed a delivery, for the record
GIVE_UP_AFTER = 3  # deferred deliveries in a row: the server is down, stop this run


@dataclass
class SendReport:
    period: str
    counts: Counter = field(default_factory=Counter)
    this_run: Counter = field(default_factory=Counter)
    ambiguous: list[str] = field(default_factory=list)

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
    have = select(DigestDelivery.person_id).where(DigestDelivery.digest_id == digest.id)
    people = subscribed_ids(session=session, excluding=have)
    _insert(session, DigestDelivery, [{"digest_id": digest.id, "person_id": pid,
                                       "status": "pending"} for pid in people])
    return digest


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
    ).values(status="ambiguous", error="the sender stopped while sending this message"))


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
                stop: threading.Event | None = None, dry_run: bool = False,
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
        if waiting is None or dry_run:
            return _summarise(engine, digest_id, SendReport(period.key))
        previous = session.exec(select(func.max(Digest.starts_at)).where(
            Digest.starts_at < period.starts_at)).one()
        shared = Shared.load(session, now=now, since=previous or period.starts_at
                             - dt.timedelta(days=7), coalition=config.coalition.name,
                             deadline_weeks=config.digest.deadline_weeks)
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
                    outcome = _deliver(ledger, delivery_id, token, people[delivery_id],
                                       upcoming.next(), transport, tries=tries,
                                       backoff=backoff, while_waiting=upcoming.prepare)
                except Exception as e:  # one recipient's problem never stops the others
                    log.exception("digest delivery %s failed", delivery_id)
                    ledger.write(delivery_id, status="failed",
                                 error=f"internal error: {e}"[:1000])
                    outcome = "failed"
                report.this_run[outcome] += 1
                if outcome == "deferred":
                    deferred.add(delivery_id)
                    in_a_row += 1
                else:
                    in_a_row = 0
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
        log.error("digest %s: %d deliveries in a row could not be sent; the mail server "
                  "seems unavailable, the rest stay pending for the next run", period.key,
                  in_a_row)
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


def _deliver(ledger: Ledger, delivery_id, token, person, upcoming, transport, *, tries,
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
        MAIL FROM. Once: a retry of the same message is still the same 'sending'."""
        if not marked:
            if not ledger.claim_sending(delivery_id, token, status="sending",
                                        message_id=composed["Message-ID"]):
                raise ClaimLost(delivery_id)
            marked.append(True)

    try:
        reply = _send_with_retries(transport, composed, tries=tries, backoff=backoff,
                                   prepared=prepared, before_data=mark_sending,
                                   while_waiting=while_waiting)
    except ClaimLost:
        log.warning("digest delivery %s: claim lapsed, left to the sender that took it back",
                    delivery_id)
        return "lost"
    except PermanentError as e:
        ledger.write(delivery_id, status="failed", error=str(e)[:1000])
        log.warning("digest to %s refused: %s", person.email, e)
        return "failed"
    except TransientError as e:
        ledger.write(delivery_id, status="pending", claimed_by="", error=str(e)[:1000])
        log.warning("digest to %s not sent yet, will retry: %s", person.email, e)
        return "deferred"
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
