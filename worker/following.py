"""Which feeds the worker follows: adding (or re-adding) and listing them, shared by
`coalition feeds add`, OPML import and export, and the demo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import Session, select

from coalition.errors import InputError
from store.models import Feed
from store.organisations import acronyms, ids_by_acronym
from worker.local import is_local
from worker.opml import KINDS, OpmlFeed


class FollowError(InputError, ValueError):
    """A feed that cannot be followed as given; the message says what is expected."""


def follow(*, session: Session, url: str, origin: str, now: dt.datetime,
           interval_minutes: int, kind: str = "news", organisation: str = "",
           tags: Iterable[str] = (), title: str = "", allow_files: bool = False) -> Feed:
    """Follow `url` (a new or retired feed is polled at the next poll); the caller commits.
    Following a feed again updates its kind, organisation, tags and title."""
    url = url.strip()
    if kind not in KINDS:
        raise FollowError(f"{url}: kind must be news, publication or member, got {kind!r}")
    if is_local(url):
        if not allow_files:
            raise FollowError(f"{url}: local files can be followed only from the config or "
                              "`coalition feeds add`")
    elif not url.lower().startswith(("http://", "https://")) or len(url) > 2000:
        raise FollowError(f"{url!r}: a feed address starts with http:// or https://")
    org_id = None
    if organisation:
        org_id = ids_by_acronym(session=session).get(organisation.lower())
        if org_id is None:
            raise FollowError(f"{url}: no organisation {organisation!r} in the data file")
    feed = session.exec(select(Feed).where(Feed.url == url)).first()
    if feed is None:
        feed = Feed(url=url, created_at=now, interval_minutes=interval_minutes)
    if feed.retired_at is not None:
        feed.retired_at, feed.status, feed.next_poll_at = None, "new", None
    feed.kind, feed.organisation_id, feed.tags = kind, org_id, list(tags)
    feed.origin = origin
    if title:
        feed.title = title[:300]
    session.add(feed)
    return feed


def followed(session: Session) -> list[OpmlFeed]:
    """The feeds followed now (not retired), as OPML entries."""
    names = acronyms(session=session)
    rows = session.exec(select(Feed).where(Feed.retired_at.is_(None)).order_by(Feed.id)).all()
    return [OpmlFeed(url=f.url, title=f.title, kind=f.kind,
                     organisation=names.get(f.organisation_id, ""), tags=list(f.tags or []))
            for f in rows]
