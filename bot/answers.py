"""Answers to the coalition's everyday questions, as plain data.

Each answer takes a session and plain keyword arguments and returns a dataclass; it knows
nothing of Slack or terminals (see `bot.text` and `bot.blocks` for rendering).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from bot.matching import find_organisations, find_people, find_work_streams
from store.meetings import is_over, upcoming_meetings
from store.models import (
    AgendaItem,
    Deadline,
    Meeting,
    Organisation,
    Person,
    WorkStream,
    WorkStreamRole,
)


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
    owner: str | None
    owner_person: str | None
    work_stream: str | None
    kind: str
    status: str
    overdue: bool
    days_left: int | None
    source: str


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


def _active(model, today: dt.date):
    clauses = [model.retired_at.is_(None)]
    if model is WorkStreamRole:
        clauses += [or_(model.since.is_(None), model.since <= today),
                    or_(model.until.is_(None), model.until >= today)]
    return clauses


def local_date(now: dt.datetime, timezone: str) -> dt.date:
    return now.astimezone(ZoneInfo(timezone)).date()


def _person_ref(session: Session, person: Person) -> PersonRef:
    org = session.get(Organisation, person.organisation_id) if person.organisation_id else None
    return PersonRef(person.name, person.title, person.email, org.acronym if org else "",
                     person.slack_user_id, person.role)


def _meeting_view(session: Session, meeting: Meeting) -> MeetingView:
    items = session.exec(select(AgendaItem, WorkStream.key).outerjoin(
        WorkStream, WorkStream.id == AgendaItem.work_stream_id).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.retired_at.is_(None),
    ).order_by(AgendaItem.number)).all()
    chair = None
    if meeting.chair_id:
        row = session.exec(select(Person, Organisation.acronym).outerjoin(
            Organisation, Organisation.id == Person.organisation_id).where(
            Person.id == meeting.chair_id)).first()
        chair = _ref(*row) if row else None
    return MeetingView(
        key=meeting.key, series=meeting.series, number=meeting.number, title=meeting.title,
        starts_at=meeting.starts_at, ends_at=meeting.ends_at, timezone=meeting.timezone,
        precision=meeting.precision, online=meeting.online, location=meeting.location,
        link=meeting.link, chair=chair,
        status=meeting.status, purpose=meeting.purpose, documents=list(meeting.documents),
        agenda=[AgendaLine(i.number, i.title, ws_key, i.presenter) for i, ws_key in items],
    )


def _ref(person: Person, acronym: str | None) -> PersonRef:
    return PersonRef(person.name, person.title, person.email, acronym or "",
                     person.slack_user_id, person.role)


def meeting_agenda(*, session: Session, meeting: Meeting, timezone: str) -> AgendaAnswer:
    """The agenda of one given meeting."""
    return AgendaAnswer(asked=f"meeting {meeting.key}", meeting=_meeting_view(session, meeting),
                        timezone=timezone)


def agenda(*, session: Session, now: dt.datetime, number: int | None = None,
           series: str = "IMG", timezone: str = "Europe/Zurich") -> AgendaAnswer:
    """The agenda of meeting `number` of the series, or of the next meeting of the series."""
    if number is not None:
        meeting = session.exec(select(Meeting).where(
            Meeting.retired_at.is_(None), Meeting.number == number,
            func.lower(Meeting.series) == series.lower(),
        )).first()
        asked = f"meeting {number}"
    else:
        found = (upcoming_meetings(session, now, limit=1, series=series)
                 or upcoming_meetings(session, now, limit=1))
        meeting = found[0] if found else None
        asked = "next meeting"
    view = _meeting_view(session, meeting) if meeting else None
    return AgendaAnswer(asked=asked, meeting=view, timezone=timezone)


def meetings(*, session: Session, now: dt.datetime, limit: int = 5,
             timezone: str = "Europe/Zurich") -> MeetingsAnswer:
    upcoming = upcoming_meetings(session, now, limit=limit)
    query = select(Meeting).where(Meeting.retired_at.is_(None), Meeting.starts_at < now,
                                  ).order_by(col(Meeting.starts_at).desc())
    recent = [m for m in session.exec(query.limit(limit + 2)).all() if is_over(m, now)]
    return MeetingsAnswer([_meeting_view(session, m) for m in upcoming],
                          [_meeting_view(session, m) for m in recent[:limit]], timezone)


def next_deadlines(*, session: Session, now: dt.datetime, limit: int = 5,
                   work_stream: str | None = None, organisation: str | None = None,
                   timezone: str = "Europe/Zurich", due_from: dt.date | None = None,
                   due_until: dt.date | None = None,
                   overdue_only: bool = False) -> DeadlinesAnswer:
    """The next open deadlines from today on, and the overdue ones apart; those due between
    `due_from` and `due_until` (both included) when given; only the overdue if asked."""
    today = local_date(now, timezone)
    where = [Deadline.retired_at.is_(None), Deadline.status == "open",
             Deadline.due_on.is_not(None)]
    if due_from is not None:
        where.append(Deadline.due_on >= due_from)
    if due_until is not None:
        where.append(Deadline.due_on <= due_until)
    if overdue_only:
        where.append(Deadline.due_on < today)
    scope = "all"
    if work_stream:
        found = find_work_streams(session, work_stream)
        where.append(col(Deadline.work_stream_id).in_([w.id for w in found[:1]]))
        scope = f"work stream {found[0].key}" if found else f"work stream {work_stream!r} (unknown)"
    if organisation:
        found_orgs = find_organisations(session, organisation)
        where.append(col(Deadline.owner_organisation_id).in_([o.id for o in found_orgs[:1]]))
        scope = found_orgs[0].acronym if found_orgs else f"{organisation!r} (unknown)"
    upcoming = [] if overdue_only else _with_names(session, [*where, Deadline.due_on >= today],
                                                   limit)
    overdue = _with_names(session, [*where, Deadline.due_on < today], limit)
    total, late = session.exec(select(
        func.count(), func.coalesce(func.sum(case((Deadline.due_on < today, 1), else_=0)), 0),
    ).select_from(Deadline).where(*where)).one()
    return DeadlinesAnswer(
        today=today, scope=scope,
        upcoming=[_deadline_view(*row, today) for row in upcoming],
        overdue=[_deadline_view(*row, today) for row in overdue],
        more_upcoming=total - late - len(upcoming), more_overdue=late - len(overdue),
        due_from=due_from, due_until=due_until, overdue_only=overdue_only,
    )


def _with_names(session: Session, where: list, limit: int) -> list:
    """The first deadlines with their owner's acronym, owner person's name and work stream."""
    return session.exec(
        select(Deadline, Organisation.acronym, Person.name, WorkStream.key)
        .outerjoin(Organisation, Organisation.id == Deadline.owner_organisation_id)
        .outerjoin(Person, Person.id == Deadline.owner_person_id)
        .outerjoin(WorkStream, WorkStream.id == Deadline.work_stream_id)
        .where(*where).order_by(Deadline.due_on, Deadline.key).limit(limit)).all()


def _deadline_view(d: Deadline, owner: str | None, owner_person: str | None,
                   work_stream: str | None, today: dt.date) -> DeadlineView:
    return DeadlineView(
        key=d.key, title=d.title, due_text=d.due_text, starts_on=d.starts_on, due_on=d.due_on,
        owner=owner, owner_person=owner_person, work_stream=work_stream, kind=d.kind,
        status=d.status,
        overdue=d.status == "open" and d.due_on is not None and d.due_on < today,
        days_left=(d.due_on - today).days if d.due_on else None, source=d.source,
    )


def _ws_view(w: WorkStream) -> WorkStreamView:
    return WorkStreamView(w.key, w.kind, w.number, w.name, w.description, w.lead_note)


def _focal_points(session: Session, organisation_id: int) -> list[PersonRef]:
    people = session.exec(select(Person).where(
        Person.organisation_id == organisation_id, Person.retired_at.is_(None),
    ).order_by(Person.name)).all()
    preferred = [p for p in people if p.role in ("focal_point", "secretariat")] or people
    return [_person_ref(session, p) for p in preferred]


_ROLE_ORDER = {"lead": 0, "co-lead": 1, "support": 2, "interested": 3}


def who_leads(*, session: Session, query: str, now: dt.datetime,
              timezone: str = "Europe/Zurich") -> LeadAnswer:
    """Who leads a work stream, with every other role, the focal points and since when."""
    found = find_work_streams(session, query)
    if not found:
        return LeadAnswer(query, None, [], [])
    stream = found[0]
    today = local_date(now, timezone)
    rows = session.exec(select(WorkStreamRole, Organisation).join(Organisation).where(
        WorkStreamRole.work_stream_id == stream.id, *_active(WorkStreamRole, today),
    )).all()
    roles = [RoleView(o.acronym, o.name, r.role, r.since, r.until, r.note,
                      _focal_points(session, o.id)) for r, o in rows]
    roles.sort(key=lambda r: (_ROLE_ORDER.get(r.role, 9), r.organisation))
    return LeadAnswer(query, _ws_view(stream), roles, [_ws_view(w) for w in found[1:4]])


def who(*, session: Session, query: str, now: dt.datetime,
        timezone: str = "Europe/Zurich") -> WhoAnswer:
    """Who an organisation or a person is."""
    today = local_date(now, timezone)
    orgs = find_organisations(session, query)
    if orgs:
        o = orgs[0]
        rows = session.exec(select(WorkStreamRole, WorkStream).join(WorkStream).where(
            WorkStreamRole.organisation_id == o.id, *_active(WorkStreamRole, today),
        ).order_by(WorkStream.key)).all()
        people = session.exec(select(Person).where(
            Person.organisation_id == o.id, Person.retired_at.is_(None)).order_by(Person.name))
        return WhoAnswer(query, organisation=OrganisationView(
            o.acronym, o.name, o.kind, o.website,
            [(w.key, w.name, r.role) for r, w in rows],
            [_person_ref(session, p) for p in people],
        ), candidates=[x.acronym for x in orgs[1:]])
    people = find_people(session, query)
    if people:
        p = people[0]
        roles = []
        if p.organisation_id:
            rows = session.exec(select(WorkStreamRole, WorkStream).join(WorkStream).where(
                WorkStreamRole.organisation_id == p.organisation_id,
                *_active(WorkStreamRole, today),
            ).order_by(WorkStream.key)).all()
            roles = [(w.key, w.name, r.role) for r, w in rows]
        return WhoAnswer(query, person=_person_ref(session, p), person_roles=roles,
                         candidates=[x.name for x in people[1:]])
    return WhoAnswer(query)
