"""A person's weekly digest as data: a pure function of the store, the person and `now`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from store.actions import mine as actions_of
from store.actions import open_action_items
from store.deadlines import Named, is_overdue, open_deadline_list, without_owner
from store.meetings import agenda_items, next_meeting
from store.models import Feed, FeedEntry, Meeting, MemberUpdate, Person
from store.organisations import (
    acronyms,
    work_stream_keys,
    work_streams_by_organisation,
    work_streams_without_lead,
)
from store.when import imprecise_when


@dataclass
class MeetingItem:
    title: str
    when: str
    where: str
    agenda: list[str]


@dataclass
class DeadlineItem:
    key: str
    title: str
    due: str
    owner: str
    work_stream: str
    overdue: bool
    yours: bool


@dataclass
class UpdateItem:
    organisation: str
    text: str
    link: str
    posted: str


@dataclass
class NewsItem:
    title: str
    link: str
    summary_html: str
    source: str
    published: str
    work_streams: list[str]
    relevant: bool


@dataclass
class OlderOverdue:
    """Overdue items older than `[digest] stale_overdue_weeks`, folded into one line per owner:
    "and 5 older overdue items of EMG"."""

    owner: str  # the owner organisation's acronym ("" for none)
    count: int
    yours: bool


@dataclass
class AdminSection:
    failing_feeds: list[str] = field(default_factory=list)
    deadlines_without_owner: list[str] = field(default_factory=list)
    work_streams_without_lead: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.failing_feeds or self.deadlines_without_owner
                    or self.work_streams_without_lead)


@dataclass
class DigestContent:
    coalition: str
    person_name: str
    person_email: str
    timezone: str
    week: int
    meeting: MeetingItem | None
    meeting_day: str
    deadlines: list[DeadlineItem]
    actions: list[DeadlineItem]
    updates: list[UpdateItem]
    news: list[NewsItem]
    more_news: int
    admin: AdminSection | None
    older_overdue: list[OlderOverdue] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing to tell (folded old overdue items are not news)."""
        return not (self.meeting or self.deadlines or self.actions or self.updates
                    or self.news or self.admin)


@dataclass
class Shared:
    """What every recipient's digest draws on, loaded once per run (not once per person)."""

    now: dt.datetime
    since: dt.datetime
    coalition: str
    week: int  # the period's ISO week, in the coalition's timezone: the same for every reader
    orgs: dict[int, str]
    streams: dict[int, str]
    stream_orgs: dict[int, set[str]]  # organisation id -> keys of work streams it has a role in
    feeds: dict[int, str]
    meeting: Meeting | None
    agenda: list[str]
    deadlines: list[Named]  # open, dated, not action items, due by the horizon
    actions: list[Named]  # every open action item (`store.actions`)
    updates: list[MemberUpdate]
    entries: list[FeedEntry]
    admin: AdminSection
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def remember(self, key: tuple, make: Callable[[], Any]) -> Any:
        """`make()`, worked out once per key: the parts of digests many readers share."""
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]

    @classmethod
    def load(cls, session: Session, *, now: dt.datetime, since: dt.datetime, coalition: str,
             deadline_weeks: int = 4, week: int | None = None) -> Shared:
        """`week`: the digest period's (default: the ISO week of `now` in UTC)."""
        meeting = next_meeting(session=session, now=now)
        agenda = [] if meeting is None else [
            f"{i.number}. {i.title}" for i in agenda_items(session=session, meeting=meeting)]
        horizon = (now + dt.timedelta(weeks=deadline_weeks, days=1)).date()
        return cls(
            now=now, since=since, coalition=coalition,
            week=week if week is not None else now.astimezone(dt.UTC).isocalendar()[1],
            orgs=acronyms(session=session), streams=work_stream_keys(session=session),
            stream_orgs=work_streams_by_organisation(session=session),
            feeds={f.id: f.title or f.url for f in session.exec(select(Feed))},
            meeting=meeting, agenda=agenda,
            deadlines=open_deadline_list(session=session, due_until=horizon,
                                         not_kind="action"),
            actions=open_action_items(session=session),
            updates=list(session.exec(select(MemberUpdate).where(
                MemberUpdate.deleted_at.is_(None), MemberUpdate.posted_at >= since,
                MemberUpdate.posted_at < now).order_by(MemberUpdate.posted_at))),
            entries=list(session.exec(select(FeedEntry).where(
                FeedEntry.backlog.is_(False), FeedEntry.first_seen_at >= since,
                FeedEntry.first_seen_at < now,
            ).order_by(col(FeedEntry.published_at).desc()).limit(500))),
            admin=_admin(session),
        )


def _local(value: dt.datetime, timezone: str) -> dt.datetime:
    return value.astimezone(ZoneInfo(timezone))


