"""Which feeds the worker follows: adding (or re-adding) and listing them, shared by
`coalition feeds add`, OPML import and export, and the demo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import Session

from coalition.errors import InputError
from store.feeds import follow_feed, followed_feeds, organisation_ids
from worker.local import is_local
from worker.opml import KINDS, OpmlFeed


class FollowError(InputError, ValueError):
    """A feed that cannot be followed as given; the message says what is expected."""


def follow(*, session: Session, url: str, origin: str, now: dt.datetime,
           interval_minutes: int, kind: str = "news", organisation: str = "",
           tags: Iterable[str] = (), title: str = "", allow_files: bool = False) -> int:
    """Follow `url` (a new or retired feed is polled at the next poll); the caller commits.
    Following a feed again updates its kind, organisation, tags and title. Returns its id."""
    url = url.strip()
    check_followable(url, kind, allow_files=allow_files)
    org_id = None
    if organisation:
        org_id = organisation_ids(session).get(organisation.lower())
        if org_id is None:
            raise FollowError(f"{url}: no organisation {organisation!r} in the data file")
    return follow_feed(session=session, url=url, origin=origin, now=now,
                       interval_minutes=interval_minutes, kind=kind, organisation_id=org_id,
                       tags=list(tags), title=title)


def check_followable(url: str, kind: str = "news", *, allow_files: bool = False) -> None:
    """Refuse, with what is expected, a kind or an address that cannot be followed."""
    if kind not in KINDS:
        raise FollowError(f"{url}: kind must be news, publication or member, got {kind!r}")
    if is_local(url):
        if not allow_files:
            raise FollowError(f"{url}: local files can be followed only from the config or "
                              "`coalition feeds add`")
    elif not url.lower().startswith(("http://", "https://")) or len(url) > 2000:
        raise FollowError(f"{url!r}: a feed address starts with http:// or https://")


def followed(session: Session) -> list[OpmlFeed]:
    """The feeds followed now (not retired), as OPML entries."""
    return [OpmlFeed(url=f.url, title=f.title, kind=f.kind, organisation=f.organisation,
                     tags=list(f.tags or [])) for f in followed_feeds(session)]
