"""Every statement on the `feed` table: following, claiming feeds for a poll, recording what a
poll found, listing. One style: SQLAlchemy Core statements on the table, set-based (an
`executemany` or an `IN` list per batch), no ORM objects: a poll records hundreds of feeds,
and the rules deciding what is recorded (backoff, statuses) are the worker's
(`worker.backoff`), passed in as values."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, case, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.models import Feed, FeedEntry, Organisation

FEED = Feed.__table__
CLAIM = dt.timedelta(minutes=10)  # a claimed feed is not due for others while it is polled
IN_BATCH = 500  # ids in one `IN` list


class ClaimedFeed(NamedTuple):
    """A feed claimed for this poll, with what polling and storing it need to know."""
    id: int
    url: str
    etag: str
    last_modified: str
    interval_minutes: int
    error_count: int
    kind: str
    organisation_id: int | None
    title: str
    first_poll: bool  # never read fine before: its old entries are backlog


class Source(NamedTuple):
    """A feed the configuration lists."""
    url: str
    kind: str
    organisation: str  # an acronym, "" for none
    tags: list[str]
    title: str


class Read(NamedTuple):
    """A feed fetched and parsed fine in this poll."""
    id: int
    url: str  # its address now: a permanent redirect moves it
    etag: str
    last_modified: str
    title: str
    status: str
    note: str  # what `last_error` says: "" or the parse warning
    next_poll_at: dt.datetime


class Unchanged(NamedTuple):
    """A feed that answered 304 (or a local file that did not change)."""
    id: int
    interval_minutes: int
    etag: str
    last_modified: str
    moved_to: str | None
    same_validators: bool


class Failure(NamedTuple):
    """A feed this poll could not read, and what the backoff rule made of it."""
    id: int
    error: str
    error_count: int
    status: str
    next_poll_at: dt.datetime | None  # None: retired


# --- following ------------------------------------------------------------------------------

def organisation_ids(session: Session) -> dict[str, int]:
    """Organisation ids by lower-cased acronym."""
    table = Organisation.__table__
    return {acronym.lower(): id_ for id_, acronym in session.connection().execute(
        select(table.c.id, table.c.acronym))}


def follow_feed(*, session: Session, url: str, origin: str, now: dt.datetime,
                interval_minutes: int, kind: str, organisation_id: int | None,
                tags: Sequence[str], title: str = "") -> int:
    """Follow `url`: a new row, or the row again (a retired feed is followed anew, polled at
    the next poll); kind, organisation, tags and origin set, the title when one is given."""
    connection = session.connection()
    row = connection.execute(select(FEED.c.id, FEED.c.retired_at).where(FEED.c.url == url)
                             ).first()
    values = {"kind": kind, "organisation_id": organisation_id, "tags": list(tags),
              "origin": origin}
    if title:
        values["title"] = title[:300]
    if row is None:
        return connection.execute(insert(FEED).values(
            url=url, created_at=now, interval_minutes=interval_minutes, **values)
            ).inserted_primary_key[0]
    if row.retired_at is not None:
        values.update(retired_at=None, status="new", next_poll_at=None)
    connection.execute(update(FEED).where(FEED.c.id == row.id).values(**values))
    return row.id


def sync_sources(*, session: Session, sources: Sequence[Source], interval_minutes: int,
                 now: dt.datetime) -> None:
    """The configuration's feeds as rows of origin "config": new ones added, known ones
    given the kind, organisation, tags (and title, if set) the configuration says."""
    if not sources:
        return
    orgs = organisation_ids(session)
    connection = session.connection()
    known = dict(connection.execute(select(FEED.c.url, FEED.c.id).where(
        FEED.c.url.in_([s.url for s in sources]))).all())
    new = []
    changed: dict[bool, list[dict]] = {False: [], True: []}  # by titled or not
    for source in sources:
        values = {"kind": source.kind, "tags": list(source.tags),
                  "organisation_id": orgs.get(source.organisation.lower())}
        if source.title:
            values["title"] = source.title[:300]
        if source.url in known:
            changed[bool(source.title)].append({"feed_id": known[source.url], **values})
        else:
            new.append({"url": source.url, "origin": "config", "created_at": now,
                        "interval_minutes": interval_minutes, "title": "", **values})
    if new:
        connection.execute(insert(FEED), new)
    for params in changed.values():
        if params:  # the columns set are the parameters' keys
            connection.execute(update(FEED).where(FEED.c.id == bindparam("feed_id")), params)


def retire_feed(*, session: Session, url: str, now: dt.datetime) -> bool:
    """Stop following `url` (its entries stay); False if it is not followed."""
    result = session.connection().execute(
        update(FEED).where(FEED.c.url == url).values(retired_at=now, status="retired"))
    return result.rowcount > 0


# --- polling --------------------------------------------------------------------------------

def claim_feeds(engine: Engine, now: dt.datetime, *, everything: bool = False,
                urls: Sequence[str] | None = None, after_id: int = 0,
                limit: int = 1000) -> list[ClaimedFeed]:
    """Claim up to `limit` feeds, those after `after_id` in id order, for this poller: the due
    ones (all of them with `everything`; those at `urls`, due or not, when given). A claim
    pushes their next poll past a short lease, in one statement (with SKIP LOCKED on
    PostgreSQL), so pollers sharing a store split the work."""
    pick = select(FEED.c.id).where(FEED.c.retired_at.is_(None), FEED.c.id > after_id) \
        .order_by(FEED.c.id).limit(limit)
    if urls is not None:
        pick = pick.where(FEED.c.url.in_(list(urls)))
    elif not everything:
        pick = pick.where(or_(FEED.c.next_poll_at.is_(None), FEED.c.next_poll_at <= now))
    if engine.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    token = now + CLAIM + dt.timedelta(microseconds=uuid.uuid4().int % 999_983)
    with engine.begin() as connection:
        connection.execute(update(FEED).where(FEED.c.id.in_(pick.scalar_subquery()))
                           .values(next_poll_at=token))
        return [ClaimedFeed(*row[:-1], row[-1] is None) for row in connection.execute(
            select(FEED.c.id, FEED.c.url, FEED.c.etag, FEED.c.last_modified,
                   FEED.c.interval_minutes, FEED.c.error_count, FEED.c.kind,
                   FEED.c.organisation_id, FEED.c.title, FEED.c.last_success_at)
            .where(FEED.c.next_poll_at == token).order_by(FEED.c.id))]


def retire_duplicates(*, session: Session, moved: dict[int, str], now: dt.datetime
                      ) -> dict[int, int]:
    """Of the feeds that moved permanently (feed id -> new address), those whose new address
    another row already has are retired as duplicates (that feed goes on), instead of failing
    to store at every poll. Returns {retired feed id: the feed it duplicates}."""
    if not moved:
        return {}
    connection = session.connection()
    owner = dict(connection.execute(select(FEED.c.url, FEED.c.id).where(
        FEED.c.url.in_(list(set(moved.values()))))).all())
    duplicates = {feed_id: owner[url] for feed_id, url in moved.items()
                  if url in owner and owner[url] != feed_id}
    if duplicates:
        connection.execute(update(FEED).where(FEED.c.id == bindparam("feed_id")).values(
            status="retired", retired_at=now, last_polled_at=now), [
            {"feed_id": feed_id, "last_error": f"moved permanently to {moved[feed_id]}, which is "
                                          f"already followed (feed {other}): retired as a "
                                          f"duplicate"[:1000]}
            for feed_id, other in duplicates.items()])
    return duplicates


def record_read(*, session: Session, feeds: Sequence[Read], now: dt.datetime) -> None:
    """Feeds read fine: their address, validators, title, status and next poll, in one
    statement."""
    if not feeds:
        return
    session.connection().execute(  # the other columns set are the parameters' keys
        update(FEED).where(FEED.c.id == bindparam("feed_id")).values(
            last_polled_at=now, last_success_at=now, error_count=0),
        [{"feed_id": f.id, "url": f.url, "etag": f.etag, "last_modified": f.last_modified,
          "title": f.title, "status": f.status, "last_error": f.note,
          "next_poll_at": f.next_poll_at} for f in feeds])


def record_unchanged(*, session: Session, feeds: Sequence[Unchanged], now: dt.datetime,
                     kept_statuses: Iterable[str]) -> None:
    """Unchanged feeds: read fine again (their status `ok`, unless it is one of
    `kept_statuses`, which an unchanged document keeps), next poll after their interval, the
    validators the server sent, a permanent move. The usual case, same validators and no
    move, is one statement per polling interval; the others one statement a shape."""
    if not feeds:
        return
    kept = list(kept_statuses)
    fine = {"status": case(*((FEED.c.status == s, s) for s in kept), else_="ok")
            if kept else "ok",
            "last_error": case(*((FEED.c.status == s, FEED.c.last_error) for s in kept),
                               else_="") if kept else "",
            "last_polled_at": now, "last_success_at": now, "error_count": 0}
    same: dict[int, list[int]] = {}  # interval -> ids
    rows: dict[bool, list[dict]] = {False: [], True: []}  # by moved or not
    for feed in feeds:
        if feed.same_validators and not feed.moved_to:
            same.setdefault(feed.interval_minutes, []).append(feed.id)
            continue
        row = {"feed_id": feed.id, "etag": feed.etag, "last_modified": feed.last_modified,
               "next_poll_at": now + dt.timedelta(minutes=feed.interval_minutes)}
        if feed.moved_to:
            row["url"] = feed.moved_to
        rows[bool(feed.moved_to)].append(row)
    connection = session.connection()
    for interval, ids in same.items():
        for at in range(0, len(ids), IN_BATCH):
            connection.execute(update(FEED).where(FEED.c.id.in_(ids[at:at + IN_BATCH]))
                               .values(next_poll_at=now + dt.timedelta(minutes=interval),
                                       **fine))
    statement = update(FEED).where(FEED.c.id == bindparam("feed_id")).values(**fine)
    for params in rows.values():
        if params:  # the other columns set are the parameters' keys
            connection.execute(statement, params)


def record_failures(*, session: Session, failures: Sequence[Failure], now: dt.datetime) -> None:
    """Feeds that could not be read, in one statement: the error, the count of failures in a
    row, the status and next poll the backoff rule gave (a feed gone for good is retired)."""
    if not failures:
        return
    session.connection().execute(  # the other columns set are the parameters' keys
        update(FEED).where(FEED.c.id == bindparam("feed_id")).values(last_polled_at=now),
        [{"feed_id": f.id, "last_error": f.error[:1000], "error_count": f.error_count,
          "status": f.status, "next_poll_at": f.next_poll_at,
          "retired_at": now if f.next_poll_at is None else None} for f in failures])


# --- reading --------------------------------------------------------------------------------

class FeedRow(NamedTuple):
    """A feed as `coalition feeds list` and `show` present it."""
    id: int
    url: str
    title: str
    kind: str
    organisation: str
    tags: list[str]
    status: str
    entries: int
    last_polled_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str
    error_count: int
    next_poll_at: dt.datetime | None
    retired_at: dt.datetime | None


def _feed_rows(session: Session, *where) -> list[FeedRow]:
    counts = select(FeedEntry.__table__.c.feed_id, func.count().label("n")) \
        .group_by(FeedEntry.__table__.c.feed_id).subquery()
    org = Organisation.__table__
    query = (select(FEED.c.id, FEED.c.url, FEED.c.title, FEED.c.kind,
                    func.coalesce(org.c.acronym, ""), FEED.c.tags, FEED.c.status,
                    func.coalesce(counts.c.n, 0), FEED.c.last_polled_at, FEED.c.last_success_at,
                    FEED.c.last_error, FEED.c.error_count, FEED.c.next_poll_at,
                    FEED.c.retired_at)
             .outerjoin(counts, counts.c.feed_id == FEED.c.id)
             .outerjoin(org, org.c.id == FEED.c.organisation_id)
             .where(*where).order_by(FEED.c.id))
    return [FeedRow(*row) for row in session.connection().execute(query)]


def feed_list(session: Session) -> list[FeedRow]:
    """Every feed, retired ones too, with the number of its stored entries."""
    return _feed_rows(session)


def feed_at(session: Session, url: str) -> FeedRow | None:
    """The feed at `url`, if there is one."""
    return next(iter(_feed_rows(session, FEED.c.url == url)), None)


def followed_feeds(session: Session) -> list[FeedRow]:
    """The feeds followed now (not retired)."""
    return _feed_rows(session, FEED.c.retired_at.is_(None))
