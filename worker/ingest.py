"""Polling feeds: claim them in batches, fetch and parse them concurrently
(`worker.fetchers`), store what they said (`worker.entries`), record every outcome on the
feed's row (`store.feeds`, by the rules of `worker.backoff`).

One feed's failure never stops the poll: it is written on the feed's row (`last_error`,
`error_count`, `next_poll_at` pushed back exponentially, capped at a day) and after
`failure_alert_after` failures in a row the feed is flagged "failing" (the secretariat's digest
lists it). Nothing is silently dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from store import feeds as feed_rows
from store.engine import unit_of_work
from store.entries import load_keywords
from store.feeds import ClaimedFeed
from worker.backoff import KEPT_ON_UNCHANGED, after_failure, after_read
from worker.entries import store_entries
from worker.fetch import Fetched, FetchError, Limits
from worker.fetchers import Outcome, fetched
from worker.local import absolute_file_url, is_local
from worker.parse import ParsedFeed, parse_feed
from worker.parsers import ParserPool

log = logging.getLogger("coalition.feeds")
# A poll of fewer feeds, given no pool, parses in its threads: starting parser processes
# (about 0.1 s each) would cost more than the parsing.
POOL_FROM = 32
CLAIM_BATCH = 1000  # feeds claimed (and their outcomes held) at a time
RECORD_BATCH = 500  # unchanged and failed feeds recorded in one transaction


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
    """The config's `[[feeds.sources]]` as Feed rows (origin "config")."""
    feed_rows.sync_sources(session=session, now=now,
                           interval_minutes=config.feeds.interval_minutes, sources=[
        feed_rows.Source(url=absolute_file_url(source.url, config.base_dir)
                         if is_local(source.url) else source.url, kind=source.kind,
                         organisation=source.organisation, tags=list(source.tags),
                         title=source.title) for source in config.feeds.sources])


def poll_feeds(*, engine: Engine, config, now: dt.datetime, everything: bool = False,
               urls: Sequence[str] | None = None, progress: Callable[[], None] | None = None,
               parsers: ParserPool | None = None, batch: int = CLAIM_BATCH) -> PollReport:
    """Poll every due feed: all of them with `everything`, or those at `urls`, due or not
    (their backoff ignored). Safe to run from several workers: feeds are claimed `batch` at a
    time, in id order, until none is left.

    Feeds are fetched `[feeds] concurrency` at a time and parsed in `parsers` (a long-running
    worker passes its own; otherwise a pool lives for this poll if it is big enough). Changed
    feeds are stored as they come in, those that came in together in one transaction;
    unchanged and failed ones are recorded together. If a transaction fails, its feeds are
    stored one by one, so a problem stays that feed's."""
    try:
        with unit_of_work(engine) as session:
            sync_sources(session=session, config=config, now=now)
    except IntegrityError:  # another poller added the same source at the same moment
        log.info("feed sources were being synced by another poller")
    with Session(engine) as session:
        keywords = load_keywords(session)
    storer = _Storer(engine=engine, config=config, now=now, keywords=keywords)
    own_pool: ParserPool | None = None
    after = 0
    try:
        while claimed := feed_rows.claim_feeds(engine, now, everything=everything, urls=urls,
                                               after_id=after, limit=batch):
            after = claimed[-1].id
            if parsers is None and own_pool is None and len(claimed) >= POOL_FROM:
                own_pool = ParserPool()
            pool = parsers or own_pool
            if pool and any(not (f.etag or f.last_modified) for f in claimed):
                pool.warm()  # some feed will be parsed for sure (it cannot answer 304)
            for outcomes in fetched(claimed, limits_from(config), config.feeds.concurrency,
                                    pool.parse if pool else parse_feed):
                storer.add(outcomes)
                for _ in outcomes:
                    storer.report.polled += 1
                    if progress:
                        progress()
            storer.flush()
            if len(claimed) < batch:
                break
    finally:
        if own_pool:
            own_pool.close()
    return storer.report


