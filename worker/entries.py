"""Storing a poll's entries: which stored entry each one is (a pure rule, `same_entries`),
then new ones added, changed ones updated, in statements over the whole batch
(`store.entries`).

Identity. An entry is its GUID (else its link, else its title and date) within its feed. Some
feeds give their entries a new GUID at every poll; so an entry whose GUID is new is still a
stored entry of the same feed, seen there in the last `[feeds] identity_window_days`, when
its link is that entry's link, or, when it has no link of its own (none, or one that several
entries of the document share, such as a home page), when its title, link and text are that
entry's. Such an entry is updated, never added, and its member update follows it: a feed
whose GUIDs rotate adds nothing. When in doubt (a stored entry another entry of the document
already is) the entries stay apart. The stored identity is the one the entry was first seen
with. This follows the `reader` library's entry_dedupe, which keeps both whenever unsure.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from sqlmodel import Session

from store.entries import (
    StoredEntry,
    insert_entries,
    insert_member_updates,
    mark_seen,
    stored_entries,
    update_entries,
    update_member_updates,
)
from store.feeds import ClaimedFeed
from worker.parse import ParsedEntry, ParsedFeed


def same_entries(entries: Sequence[ParsedEntry], stored: Sequence[StoredEntry], *,
                 since: dt.datetime | None) -> list[tuple[ParsedEntry, StoredEntry | None]]:
    """Each entry of one feed's document, once (the first of those with the same identity),
    with the stored entry of that feed it is, or None for a new one. Stored entries last seen
    before `since` are matched by identity only; `since=None`: identity only."""
    unique: dict[str, ParsedEntry] = {}
    for entry in entries:
        unique.setdefault(entry.identity, entry)
    by_identity = {s.identity: s for s in stored}
    found: dict[str, StoredEntry] = {}
    for identity in unique:
        if identity in by_identity:
            found[identity] = by_identity[identity]
    if since is not None and len(found) < len(unique):
        _match_recent(unique, found, stored, since)
    return [(entry, found.get(identity)) for identity, entry in unique.items()]


def _match_recent(unique: dict[str, ParsedEntry], found: dict[str, StoredEntry],
                  stored: Sequence[StoredEntry], since: dt.datetime) -> None:
    """Entries of new identity matched to stored entries seen since `since`, by link where
    the link is the entry's own, else by content hash; each stored entry taken once."""
    taken = {s.id for s in found.values()}
    recent = sorted((s for s in stored if s.id not in taken and s.seen_at is not None
                     and s.seen_at >= since), key=lambda s: (s.seen_at, s.id), reverse=True)
    if not recent:
        return
    by_link: dict[str, StoredEntry] = {}
    by_hash: dict[str, StoredEntry] = {}
    for s in recent:  # the most recently seen first
        if s.link:
            by_link.setdefault(s.link, s)
        by_hash.setdefault(s.content_hash, s)
    links = Counter(entry.link for entry in unique.values() if entry.link)
    for identity, entry in unique.items():
        if identity in found:
            continue
        own_link = entry.link and links[entry.link] == 1
        match = by_link.get(entry.link) if own_link else by_hash.get(entry.content_hash)
        if match is not None and match.id not in taken:
            found[identity] = match
            taken.add(match.id)


def store_entries(*, session: Session, polled: Sequence[tuple[ClaimedFeed, ParsedFeed]],
                  now: dt.datetime, backlog_days: int, window_days: int,
                  keywords: dict[str, list[str]]) -> tuple[int, int]:
    """Add or update the entries of each (feed, parsed feed), by identity: a changed entry is
    updated, never added twice; on a feed's first poll, entries older than `backlog_days` are
    kept out of digests. Returns (added, updated)."""
    stored = stored_entries(session, list({feed.id for feed, _parsed in polled}))
    since = now - dt.timedelta(days=window_days) if window_days else None
    backlog_before = now - dt.timedelta(days=backlog_days)
    new, changed, seen, new_updates, changed_updates = [], [], [], [], []
    for feed, parsed in polled:
        for p, known in same_entries(parsed.entries, stored.get(feed.id, []), since=since):
            if known is None:
                published = p.published_at or now
                old = feed.first_poll and published < backlog_before
                new.append(_new_row(feed, p, now, published, old, keywords))
                if feed.kind == "member" and not old:
                    new_updates.append(_member_update(feed, p, p.identity, published))
            elif known.content_hash == p.content_hash:
                seen.append(known.id)
            else:
                changed.append({"entry_id": known.id, "title": p.title[:1000],
                                "link": p.link[:2000], "summary_html": p.summary_html,
                                "content_html": p.content_html, "author": p.author,
                                "content_hash": p.content_hash, "updated_at": now,
                                "seen_at": now, "work_streams": match(keywords, p)})
                if feed.kind == "member":
                    changed_updates.append({"update_source_id": f"{feed.id}:{known.identity}",
                                            "text": p.title or p.link, "link": p.link})
    insert_entries(session=session, rows=new)
    update_entries(session=session, rows=changed)
    mark_seen(session=session, ids=seen, now=now)
    insert_member_updates(session=session, rows=new_updates)
    update_member_updates(session=session, rows=changed_updates, now=now)
    return len(new), len(changed)


def _new_row(feed: ClaimedFeed, p: ParsedEntry, now: dt.datetime, published: dt.datetime,
             backlog: bool, keywords: dict[str, list[str]]) -> dict:
    return {"feed_id": feed.id, "identity": p.identity, "guid": p.guid[:2000],
            "link": p.link[:2000], "title": p.title[:1000], "summary_html": p.summary_html,
            "content_html": p.content_html, "author": p.author, "published_at": published,
            "first_seen_at": now, "updated_at": None, "seen_at": now,
            "content_hash": p.content_hash, "backlog": backlog,
            "work_streams": match(keywords, p)}


def _member_update(feed: ClaimedFeed, p: ParsedEntry, identity: str,
                   published: dt.datetime) -> dict:
    return {"organisation_id": feed.organisation_id, "person_id": None,
            "text": p.title or p.link, "link": p.link, "source": "feed",
            "source_id": f"{feed.id}:{identity}", "posted_at": published, "edited_at": None,
            "deleted_at": None}


def match(keywords: dict[str, list[str]], entry) -> list[str]:
    """The work streams whose keywords the entry's title or summary mentions."""
    if not keywords:
        return []
    text = f"{entry.title} {entry.summary_html}".lower()
    return sorted(key for key, words in keywords.items() if any(w in text for w in words))
