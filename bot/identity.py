"""Who is asking: a Slack user matched to a person of the coalition.

First by the Slack user id stored on the person; else by the email Slack gives for the user
(`users.info`), and the id is then remembered on the person so the next question needs no
call. A Slack user who is nobody in the store is remembered in this process for a while (with
the timezone Slack gives), so that every question does not cost a `users.info` call.

Only the people of a retired row are no longer anyone: no identity, no rights. And an email
is trusted only from our own workspace (or Enterprise Grid organisation): a user of another
workspace, met in a Slack Connect channel, has the email their own workspace gives them,
which anyone administering that workspace can set. They are matched by email never; only by a
`slack_user_id` the data file gives them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.dispatch import Asker
from store import people
from store.models import Person

log = logging.getLogger("coalition.bot.identity")


@dataclass(frozen=True)
class SlackProfile:
    user_id: str
    email: str
    timezone: str
    team_id: str = ""
    enterprise_id: str = ""


@dataclass(frozen=True)
class Workspace:
    """The workspace the bot's token belongs to (`auth.test`)."""

    team_id: str
    enterprise_id: str = ""

    def includes(self, profile: SlackProfile) -> bool:
        """Whether the user is one of ours: same workspace, or same Grid organisation."""
        if profile.team_id and profile.team_id == self.team_id:
            return True
        return bool(self.enterprise_id) and profile.enterprise_id == self.enterprise_id


def person_by_slack_id(session: Session, user_id: str) -> Person | None:
    return people.person_by_slack_id(session=session, user_id=user_id)


def remember(session: Session, *, profile: SlackProfile) -> Person | None:
    """The person with the profile's email, now remembered under the Slack user id."""
    if not profile.email:
        return None
    person = people.person_by_email(session=session, email=profile.email, current_only=True)
    if person is None:
        return None
    if person.slack_user_id != profile.user_id:
        holder = people.person_by_slack_id(session=session, user_id=profile.user_id,
                                           current_only=False)  # the id is unique in all rows
        if holder is not None and holder.id != person.id:
            holder.slack_user_id = None  # the id moved to another address: follow Slack
            session.add(holder)
            session.flush()
        person.slack_user_id = profile.user_id
        session.add(person)
        session.flush()
    return person


def fetch_profile(client, user_id: str) -> SlackProfile | None:
    """The user's email and timezone from `users.info`; None when Slack will not say."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as e:
        log.warning("users.info failed for %s: %s", user_id, e.response.get("error"))
        return None
    profile = user.get("profile") or {}
    grid = user.get("enterprise_user") or {}
    return SlackProfile(user_id, profile.get("email") or "", user.get("tz") or "",
                        team_id=user.get("team_id") or "",
                        enterprise_id=grid.get("enterprise_id") or "")


def fetch_workspace(client) -> Workspace | None:
    """Our workspace, from `auth.test` on the bot's token; None when Slack will not say."""
    try:
        found = client.auth_test()
    except SlackApiError as e:
        log.warning("auth.test failed: %s", e.response.get("error"))
        return None
    return Workspace(found.get("team_id") or "", found.get("enterprise_id") or "")


class Identities:
    """Matches Slack users to people; remembers strangers in this process for `ttl` seconds."""

    def __init__(self, *, default_timezone: str, ttl: float = 600.0):
        self.default_timezone = default_timezone
        self.ttl = ttl
        self._strangers: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._workspace: Workspace | None = None

    def known(self, session: Session, user_id: str) -> Asker | None:
        """The asker from the store or this process' memory alone; None: ask Slack first."""
        person = person_by_slack_id(session, user_id)
        if person is not None:
            return Asker(person=person, timezone=person.timezone)
        with self._lock:
            seen = self._strangers.get(user_id)
        if seen and seen[0] > time.monotonic():
            return Asker(timezone=seen[1] or self.default_timezone)
        return None

    def resolve(self, session: Session, client, user_id: str) -> Asker:
        """The asker, asking Slack for the user's email when the store does not know them."""
        asker = self.known(session, user_id)
        if asker is not None:
            return asker
        profile = fetch_profile(client, user_id) if user_id else None
        ours: bool | None = False
        if profile is not None and profile.email:
            ours = self._ours(client, profile)
        person = remember(session, profile=profile) if ours else None
        if person is not None:
            return Asker(person=person, timezone=person.timezone)
        timezone = _valid_zone(profile.timezone if profile else "") or self.default_timezone
        if ours is not None:  # None: our workspace is not known yet; ask again next time
            with self._lock:
                self._strangers[user_id] = (time.monotonic() + self.ttl, timezone)
        return Asker(timezone=timezone)

    def _ours(self, client, profile: SlackProfile) -> bool | None:
        """Whether the user is of our workspace; None when Slack would not say which ours is."""
        if self._workspace is None:
            self._workspace = fetch_workspace(client)
            if self._workspace is None:
                return None
        if not self._workspace.includes(profile):
            log.info("Slack user %s is of another workspace (%s): not matched by email",
                     profile.user_id, profile.team_id or "unknown")
            return False
        return True


def _valid_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return name if name and ZoneInfo(name) else ""
    except (ZoneInfoNotFoundError, ValueError):
        return ""
