"""Polling due feeds: fetch concurrently, parse, store idempotently, record every outcome.

One feed's failure never stops the poll: it is written on the feed's row (`last_error`,
`error_count`, `next_poll_at` pushed back exponentially, capped at a day) and after
`failure_alert_after` failures in a row the feed is flagged "failing" (the secretariat's digest
lists it). Nothing is silently dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.engine import unit_of_work
from store.models import Feed, FeedEntry, MemberUpdate, Organisation, WorkStream
from worker.fetch import Fetched, FetchError, Limits, fetch
from worker.local import absolute_file_url, is_local
from worker.parse import ParsedFeed, ParseError, parse_feed

log = logging.getLogger("coalition.feeds")
MAX_BACKOFF = dt.timedelta(days=1)


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
    orgs = {o.acronym.lower(): o.id for o in session.exec(select(Organisation))}
    for source in config.feeds.sources:
        url = absolute_file_url(source.url, config.base_dir) if is_local(source.url) \
            else source.url
        feed = session.exec(select(Feed).where(Feed.url == url)).first()
        if feed is None:
            feed = Feed(url=url, origin="config", created_at=now,
                        interval_minutes=config.feeds.interval_minutes)
        feed.kind, feed.tags = source.kind, list(source.tags)
        feed.organisation_id = orgs.get(source.organisation.lower())
        if source.title:
            feed.title = source.title
        session.add(feed)


CLAIM = dt.timedelta(minutes=10)  # a claimed feed is not due for others while it is polled


def claim_due_feeds(engine: Engine, now: dt.datetime, *, everything: bool = False,
                    limit: int = 1000) -> list[tuple[int, str, str, str]]:
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
        return [(f.id, f.url, f.etag, f.last_modified) for f in session.exec(
            select(Feed).where(Feed.next_poll_at == token).order_by(Feed.id))]


def poll_feeds(*, engine: Engine, config, now: dt.datetime, everything: bool = False,
               progress=None) -> PollReport:
    """Poll every due feed (all with `everything`); safe to run from several workers."""
    try:
        with unit_of_work(engine) as session:
            sync_sources(session=session, config=config, now=now)
    except IntegrityError:  # another poller added the same source at the same moment
        log.info("feed sources were being synced by another poller")
    feeds = claim_due_feeds(engine, now, everything=everything)
    limits = limits_from(config)
    report = PollReport()
    with httpx.Client(follow_redirects=False, trust_env=False) as client, \
            ThreadPoolExecutor(max_workers=config.feeds.concurrency) as pool:
        futures = [(fid, pool.submit(_fetch_one, client, url, etag, modified, limits))
                   for fid, url, etag, modified in feeds]
        for feed_id, future in futures:
            outcome = future.result()
            try:
                _store(engine, config, feed_id, outcome, now, report)
            except Exception as e:  # one feed's problem never stops the poll
                log.exception("feed %s: storing failed", feed_id)
                _record_failure(engine, config, feed_id, FetchError(f"storing failed: {e}"),
                                now)
                report.failed += 1
            report.polled += 1
            if progress:
                progress()
    return report


def _fetch_one(client, url, etag, modified, limits) -> Fetched | FetchError | ParseError:
    try:
        fetched = fetch(url, limits=limits, etag=etag, last_modified=modified, client=client)
        if fetched.status == 304:
            return fetched
        fetched.parsed = parse_feed(fetched.body, fetched.headers)  # parsed off the main thread
        return fetched
    except (FetchError, ParseError) as e:
        return e


def _store(engine, config, feed_id: int, outcome, now: dt.datetime, report: PollReport) -> None:
    if isinstance(outcome, FetchError | ParseError):
        _record_failure(engine, config, feed_id, outcome, now)
        report.failed += 1
        return
    with unit_of_work(engine) as session:
        feed = session.get(Feed, feed_id)
        first_poll = feed.last_success_at is None
        if outcome.moved_to:
            feed.url = outcome.moved_to
        feed.etag = outcome.headers.get("etag", feed.etag if outcome.status == 304 else "")
        feed.last_modified = outcome.headers.get(
            "last-modified", feed.last_modified if outcome.status == 304 else "")
        feed.last_polled_at = feed.last_success_at = now
        feed.error_count, feed.last_error = 0, ""
        feed.next_poll_at = now + dt.timedelta(minutes=feed.interval_minutes)
        if outcome.status == 304:
            feed.status = "ok" if feed.status in ("new", "failing", "warning") else feed.status
            report.unchanged += 1
            session.add(feed)
            return
        parsed: ParsedFeed = outcome.parsed
        feed.title = feed.title or parsed.title[:300]
        feed.status = "warning" if parsed.warning else "ok"
        feed.last_error = f"parsed with a warning: {parsed.warning}" if parsed.warning else ""
        session.add(feed)
        added, updated = store_entries(session=session, feed=feed, parsed=parsed, now=now,
                                       first_poll=first_poll,
                                       backlog_days=config.feeds.backlog_days)
        report.added += added
        report.updated += updated


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


def store_entries(*, session: Session, feed: Feed, parsed: ParsedFeed, now: dt.datetime,
                  first_poll: bool, backlog_days: int) -> tuple[int, int]:
    """Upsert the entries by identity; a changed entry is updated, never added twice."""
    existing = {e.identity: e for e in session.exec(select(FeedEntry).where(
        FeedEntry.feed_id == feed.id,
        col(FeedEntry.identity).in_([p.identity for p in parsed.entries])))}
    keywords = _keywords(session)
    added = updated = 0
    seen: set[str] = set()
    for p in parsed.entries:
        if p.identity in seen:
            continue
        seen.add(p.identity)
        row = existing.get(p.identity)
        if row is not None:
            if row.content_hash != p.content_hash:
                row.title, row.link, row.summary_html = p.title, p.link, p.summary_html
                row.content_hash, row.updated_at = p.content_hash, now
                row.work_streams = _match(keywords, p)
                session.add(row)
                updated += 1
            continue
        published = p.published_at or now
        old = first_poll and published < now - dt.timedelta(days=backlog_days)
        session.add(FeedEntry(
            feed_id=feed.id, identity=p.identity, guid=p.guid[:2000], link=p.link[:2000],
            title=p.title[:1000], summary_html=p.summary_html, author=p.author,
            published_at=published, first_seen_at=now, content_hash=p.content_hash,
            backlog=old, work_streams=_match(keywords, p)))
        if feed.kind == "member" and not old:
            session.add(MemberUpdate(organisation_id=feed.organisation_id,
                                     text=p.title or p.link, link=p.link, source="feed",
                                     source_id=f"{feed.id}:{p.identity}", posted_at=published))
        added += 1
    session.flush()
    return added, updated


def _keywords(session: Session) -> dict[str, list[str]]:
    return {w.key: [k.lower() for k in w.keywords] for w in session.exec(
        select(WorkStream).where(WorkStream.retired_at.is_(None))) if w.keywords}


def _match(keywords: dict[str, list[str]], entry) -> list[str]:
    text = f"{entry.title} {entry.summary_html}".lower()
    return sorted(key for key, words in keywords.items() if any(w in text for w in words))
