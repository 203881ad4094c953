"""Every statement on feed entries and the member updates feeds yield: reading what a poll
must match against, writing its entries in bulk (Core statements, one per kind of change and
batch), listing a feed's entries. Which entry is which is the worker's rule
(`worker.entries.same_entries`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session

from store.models import FeedEntry, MemberUpdate, WorkStream

ENTRY = FeedEntry.__table__
UPDATE = MemberUpdate.__table__
IN_BATCH = 500  # ids in one `IN` list


class StoredEntry(NamedTuple):
    """A stored entry, as much as matching a poll's entries to it needs."""
    id: int
    feed_id: int
    identity: str
    link: str
    content_hash: str
    seen_at: dt.datetime | None


def stored_entries(session: Session, feed_ids: Sequence[int]) -> dict[int, list[StoredEntry]]:
    """The polled feeds' stored entries, by feed.

    Selected by feed, not by identity: a list of thousands of identities costs more to bind
    than the rows cost to read (none on a first poll)."""
    found: dict[int, list[StoredEntry]] = {}
    if not feed_ids:
        return found
    for row in session.connection().execute(
            select(ENTRY.c.id, ENTRY.c.feed_id, ENTRY.c.identity, ENTRY.c.link,
                   ENTRY.c.content_hash, ENTRY.c.seen_at)
            .where(ENTRY.c.feed_id.in_(list(feed_ids)))):
        found.setdefault(row.feed_id, []).append(StoredEntry(*row))
    return found


def insert_entries(*, session: Session, rows: Sequence[dict]) -> None:
    """New entries, one dict of column values each."""
    if rows:
        session.connection().execute(insert(ENTRY), list(rows))


def update_entries(*, session: Session, rows: Sequence[dict]) -> None:
    """Changed entries: `entry_id` and the columns to set (the same ones in every dict)."""
    if rows:
        session.connection().execute(
            update(ENTRY).where(ENTRY.c.id == bindparam("entry_id")), list(rows))


def mark_seen(*, session: Session, ids: Sequence[int], now: dt.datetime) -> None:
    """The entries found unchanged in their feed this poll were seen now."""
    ids = list(ids)
    for at in range(0, len(ids), IN_BATCH):
        session.connection().execute(update(ENTRY).where(
            ENTRY.c.id.in_(ids[at:at + IN_BATCH])).values(seen_at=now))


def insert_member_updates(*, session: Session, rows: Sequence[dict]) -> None:
    if rows:
        session.connection().execute(insert(UPDATE), list(rows))


def update_member_updates(*, session: Session, rows: Sequence[dict], now: dt.datetime) -> None:
    """The member updates of changed entries, by their `source_id` (`text` and `link` set)."""
    if rows:
        session.connection().execute(
            update(UPDATE).where(UPDATE.c.source == "feed",
                                 UPDATE.c.source_id == bindparam("update_source_id"))
            .values(edited_at=now), list(rows))


def load_keywords(session: Session) -> dict[str, list[str]]:
    """Each current work stream's keywords, lower-cased."""
    table = WorkStream.__table__
    return {key: [k.lower() for k in keywords] for key, keywords in session.connection().execute(
        select(table.c.key, table.c.keywords).where(table.c.retired_at.is_(None)))
        if keywords}


class EntryRow(NamedTuple):
    """An entry as `coalition feeds show` presents it."""
    title: str
    link: str
    guid: str
    author: str
    published_at: dt.datetime
    first_seen_at: dt.datetime
    updated_at: dt.datetime | None
    seen_at: dt.datetime | None
    summary_html: str
    content_html: str
    work_streams: list[str]
    backlog: bool


def entries_of(session: Session, feed_id: int, *, limit: int | None = None) -> list[EntryRow]:
    """A feed's stored entries, the newest first."""
    query = (select(ENTRY.c.title, ENTRY.c.link, ENTRY.c.guid, ENTRY.c.author,
                    ENTRY.c.published_at, ENTRY.c.first_seen_at, ENTRY.c.updated_at,
                    ENTRY.c.seen_at, ENTRY.c.summary_html, ENTRY.c.content_html,
                    ENTRY.c.work_streams, ENTRY.c.backlog)
             .where(ENTRY.c.feed_id == feed_id)
             .order_by(ENTRY.c.published_at.desc(), ENTRY.c.id.desc()).limit(limit))
    return [EntryRow(*row) for row in session.connection().execute(query)]
