"""Polling due feeds: fetch concurrently, parse, store idempotently, record every outcome.

One feed's failure never stops the poll: it is written on the feed's row (`last_error`,
`error_count`, `next_poll_at` pushed back exponentially, capped at a day) and after
`failure_alert_after` failures in a row the feed is flagged "failing" (the secretariat's digest
lists it). Nothing is silently dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import bindparam, case, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.engine import unit_of_work
from store.models import Feed
from store.organisations import ids_by_acronym
from worker.entries import load_keywords, store_entries
from worker.fetch import Fetched, FetchError, Limits, fetch, make_transport
from worker.local import absolute_file_url, is_local
from worker.parse import ParsedFeed, ParseError, parse_feed
from worker.parsers import ParserPool

log = logging.getLogger("coalition.feeds")
MAX_BACKOFF = dt.timedelta(days=1)
# A poll of fewer feeds, given no pool, parses in its threads: starting parser processes
# (about 0.1 s each) would cost more than the parsing.
POOL_FROM = 32
UNCHANGED_BATCH = 500  # unchanged feeds recorded in one transaction
BATCH_WAIT = 0.05  # seconds the storing waits for more feeds to come in


@dataclass
class PollReport:
    polled: int = 0
    unchanged: int = 0
    failed: int = 0
    added: int = 0
    updated: int = 0

    def summary(self) -> str:
        return (f"{self.polled} feeds polled: {self.added} entries added, {self.updated} "
                f"updated, {self.unchanged} unchanged, {self.failed} failed")


def limits_from(config) -> Limits:
    f = config.feeds
    return Limits(max_bytes=f.max_bytes, timeout=f.timeout_seconds,
                  connect_timeout=f.connect_timeout_seconds, max_redirects=f.max_redirects,
                  allow_private=f.allow_private, user_agent=f.user_agent)


def sync_sources(*, session: Session, config, now: dt.datetime) -> None:
    """The config's `[[feeds.sources]]` as Feed rows (origin "config"), in one query."""
    if not config.feeds.sources:
        return
    orgs = ids_by_acronym(session=session)
    sources = {(absolute_file_url(source.url, config.base_dir) if is_local(source.url)
                else source.url): source for source in config.feeds.sources}
    known = {feed.url: feed for feed in session.exec(
        select(Feed).where(col(Feed.url).in_(list(sources))))}
    for url, source in sources.items():
        feed = known.get(url)
        if feed is None:
            feed = Feed(url=url, origin="config", created_at=now,
                        interval_minutes=config.feeds.interval_minutes)
        feed.kind, feed.tags = source.kind, list(source.tags)
        feed.organisation_id = orgs.get(source.organisation.lower())
        if source.title:
            feed.title = source.title
        session.add(feed)


CLAIM = dt.timedelta(minutes=10)  # a claimed feed is not due for others while it is polled


class PolledFeed(NamedTuple):
    """What storing a feed's entries needs to know of the feed."""
    id: int
    kind: str
    organisation_id: int | None


class Claimed(NamedTuple):
    id: int
    url: str
    etag: str
    last_modified: str
    interval_minutes: int


def claim_due_feeds(engine: Engine, now: dt.datetime, *, everything: bool = False,
                    limit: int = 1000) -> list[Claimed]:
    """Claim the due feeds for this poller by pushing their next poll past a short lease, in
    one statement (with SKIP LOCKED on PostgreSQL): pollers sharing a store split the work."""
    pick = select(Feed.id).where(Feed.retired_at.is_(None)).order_by(Feed.id).limit(limit)
    if not everything:
        pick = pick.where((Feed.next_poll_at.is_(None)) | (Feed.next_poll_at <= now))
    if engine.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    token = now + CLAIM + dt.timedelta(microseconds=uuid.uuid4().int % 999_983)
    with engine.begin() as conn:
        conn.execute(update(Feed).where(col(Feed.id).in_(pick.scalar_subquery()))
                     .values(next_poll_at=token))
    with Session(engine) as session:
        return [Claimed(*row) for row in session.exec(
            select(Feed.id, Feed.url, Feed.etag, Feed.last_modified, Feed.interval_minutes)
            .where(Feed.next_poll_at == token).order_by(Feed.id))]


