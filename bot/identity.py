"""Who is asking: a Slack user matched to a person of the coalition.

First by the Slack user id stored on the person; else by the email Slack gives for the user
(`users.info`), and the id is then remembered on the person so the next question needs no
call. A Slack user who is nobody in the store is remembered in this process for a while (with
the timezone Slack gives), so that every question does not cost a `users.info` call.
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
        holder = person_by_slack_id(session, profile.user_id)
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
    return SlackProfile(user_id, profile.get("email") or "", user.get("tz") or "")


class Identities:
    """Matches Slack users to people; remembers strangers in this process for `ttl` seconds."""

    def __init__(self, *, default_timezone: str, ttl: float = 600.0):
        self.default_timezone = default_timezone
        self.ttl = ttl
        self._strangers: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

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
        person = remember(session, profile=profile) if profile else None
        if person is not None:
            return Asker(person=person, timezone=person.timezone)
        timezone = _valid_zone(profile.timezone if profile else "") or self.default_timezone
        with self._lock:
            self._strangers[user_id] = (time.monotonic() + self.ttl, timezone)
        return Asker(timezone=timezone)


def _valid_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return name if name and ZoneInfo(name) else ""
    except (ZoneInfoNotFoundError, ValueError):
        return ""
