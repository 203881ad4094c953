"""Answers to the coalition's everyday questions, as plain data.

Each answer takes a session and plain keyword arguments and returns a dataclass; it knows
nothing of Slack or terminals (see `bot.text` and `bot.blocks` for rendering).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session

from store import deadlines as deadline_store
from store.actions import action_items
from store.deadlines import Named, is_exact, is_overdue
from store.meetings import (
    MAIN_SERIES,
    agenda_items,
    find_meeting,
    meeting_status,
    next_meeting,
    recent_meetings,
    upcoming_meetings,
)
from store.models import Meeting, Organisation, Person, WorkStream
from store.names import find_organisations, find_people, find_work_streams
from store.organisations import (
    acronyms,
    roles_of_organisation,
    roles_of_work_stream,
    work_stream_keys,
)
from store.people import contacts, members_of


@dataclass
class PersonRef:
    name: str
    title: str
    email: str
    organisation: str
    slack_user_id: str | None
    role: str


@dataclass
class AgendaLine:
    number: int
    title: str
    work_stream: str | None
    presenter: str


@dataclass
class MeetingView:
    key: str
    series: str
    number: int | None
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    timezone: str
    precision: str
    online: bool
    location: str
    link: str
    chair: PersonRef | None
    status: str
    purpose: str
    documents: list[str]
    agenda: list[AgendaLine]


@dataclass
class AgendaAnswer:
    asked: str
    meeting: MeetingView | None
    timezone: str


@dataclass
class MeetingsAnswer:
    upcoming: list[MeetingView]
    recent: list[MeetingView]
    timezone: str


@dataclass
class DeadlineView:
    key: str
    title: str
    due_text: str
    starts_on: dt.date | None
    due_on: dt.date | None
    owner: str | None  # the owners' acronyms, joined ("BRS, UNITAR")
    owner_person: str | None
    work_stream: str | None
    kind: str
    status: str
    overdue: bool
    days_left: int | None  # None for a month or period not yet over: no day to count to
    source: str
    owners: list[str] = field(default_factory=list)


@dataclass
class DeadlinesAnswer:
    today: dt.date
    scope: str
    upcoming: list[DeadlineView]
    overdue: list[DeadlineView]
    more_upcoming: int = 0
    more_overdue: int = 0
    due_from: dt.date | None = None  # the window asked for ("next week"), if one was
    due_until: dt.date | None = None
    overdue_only: bool = False
    # `deadlines mine`: the asker's open action items (theirs and their organisation's)
    mine: bool = False
    actions: list[DeadlineView] = field(default_factory=list)


@dataclass
class RoleView:
    organisation: str
    organisation_name: str
    role: str
    since: dt.date | None
    until: dt.date | None
    note: str
    focal_points: list[PersonRef] = field(default_factory=list)


@dataclass
class WorkStreamView:
    key: str
    kind: str
    number: int | None
    name: str
    description: str
    lead_note: str


@dataclass
class LeadAnswer:
    query: str
    work_stream: WorkStreamView | None
    roles: list[RoleView]
    candidates: list[WorkStreamView]

    @property
    def leads(self) -> list[RoleView]:
        return [r for r in self.roles if r.role in ("lead", "co-lead")]

    @property
    def no_lead(self) -> bool:
        return self.work_stream is not None and not self.leads


@dataclass
class OrganisationView:
    acronym: str
    name: str
    kind: str
    website: str
    roles: list[tuple[str, str, str]]  # (work stream key, work stream name, role)
    people: list[PersonRef]


@dataclass
class WhoAnswer:
    query: str
    organisation: OrganisationView | None = None
    person: PersonRef | None = None
    person_roles: list[tuple[str, str, str]] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)


@dataclass
class HelpAnswer:
    note: str = ""


def local_date(now: dt.datetime, timezone: str) -> dt.date:
    return deadline_store.local_today(now, timezone)


def _person_ref(person: Person, orgs: dict[int, str]) -> PersonRef:
    return PersonRef(person.name, person.title, person.email,
                     orgs.get(person.organisation_id, "") if person.organisation_id else "",
                     person.slack_user_id, person.role)


def _meeting_view(session: Session, meeting: Meeting, now: dt.datetime) -> MeetingView:
    streams = work_stream_keys(session=session)
    chair = session.get(Person, meeting.chair_id) if meeting.chair_id else None
    return MeetingView(
        key=meeting.key, series=meeting.series, number=meeting.number, title=meeting.title,
        starts_at=meeting.starts_at, ends_at=meeting.ends_at, timezone=meeting.timezone,
        precision=meeting.precision, online=meeting.online, location=meeting.location,
        link=meeting.link,
        chair=_person_ref(chair, acronyms(session=session)) if chair else None,
        status=meeting_status(meeting, now), purpose=meeting.purpose,
        documents=list(meeting.documents),
        agenda=[AgendaLine(i.number, i.title, streams.get(i.work_stream_id), i.presenter)
                for i in agenda_items(session=session, meeting=meeting)],
    )


def meeting_agenda(*, session: Session, meeting: Meeting, timezone: str,
                   now: dt.datetime) -> AgendaAnswer:
    """The agenda of one given meeting."""
    return AgendaAnswer(asked=f"meeting {meeting.key}",
                        meeting=_meeting_view(session, meeting, now), timezone=timezone)


def agenda(*, session: Session, now: dt.datetime, number: int | None = None,
           series: str = MAIN_SERIES, timezone: str = "Europe/Zurich") -> AgendaAnswer:
    """The agenda of meeting `number` of the series, or of the next meeting."""
    if number is not None:
        meeting = find_meeting(session=session, ref=str(number), series=series)
        asked = f"meeting {number}"
    else:
        meeting = next_meeting(session=session, now=now, series=series)
        asked = "next meeting"
    view = _meeting_view(session, meeting, now) if meeting else None
    return AgendaAnswer(asked=asked, meeting=view, timezone=timezone)


def meetings(*, session: Session, now: dt.datetime, limit: int = 5,
             timezone: str = "Europe/Zurich") -> MeetingsAnswer:
    upcoming = upcoming_meetings(session=session, now=now, limit=limit)
    recent = recent_meetings(session=session, now=now, limit=limit)
    return MeetingsAnswer([_meeting_view(session, m, now) for m in upcoming],
                          [_meeting_view(session, m, now) for m in recent], timezone)


def next_deadlines(*, session: Session, now: dt.datetime, limit: int = 5,
                   work_stream: str | None = None, organisation: str | None = None,
                   timezone: str = "Europe/Zurich", due_from: dt.date | None = None,
                   due_until: dt.date | None = None, overdue_only: bool = False,
                   mine: Person | None = None) -> DeadlinesAnswer:
    """The next open deadlines from today on, and the overdue ones apart; with `mine` (the
    asker), their open action items as well."""
    scope = "all"
    stream_id = org_id = None
    if work_stream:
        found = find_work_streams(session=session, query=work_stream)
        stream_id = found[0].id if found else -1
        scope = f"work stream {found[0].key}" if found else f"work stream {work_stream!r} (unknown)"
    org = None
    if organisation:
        found_orgs = find_organisations(session=session, query=organisation)
        org = found_orgs[0] if found_orgs else None
        org_id = org.id if org else -1
        scope = org.acronym if org else f"{organisation!r} (unknown)"
    found = deadline_store.open_deadlines(
        session=session, now=now, timezone=timezone, limit=limit, work_stream_id=stream_id,
        organisation_id=org_id, due_from=due_from, due_until=due_until,
        overdue_only=overdue_only)
    today = found.today
    actions = []
    if mine is not None:
        actions = [deadline_view(item, today)
                   for item in action_items(session=session, person=mine)]
    return DeadlinesAnswer(
        today=today, scope=scope,
        upcoming=[deadline_view(item, today) for item in found.upcoming],
        overdue=[deadline_view(item, today) for item in found.overdue],
        more_upcoming=found.more_upcoming, more_overdue=found.more_overdue,
        due_from=due_from, due_until=due_until, overdue_only=overdue_only,
        mine=mine is not None, actions=actions,
    )


def deadline_view(item: Named, today: dt.date) -> DeadlineView:
    """A deadline as every surface shows it, as of the reader's `today`."""
    d = item.deadline
    overdue = d.status == "open" and is_overdue(d.due_on, today)
    days_left = (d.due_on - today).days if d.due_on and (overdue or is_exact(d)) else None
    return DeadlineView(
        key=d.key, title=d.title, due_text=d.due_text, starts_on=d.starts_on, due_on=d.due_on,
        owner=", ".join(item.owners) or None, owner_person=item.owner_person,
        work_stream=item.work_stream, kind=d.kind, status=d.status, overdue=overdue,
        days_left=days_left, source=d.source, owners=list(item.owners),
    )