def poll_feeds(*, engine: Engine, config, now: dt.datetime, everything: bool = False,
               progress=None, parsers: ParserPool | None = None) -> PollReport:
    """Poll every due feed (all with `everything`); safe to run from several workers.

    Feeds are fetched `[feeds] concurrency` at a time and parsed in `parsers` (a long-running
    worker passes its own; otherwise a pool lives for this poll if it is big enough). Changed
    feeds are stored as they come in, those that came in together in one transaction;
    unchanged ones (304) are recorded together at the end. If a transaction fails, its feeds
    are stored one by one, so a problem stays that feed's."""
    try:
        with unit_of_work(engine) as session:
            sync_sources(session=session, config=config, now=now)
    except IntegrityError:  # another poller added the same source at the same moment
        log.info("feed sources were being synced by another poller")
    feeds = claim_due_feeds(engine, now, everything=everything)
    with Session(engine) as session:
        keywords = load_keywords(session)
    storer = _Storer(engine=engine, config=config, now=now, keywords=keywords)
    own_pool = ParserPool() if parsers is None and len(feeds) >= POOL_FROM else None
    pool = parsers or own_pool
    if pool and any(not (f.etag or f.last_modified) for f in feeds):
        pool.warm()  # some feed will be parsed for sure (it cannot answer 304)
    try:
        for outcomes in _fetched(feeds, limits_from(config), config.feeds.concurrency,
                                 pool.parse if pool else parse_feed):
            storer.add(outcomes)
            for _ in outcomes:
                storer.report.polled += 1
                if progress:
                    progress()
        storer.flush()
    finally:
        if own_pool:
            own_pool.close()
    return storer.report


def _fetched(feeds: list[Claimed], limits: Limits, concurrency: int, parse):
    """Yield lists of (feed, outcome) as they come in, fetched by up to `concurrency` threads,
    each taking the next feed when it is done with one. A list is yielded once `concurrency`
    outcomes are in, or BATCH_WAIT after the first if fewer come (stored together, they cost
    less; the poll does not wait for company). A thread takes no new feed while twice
    `concurrency` outcomes wait to be stored, so fewer than three times `concurrency` fetched
    feeds are ever held: memory stays bounded."""
    if not feeds:
        return
    with make_transport() as transport:
        fetchers = _Fetchers(feeds, concurrency, (transport, limits, parse))
        try:
            while batch := fetchers.next_batch():
                yield batch
        finally:
            fetchers.stop()