class _Storer:
    """Writes a poll's outcomes, counting them in `report`: changed feeds as they come in,
    unchanged (304) and failed ones RECORD_BATCH at a time."""

    def __init__(self, *, engine: Engine, config, now: dt.datetime,
                 keywords: dict[str, list[str]]):
        self.engine, self.config, self.now, self.keywords = engine, config, now, keywords
        self.report = PollReport()
        self.unchanged: list[tuple[ClaimedFeed, Fetched]] = []
        self.failures: list[feed_rows.Failure] = []

    def add(self, outcomes: list[Outcome]) -> None:
        changed = []
        for feed, outcome in outcomes:
            if not isinstance(outcome, Fetched):
                self.failed(feed, outcome)
            elif outcome.status == 304:
                self.unchanged.append((feed, outcome))
            else:
                changed.append((feed, outcome))
        self.store(changed)
        if len(self.unchanged) + len(self.failures) >= RECORD_BATCH:
            self.flush()

    def flush(self) -> None:
        self.store(self.unchanged)
        self.unchanged = []
        failures, self.failures = self.failures, []
        if failures:
            try:
                with unit_of_work(self.engine) as session:
                    feed_rows.record_failures(session=session, failures=failures, now=self.now)
            except Exception:  # the claims lapse: these feeds are polled again soon
                log.exception("recording %d failed feeds failed", len(failures))

    def store(self, batch: list[tuple[ClaimedFeed, Fetched]]) -> None:
        """One transaction for the batch; if it fails, one for each feed."""
        if not batch:
            return
        try:
            with unit_of_work(self.engine) as session:
                counts = self._store_polled(session, batch)
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

    def failed(self, feed: ClaimedFeed, error: Exception) -> None:
        """The feed's failure, recorded at the next flush, as the backoff rule has it."""
        outcome = after_failure(error_count=feed.error_count,
                                interval_minutes=feed.interval_minutes, now=self.now,
                                alert_after=self.config.feeds.failure_alert_after,
                                gone=getattr(error, "gone", False),
                                retry_after=getattr(error, "retry_after", None))
        self.failures.append(feed_rows.Failure(feed.id, str(error), outcome.error_count,
                                               outcome.status, outcome.next_poll_at))
        self.report.failed += 1
        log.warning("feed %s: %s", feed.id, error)

    def _store_polled(self, session: Session, batch: list[tuple[ClaimedFeed, Fetched]]
                      ) -> dict[str, int]:
        """Record feeds fetched fine and store the entries of those that changed, in
        statements over the whole batch."""
        now = self.now
        duplicates = feed_rows.retire_duplicates(session=session, now=now, moved={
            feed.id: outcome.moved_to for feed, outcome in batch if outcome.moved_to})
        for feed_id, other in duplicates.items():
            log.warning("feed %s moved permanently onto feed %s, already followed: retired",
                        feed_id, other)
        batch = [(feed, outcome) for feed, outcome in batch if feed.id not in duplicates]
        unchanged = [(feed, outcome) for feed, outcome in batch if outcome.status == 304]
        feed_rows.record_unchanged(session=session, now=now, kept_statuses=KEPT_ON_UNCHANGED,
                                   feeds=[_unchanged(feed, outcome)
                                          for feed, outcome in unchanged])
        read = [(feed, outcome.parsed) for feed, outcome in batch if outcome.status != 304]
        feed_rows.record_read(session=session, now=now, feeds=[
            _read(feed, outcome, now) for feed, outcome in batch if outcome.status != 304])
        added, updated = store_entries(
            session=session, polled=read, now=now, backlog_days=self.config.feeds.backlog_days,
            window_days=self.config.feeds.identity_window_days, keywords=self.keywords)
        return {"unchanged": len(unchanged), "added": added, "updated": updated}


def _unchanged(feed: ClaimedFeed, outcome: Fetched) -> feed_rows.Unchanged:
    """The validators the server sent with its 304, else the ones we had."""
    etag = outcome.headers.get("etag", feed.etag)
    last_modified = outcome.headers.get("last-modified", feed.last_modified)
    return feed_rows.Unchanged(feed.id, feed.interval_minutes, etag, last_modified,
                               outcome.moved_to,
                               (etag, last_modified) == (feed.etag, feed.last_modified))


def _read(feed: ClaimedFeed, outcome: Fetched, now: dt.datetime) -> feed_rows.Read:
    parsed: ParsedFeed = outcome.parsed
    status, note, next_poll = after_read(interval_minutes=feed.interval_minutes, now=now,
                                         warning=parsed.warning)
    return feed_rows.Read(feed.id, outcome.moved_to or feed.url,
                          outcome.headers.get("etag", ""),
                          outcome.headers.get("last-modified", ""),
                          feed.title or parsed.title[:300], status, note, next_poll)