def _ws_view(w: WorkStream) -> WorkStreamView:
    return WorkStreamView(w.key, w.kind, w.number, w.name, w.description, w.lead_note)


def _focal_points(session: Session, organisation_id: int,
                  orgs: dict[int, str]) -> list[PersonRef]:
    people = members_of(session=session, organisation_id=organisation_id)
    return [_person_ref(p, orgs) for p in contacts(people)]


_ROLE_ORDER = {"lead": 0, "co-lead": 1, "support": 2, "interested": 3}


def who_leads(*, session: Session, query: str, now: dt.datetime,
              timezone: str = "Europe/Zurich") -> LeadAnswer:
    """Who leads a work stream, with every other role, the focal points and since when."""
    found = find_work_streams(session=session, query=query)
    if not found:
        return LeadAnswer(query, None, [], [])
    stream = found[0]
    today = local_date(now, timezone)
    orgs = acronyms(session=session)
    rows = roles_of_work_stream(session=session, work_stream_id=stream.id, today=today)
    roles = [RoleView(o.acronym, o.name, r.role, r.since, r.until, r.note,
                      _focal_points(session, o.id, orgs)) for r, o in rows]
    roles.sort(key=lambda r: (_ROLE_ORDER.get(r.role, 9), r.organisation))
    return LeadAnswer(query, _ws_view(stream), roles, [_ws_view(w) for w in found[1:4]])


def who(*, session: Session, query: str, now: dt.datetime,
        timezone: str = "Europe/Zurich") -> WhoAnswer:
    """Who an organisation or a person is."""
    today = local_date(now, timezone)
    orgs = find_organisations(session=session, query=query)
    names = acronyms(session=session)
    if orgs:
        o: Organisation = orgs[0]
        rows = roles_of_organisation(session=session, organisation_id=o.id, today=today)
        people = members_of(session=session, organisation_id=o.id)
        return WhoAnswer(query, organisation=OrganisationView(
            o.acronym, o.name, o.kind, o.website,
            [(w.key, w.name, r.role) for r, w in rows],
            [_person_ref(p, names) for p in people],
        ), candidates=[x.acronym for x in orgs[1:]])
    people = find_people(session=session, query=query)
    if people:
        p = people[0]
        roles = []
        if p.organisation_id:
            rows = roles_of_organisation(session=session, organisation_id=p.organisation_id,
                                         today=today)
            roles = [(w.key, w.name, r.role) for r, w in rows]
        return WhoAnswer(query, person=_person_ref(p, names), person_roles=roles,
                         candidates=[x.name for x in people[1:]])
    return WhoAnswer(query)
