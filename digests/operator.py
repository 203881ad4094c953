"""What an operator asks of a period besides sending it: what a send would do now, found
without writing anything (`digest send --dry-run`), and sending one ambiguous or failed
delivery again (`digest resend`), which nothing else ever does."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from digests.compose import compose, from_copy, render
from digests.delivery import SENDER, deliver, load_shared, not_prepared, wall
from digests.kept import Copy, CopyUnreadable
from digests.ledger import Ledger
from digests.period import Period
from digests.personal import RenderCache
from store.deliveries import deliveries_with_people
from store.models import Digest, DigestCopy, DigestDelivery, Person
from store.people import people_by_ids

log = logging.getLogger("coalition.digest")

RESENDABLE = ("ambiguous", "failed")


@dataclass(frozen=True)
class Planned:
    """What `send` would do now, found without writing anything (`digest send --dry-run`)."""

    period: str
    messages: list[tuple[str, str]]  # (address, subject) of each message that would go
    nothing_to_tell: list[str]  # addresses with nothing to report this week
    done: int  # deliveries already sent, skipped, failed or ambiguous: not sent again


def plan_period(*, engine: Engine, config, period: Period, now: dt.datetime) -> Planned:
    """The messages `send_period` would send now, composed as it would compose them; the
    store is only read (no period, delivery or copy is written)."""
    with Session(engine) as session:
        digest = session.exec(select(Digest).where(Digest.period == period.key)).first()
        digest_id = digest.id if digest is not None else None
        rows = [] if digest_id is None else [
            (d.id, d.status, p) for d, p in deliveries_with_people(session=session,
                                                                   digest_id=digest_id)]
        waiting = [(d_id, p) for d_id, status, p in rows if status in ("pending", "claimed")
                   and p.digest_subscribed and p.retired_at is None]
        waiting += [(None, p) for p in people_by_ids(
            session=session, ids=not_prepared(session, digest_id))]
        shared = load_shared(session=session, config=config, period=period, now=now)
        messages, nothing = [], []
        renders = RenderCache(render)
        for delivery_id, person in waiting:
            message = compose(person=person, shared=shared, config=config, period=period,
                              now=now, delivery_id=delivery_id, renders=renders)
            if message is None:
                nothing.append(person.email)
            else:
                messages.append((person.email, message.digest_copy.subject))
        session.rollback()
    done = sum(1 for _, status, _ in rows if status not in ("pending", "claimed"))
    return Planned(period.key, messages, nothing, done)


class NotResendable(Exception):
    """The delivery is not ambiguous or failed (any more): nothing was sent."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


def resend(*, engine: Engine, config, delivery_id: int, period: Period, now: dt.datetime,
           transport, tries: int = 4, backoff: float = 0.5) -> str:
    """Send an ambiguous or failed delivery again, as the operator asked: the message it was
    (its kept copy, same Message-ID) when there is one, else composed now. Taken over in one
    statement, so two operators resending at once send one message. The outcome: "sent",
    "ambiguous", "failed", "deferred" (pending again) or "skipped" (unsubscribed)."""
    token = f"{SENDER}:{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        taken = conn.execute(update(DigestDelivery).where(
            DigestDelivery.id == delivery_id, col(DigestDelivery.status).in_(RESENDABLE))
            .values(status="claimed", claimed_by=token, claimed_at=wall(),
                    attempts=DigestDelivery.attempts + 1)).rowcount
    with Session(engine) as session:
        delivery = session.get(DigestDelivery, delivery_id)
        if not taken:
            raise NotResendable(delivery.status if delivery else "gone")
        person = session.get(Person, delivery.person_id)
        kept = session.exec(select(DigestCopy).where(
            DigestCopy.key == delivery.copy_key)).first() if delivery.copy_key else None
        message = None
        if kept is not None:
            try:
                message = from_copy(Copy(kept.key, kept.subject, kept.body.encode()),
                                    person=person, config=config, period=period, now=now,
                                    delivery_id=delivery_id)
            except CopyUnreadable:
                log.warning("digest delivery %s: its copy cannot be read back; composing it "
                            "again", delivery_id)
        if message is None:
            shared = load_shared(session=session, config=config, period=period, now=now)
            message = compose(person=person, shared=shared, config=config, period=period,
                              now=now, delivery_id=delivery_id)
    ledger = Ledger(engine)
    try:
        if message is None:
            ledger.write(delivery_id, status="skipped", error="nothing to report this week")
            return "skipped"
        outcome = deliver(ledger, delivery_id, token, person,
                           (message, transport.prepare(message)), transport, tries=tries,
                           backoff=backoff)
        ledger.flush()
    finally:
        ledger.close()
    return "deferred" if outcome == "unreachable" else outcome