class _Fetchers:
    """The threads fetching a poll's feeds, and the work they share: the feeds left, the
    outcomes not yet taken. They wake the poll for the first outcome of a batch and for a
    full one, not for each feed.

    A poll that will download feeds in full (some have no validators for a conditional GET)
    starts all `concurrency` threads: parsing keeps the parser processes busy for a while per
    feed, and a new feed is usually far away. A poll whose feeds all have validators starts one
    thread and adds threads, up to `concurrency`, while fetches wait: a thread whose fetch
    spent more than GROW_AFTER not running (waiting for the network or a parser process) starts
    another. Threads that would find nothing to wait for only take turns at the GIL: on a near
    server answering 304s at once, 16 threads did the work of one, a third slower."""

    GROW_AFTER = 0.01  # seconds of a fetch not spent running in its thread

    def __init__(self, feeds: list[Claimed], concurrency: int, work_args: tuple):
        self.waiting = iter(feeds)
        self.left = len(feeds)  # outcomes not yet taken by the poll
        self.most = min(concurrency, len(feeds))
        self.batch = concurrency
        self.done: list[tuple[Claimed, Fetched | Exception]] = []
        self.changed = threading.Condition()
        self.stopped = False
        self.threads: list[threading.Thread] = []
        self.work_args = work_args
        downloads = any(not (feed.etag or feed.last_modified) for feed in feeds)
        with self.changed:
            for _ in range(self.most if downloads else 1):
                self._start_thread()

    def _start_thread(self) -> None:
        """One more thread (the caller holds the lock)."""
        thread = threading.Thread(target=self.work, name=f"feed-fetcher-{len(self.threads)}",
                                  args=self.work_args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def work(self, transport, limits: Limits, parse) -> None:
        while True:
            with self.changed:
                while len(self.done) >= 2 * self.batch and not self.stopped:
                    self.changed.wait()
                feed = None if self.stopped else next(self.waiting, None)
            if feed is None:
                return
            started, running = time.monotonic(), time.thread_time()
            try:
                outcome = _fetch_one(transport, feed, limits, parse)
            except BaseException as e:  # noqa: BLE001 (it is that feed's error; the poll goes on)
                outcome = FetchError(f"failed: {type(e).__name__}: {e}")
            waited = (time.monotonic() - started) - (time.thread_time() - running)
            with self.changed:
                self.done.append((feed, outcome))
                if len(self.done) in (1, min(self.batch, self.left)):  # the first, or a batch
                    self.changed.notify_all()
                if waited > self.GROW_AFTER and len(self.threads) < self.most \
                        and not self.stopped:
                    self._start_thread()

    def next_batch(self) -> list[tuple[Claimed, Fetched | Exception]]:
        with self.changed:
            if not self.left:
                return []
            self.changed.wait_for(lambda: self.done)
            self.changed.wait_for(lambda: len(self.done) >= min(self.batch, self.left),
                                  timeout=BATCH_WAIT)
            batch, self.done = self.done, []
            self.left -= len(batch)
            self.changed.notify_all()  # room for threads held back by the bound
            return batch

    def stop(self) -> None:
        """No feed is taken any more; returns once every thread is done with its own."""
        with self.changed:
            self.stopped = True
            self.changed.notify_all()
        for thread in self.threads:  # no thread is added once stopped
            thread.join()


def _fetch_one(transport, feed: Claimed, limits: Limits, parse) -> Fetched | Exception:
    """Fetch and parse one feed; whatever goes wrong is returned, as that feed's error."""
    try:
        fetched = fetch(feed.url, limits=limits, etag=feed.etag,
                        last_modified=feed.last_modified, transport=transport)
        if fetched.status != 304:
            fetched.parsed = parse(fetched.body, fetched.headers)
            fetched.body = b""  # parsed: the bytes are not kept
        return fetched
    except (FetchError, ParseError) as e:
        return e
    except Exception as e:  # a bug, or a library blowing up on this feed: the poll goes on
        log.exception("feed %s: fetching or parsing failed", feed.url)
        return FetchError(f"failed: {type(e).__name__}: {e}")


class _Storer:
    """Writes a poll's outcomes, counting them in `report`: a failure on its feed's row, changed
    feeds as they come in, unchanged ones (304) in one go at the end."""

    def __init__(self, *, engine: Engine, config, now: dt.datetime,
                 keywords: dict[str, list[str]]):
        self.engine, self.config, self.now, self.keywords = engine, config, now, keywords
        self.report = PollReport()
        self.unchanged: list[tuple[Claimed, Fetched]] = []

    def add(self, outcomes: list[tuple[Claimed, Fetched | Exception]]) -> None:
        changed = []
        for feed, outcome in outcomes:
            if not isinstance(outcome, Fetched):
                self.failed(feed, outcome)
            elif outcome.status == 304:
                self.unchanged.append((feed, outcome))
            else:
                changed.append((feed, outcome))
        self.store(changed)
        if len(self.unchanged) >= UNCHANGED_BATCH:
            self.flush()

    def flush(self) -> None:
        self.store(self.unchanged)
        self.unchanged = []

    def store(self, batch: list[tuple[Claimed, Fetched]]) -> None:
        """One transaction for the batch; if it fails, one for each feed."""
        if not batch:
            return
        try:
            with unit_of_work(self.engine) as session:
                counts = _store_polled(session=session, batch=batch, now=self.now,
                                       backlog_days=self.config.feeds.backlog_days,
                                       keywords=self.keywords)
        except Exception as e:
            if len(batch) > 1:
                log.warning("storing %d feeds together failed (%s): one by one", len(batch),
                            str(getattr(e, "orig", None) or e)[:300])
                for item in batch:
                    self.store([item])
                return
            log.exception("feed %s: storing failed", batch[0][0].url)
            self.failed(batch[0][0], FetchError(f"storing failed: {e}"))
            return
        for name, count in counts.items():
            setattr(self.report, name, getattr(self.report, name) + count)

    def failed(self, feed: Claimed, error: Exception) -> None:
        _record_failure(self.engine, self.config, feed.id, error, self.now)
        self.report.failed += 1


def _store_polled(*, session: Session, batch: list[tuple[Claimed, Fetched]], now: dt.datetime,
                  backlog_days: int, keywords: dict[str, list[str]]) -> dict[str, int]:
    """Record feeds fetched fine and store the entries of those that changed, in statements
    over the whole batch (ORM objects for hundreds of feeds cost more than their SQL)."""
    duplicates = _retire_moved_onto_followed(session=session, batch=batch, now=now)
    if duplicates:
        batch = [(feed, outcome) for feed, outcome in batch if feed.id not in duplicates]
    unchanged = [(feed, outcome) for feed, outcome in batch if outcome.status == 304]
    _record_unchanged(session=session, unchanged=unchanged, now=now)
    outcomes = {feed.id: (feed, outcome) for feed, outcome in batch if outcome.status != 304}
    changed: list[tuple[PolledFeed, ParsedFeed, bool]] = []
    if outcomes:
        table = Feed.__table__
        params = []
        for feed_id, kind, organisation_id, url, title, last_success in session.connection() \
                .execute(select(table.c.id, table.c.kind, table.c.organisation_id, table.c.url,
                                table.c.title, table.c.last_success_at)
                         .where(table.c.id.in_(list(outcomes)))):
            claimed, outcome = outcomes[feed_id]
            parsed: ParsedFeed = outcome.parsed
            changed.append((PolledFeed(feed_id, kind, organisation_id), parsed,
                            last_success is None))
            params.append({
                "feed_id": feed_id, "url": outcome.moved_to or url,
                "etag": outcome.headers.get("etag", ""),
                "last_modified": outcome.headers.get("last-modified", ""),
                "next_poll_at": now + dt.timedelta(minutes=claimed.interval_minutes),
                "title": title or parsed.title[:300],
                "status": "warning" if parsed.warning else "ok",
                "last_error": f"parsed with a warning: {parsed.warning}" if parsed.warning
                else ""})
        session.connection().execute(
            update(table).where(table.c.id == bindparam("feed_id"))
            .values(last_polled_at=now, last_success_at=now, error_count=0), params)
    added, updated = store_entries(session=session, polled=changed, now=now,
                                   backlog_days=backlog_days, keywords=keywords)
    return {"unchanged": len(unchanged), "added": added, "updated": updated}


def _retire_moved_onto_followed(*, session: Session, batch: list[tuple[Claimed, Fetched]],
                                now: dt.datetime) -> set[int]:
    """Feeds that moved permanently to an address another feed row already has are retired as
    duplicates (that feed goes on), instead of failing to store at every poll."""
    moved = {outcome.moved_to for _feed, outcome in batch if outcome.moved_to}
    if not moved:
        return set()
    table = Feed.__table__
    owner = dict(session.connection().execute(
        select(table.c.url, table.c.id).where(table.c.url.in_(list(moved)))).all())
    duplicates = {feed.id: outcome.moved_to for feed, outcome in batch
                  if outcome.moved_to in owner and owner[outcome.moved_to] != feed.id}
    for feed_id, url in duplicates.items():
        session.connection().execute(
            update(table).where(table.c.id == feed_id).values(
                status="retired", retired_at=now, last_polled_at=now,
                last_error=f"moved permanently to {url}, which is already followed "
                           f"(feed {owner[url]}): retired as a duplicate"[:1000]))
        log.warning("feed %s moved permanently to %s, already followed: retired", feed_id, url)
    return set(duplicates)


def _record_unchanged(*, session: Session, unchanged: list[tuple[Claimed, Fetched]],
                      now: dt.datetime) -> None:
    """Unchanged feeds (304): fine again, next poll after their interval, the validators the
    server sent (else the ones we had), a permanent move. The usual case, same validators and
    no move, is one statement for each polling interval; the others one statement a shape."""
    if not unchanged:
        return
    table = Feed.__table__
    same: dict[int, list[int]] = {}  # interval -> feed ids whose validators did not change
    rows: dict[bool, list[dict]] = {False: [], True: []}  # by moved or not
    for feed, outcome in unchanged:
        etag = outcome.headers.get("etag", feed.etag)
        last_modified = outcome.headers.get("last-modified", feed.last_modified)
        if not outcome.moved_to and (etag, last_modified) == (feed.etag, feed.last_modified):
            same.setdefault(feed.interval_minutes, []).append(feed.id)
            continue
        row = {"feed_id": feed.id, "etag": etag, "last_modified": last_modified,
               "next_poll_at": now + dt.timedelta(minutes=feed.interval_minutes)}
        if outcome.moved_to:
            row["url"] = outcome.moved_to
        rows[bool(outcome.moved_to)].append(row)
    fine = {"status": case((or_(*(table.c.status == s for s in ("new", "failing", "warning"))),
                               "ok"), else_=table.c.status),  # (no IN: not in executemany)
            "last_polled_at": now, "last_success_at": now, "error_count": 0, "last_error": ""}
    connection = session.connection()
    for interval, ids in same.items():
        for at in range(0, len(ids), UNCHANGED_BATCH):
            connection.execute(update(table).where(table.c.id.in_(ids[at:at + UNCHANGED_BATCH]))
                               .values(next_poll_at=now + dt.timedelta(minutes=interval),
                                       **fine))
    statement = update(table).where(table.c.id == bindparam("feed_id")).values(**fine)
    for params in rows.values():
        if params:  # the other columns set are the parameters' keys
            connection.execute(statement, params)


def _record_failure(engine, config, feed_id: int, error, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        feed = session.get(Feed, feed_id)
        feed.last_polled_at = now
        feed.error_count += 1
        feed.last_error = str(error)[:1000]
        if getattr(error, "gone", False):
            feed.status, feed.retired_at = "retired", now
        else:
            backoff = dt.timedelta(minutes=feed.interval_minutes) * 2 ** min(feed.error_count, 10)
            wait = max(min(backoff, MAX_BACKOFF),
                       dt.timedelta(seconds=getattr(error, "retry_after", None) or 0))
            feed.next_poll_at = now + wait
            feed.status = "failing" if feed.error_count >= config.feeds.failure_alert_after \
                else "warning"
        session.add(feed)
    log.warning("feed %s: %s", feed_id, error)
