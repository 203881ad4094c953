"""Storing parsed entries: upserted by identity, matched to work streams, member updates.

Rows are written with bulk statements, not ORM objects: building thousands of SQLModel objects
cost more than fetching and parsing the feeds they came from.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from store.models import FeedEntry, MemberUpdate
from store.organisations import keywords_by_work_stream
from worker.parse import ParsedEntry, ParsedFeed

if TYPE_CHECKING:
    from worker.ingest import PolledFeed


def store_entries(*, session: Session, polled: list[tuple[PolledFeed, ParsedFeed, bool]],
                  now: dt.datetime, backlog_days: int,
                  keywords: dict[str, list[str]] | None = None) -> tuple[int, int]:
    """Upsert the entries of each (feed, parsed feed, first poll?) by identity: a changed entry
    is updated, never added twice; on a feed's first poll, entries older than `backlog_days`
    are kept out of digests. Returns (added, updated)."""
    if keywords is None:
        keywords = load_keywords(session)
    wanted: dict[tuple[int, str], ParsedEntry] = {}
    for feed, parsed, _first in polled:
        for entry in parsed.entries:
            wanted.setdefault((feed.id, entry.identity), entry)  # the first of duplicates wins
    known = _known(session, wanted)
    changed, rows, updates = [], [], []
    backlog_before = now - dt.timedelta(days=backlog_days)
    feeds = {feed.id: (feed, first) for feed, _parsed, first in polled}
    for (feed_id, identity), p in wanted.items():
        if (feed_id, identity) in known:
            entry_id, content_hash = known[feed_id, identity]
            if content_hash != p.content_hash:
                changed.append({"entry_id": entry_id, "title": p.title, "link": p.link,
                                "summary_html": p.summary_html, "content_hash": p.content_hash,
                                "updated_at": now, "work_streams": match(keywords, p)})
            continue
        feed, first_poll = feeds[feed_id]
        published = p.published_at or now
        old = first_poll and published < backlog_before
        rows.append({"feed_id": feed_id, "identity": identity, "guid": p.guid[:2000],
                     "link": p.link[:2000], "title": p.title[:1000],
                     "summary_html": p.summary_html, "author": p.author,
                     "published_at": published, "first_seen_at": now, "updated_at": None,
                     "content_hash": p.content_hash, "backlog": old,
                     "work_streams": match(keywords, p)})
        if feed.kind == "member" and not old:
            updates.append({"organisation_id": feed.organisation_id, "person_id": None,
                            "text": p.title or p.link, "link": p.link, "source": "feed",
                            "source_id": f"{feed_id}:{identity}", "posted_at": published,
                            "edited_at": None, "deleted_at": None})
    connection = session.connection()
    table = FeedEntry.__table__
    if changed:
        connection.execute(update(table).where(table.c.id == bindparam("entry_id")), changed)
    if rows:
        connection.execute(insert(table), rows)
    if updates:
        connection.execute(insert(MemberUpdate.__table__), updates)
    return len(rows), len(changed)


def _known(session: Session, wanted) -> dict[tuple[int, str], tuple[int, str]]:
    """(feed id, identity) -> (entry id, content hash) of the polled feeds' stored entries.

    Selected by feed, not by identity: a list of thousands of identities costs more to bind
    than the rows cost to read (none on a first poll)."""
    feed_ids = list({feed_id for feed_id, _identity in wanted})
    if not feed_ids:
        return {}
    return {(feed_id, identity): (entry_id, content_hash)
            for feed_id, identity, entry_id, content_hash in session.exec(
                select(FeedEntry.feed_id, FeedEntry.identity, FeedEntry.id,
                       FeedEntry.content_hash).where(col(FeedEntry.feed_id).in_(feed_ids)))}


def load_keywords(session: Session) -> dict[str, list[str]]:
    """Each current work stream's keywords, lower-cased."""
    return keywords_by_work_stream(session=session)


def match(keywords: dict[str, list[str]], entry) -> list[str]:
    if not keywords:
        return []
    text = f"{entry.title} {entry.summary_html}".lower()
    return sorted(key for key, words in keywords.items() if any(w in text for w in words))