def _meeting_item(shared: Shared, timezone: str) -> tuple[MeetingItem | None, str]:
    m = shared.meeting
    if m is None:
        return None, ""
    imprecise = imprecise_when(m)
    if imprecise is not None:
        local = _local(m.starts_at, m.timezone)
        when, day = imprecise, f"{local:%b}" if m.precision == "month" else f"{local:%a}"
    else:
        reader = _local(m.starts_at, timezone)
        when, day = f"{reader:%A %d %B %Y, %H:%M} ({timezone})", f"{reader:%a}"
    where = ", ".join(x for x in ("online" if m.online else "", m.location, m.link) if x)
    return MeetingItem(m.title, when, where or "to be confirmed", shared.agenda), day


def _deadline_item(item: Named, today: dt.date, shared: Shared, mine: set[str],
                   org: str) -> DeadlineItem:
    d = item.deadline
    stream = shared.streams.get(d.work_stream_id, "")
    due = d.due_text or (d.due_on.isoformat() if d.due_on else "no date")
    return DeadlineItem(d.key, d.title, due, ", ".join(item.owners), stream,
                        is_overdue(d.due_on, today), bool(org and org in item.owners)
                        or stream in mine)


def reader_name(person: Person) -> str:
    """How the digest greets its reader."""
    return f"{person.title} {person.name}".strip()


def build_digest(*, person: Person, shared: Shared, deadline_weeks: int = 4,
                 news_limit: int = 8, stale_overdue_weeks: int = 8) -> DigestContent:
    """Everything one person should read this week, from the run's shared data: the reader's
    own organisation's and work streams' items first, overdue items older than
    `stale_overdue_weeks` folded into one line per owner. The parts that depend only on the
    reader's timezone and organisation are built once a run."""
    tz, org_id = person.timezone, person.organisation_id
    today, meeting, meeting_day, updates = shared.remember(
        ("timezone", tz), lambda: _for_timezone(shared, tz))
    deadlines, older, news = shared.remember(
        ("organisation", tz, org_id, deadline_weeks, stale_overdue_weeks),
        lambda: _for_organisation(shared, today, tz, org_id, deadline_weeks,
                                  stale_overdue_weeks))
    org = shared.orgs.get(org_id, "")
    mine = shared.stream_orgs.get(org_id, set())
    actions = [_deadline_item(item, today, shared, mine, org) for item in actions_of(
        shared.actions, person_id=person.id, organisation_id=org_id)]
    news_limit = max(news_limit, 0)
    return DigestContent(
        coalition=shared.coalition, person_name=reader_name(person),
        person_email=person.email, timezone=tz, week=shared.week,
        meeting=meeting, meeting_day=meeting_day, deadlines=list(deadlines), actions=actions,
        updates=list(updates), news=news[:news_limit],
        more_news=max(0, len(news) - news_limit) if news_limit else 0,
        admin=shared.admin if person.role == "secretariat" and shared.admin else None,
        older_overdue=list(older),
    )


def _for_timezone(shared: Shared, tz: str) -> tuple:
    local_now = _local(shared.now, tz)
    meeting, meeting_day = _meeting_item(shared, tz)
    updates = [UpdateItem(shared.orgs.get(u.organisation_id, ""), u.text, u.link,
                          f"{_local(u.posted_at, tz):%a %d %b}") for u in shared.updates]
    return local_now.date(), meeting, meeting_day, updates


def _for_organisation(shared: Shared, today: dt.date, tz: str, org_id: int | None,
                      deadline_weeks: int, stale_overdue_weeks: int = 8) -> tuple:
    """(deadlines shown, older overdue ones folded by owner, news), the reader's first."""
    horizon = today + dt.timedelta(weeks=deadline_weeks)
    stale_before = today - dt.timedelta(weeks=stale_overdue_weeks)
    org = shared.orgs.get(org_id, "")
    mine = shared.stream_orgs.get(org_id, set())
    deadlines, folded = [], {}
    for named in shared.deadlines:
        due_on = named.deadline.due_on
        if due_on > horizon:
            continue
        item = _deadline_item(named, today, shared, mine, org)
        if due_on < stale_before:
            count, yours = folded.get(item.owner, (0, False))
            folded[item.owner] = (count + 1, yours or item.yours)
        else:
            deadlines.append(item)
    deadlines.sort(key=lambda d: (not d.yours, not d.overdue))  # stable: by due date within
    older = sorted((OlderOverdue(owner, count, yours)
                    for owner, (count, yours) in folded.items()),
                   key=lambda o: (not o.yours, o.owner == "", o.owner))
    news = [NewsItem(e.title, e.link, e.summary_html, shared.feeds.get(e.feed_id, ""),
                     f"{_local(e.published_at, tz):%d %b}", list(e.work_streams),
                     bool(mine & set(e.work_streams))) for e in shared.entries]
    news.sort(key=lambda n: (not n.relevant, -len(n.work_streams)))
    return deadlines, older, news


def _admin(session: Session) -> AdminSection:
    failing = [f"{f.title or f.url}: {f.last_error[:120]}" for f in session.exec(
        select(Feed).where(Feed.status == "failing", Feed.retired_at.is_(None)))]
    no_owner = [d.title for d in without_owner(session=session)]
    no_lead = [f"{w.name} ({w.key})" for w in work_streams_without_lead(session=session)]
    return AdminSection(failing, no_owner, no_lead)
