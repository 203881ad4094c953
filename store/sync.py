"""Import the coalition data file into the store, idempotently.

Rows are matched on natural keys. A value is written only when it differs, so a second sync of
the same file changes nothing; an item missing from the file is retired (`retired_at` set), and
comes back to life when it reappears. The caller commits: a bad file changes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, SQLModel, select

from store.datafile import DataFile, MeetingItem, load_data_file
from store.models import (
    AgendaItem,
    Attendance,
    Deadline,
    Meeting,
    Organisation,
    Person,
    WorkStream,
    WorkStreamRole,
)
from store.periods import parse_period


@dataclass
class SyncReport:
    added: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    retired: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired)

    def summary(self) -> str:
        parts = []
        for label, counter in (("added", self.added), ("updated", self.updated),
                               ("retired", self.retired)):
            if counter:
                items = ", ".join(f"{n} {kind}" for kind, n in sorted(counter.items()))
                parts.append(f"{label} {items}")
        return "; ".join(parts) or "no changes"


class _Syncer:
    def __init__(self, session: Session, now: dt.datetime):
        self.session = session
        self.now = now
        self.report = SyncReport()

    def upsert(self, model: type[SQLModel], existing: dict[Any, SQLModel], key: Any,
               values: dict[str, Any], label: str) -> SQLModel:
        """Create or update the row under `key`, writing only the values that differ."""
        row = existing.pop(key, None)
        if row is None:
            row = model(**values)
            self.session.add(row)
            self.session.flush()
            self.report.added[label] += 1
            return row
        changed = False
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if row.retired_at is not None:
            row.retired_at = None
            changed = True
        if changed:
            self.session.add(row)
            self.report.updated[label] += 1
        return row

    def retire(self, leftovers: dict[Any, SQLModel], label: str) -> None:
        for row in leftovers.values():
            if row.retired_at is None:
                row.retired_at = self.now
                self.session.add(row)
                self.report.retired[label] += 1

    def index(self, model: type[SQLModel], key) -> dict[Any, SQLModel]:
        return {key(row): row for row in self.session.exec(select(model))}


def sync_data(*, session: Session, data: DataFile, now: dt.datetime) -> SyncReport:
    """Write the validated data file to the store; the caller commits."""
    s = _Syncer(session, now)

    orgs = s.index(Organisation, lambda o: o.acronym.lower())
    org_ids: dict[str, int] = {}
    for o in data.organisations:
        row = s.upsert(Organisation, orgs, o.acronym.lower(), {
            "acronym": o.acronym, "name": o.name, "kind": o.kind, "website": o.website,
            "aliases": o.aliases, "unit": o.unit,
        }, "organisations")
        org_ids[o.acronym.lower()] = row.id
    s.retire(orgs, "organisations")
    for o in data.organisations:
        row = session.get(Organisation, org_ids[o.acronym.lower()])
        parent = org_ids.get(o.parent.lower()) if o.parent else None
        if row.parent_id != parent:
            row.parent_id = parent
            session.add(row)

    def org(acronym: str) -> int | None:
        return org_ids[acronym.lower()] if acronym else None

    people = s.index(Person, lambda p: p.email.lower())
    person_ids: dict[str, int] = {}
    for p in data.people:
        key = p.email.lower()
        values = {"email": p.email, "name": p.name, "title": p.title,
                  "organisation_id": org(p.organisation), "role": p.role,
                  "timezone": p.timezone}
        if p.slack_user_id:
            values["slack_user_id"] = p.slack_user_id
        if key not in people:  # a subscription is the person's own choice once they exist
            values["digest_subscribed"] = p.digest
            values["unsubscribe_token"] = secrets.token_urlsafe(24)
        row = s.upsert(Person, people, key, values, "people")
        person_ids[key] = row.id
    s.retire(people, "people")

    def person(email: str) -> int | None:
        return person_ids[email.lower()] if email else None

    streams = s.index(WorkStream, lambda w: w.key)
    stream_ids: dict[str, int] = {}
    roles = s.index(WorkStreamRole, lambda r: (r.work_stream_id, r.organisation_id, r.role))
    for w in data.work_streams:
        row = s.upsert(WorkStream, streams, w.key, {
            "key": w.key, "kind": w.kind, "number": w.number, "name": w.name,
            "aliases": w.aliases, "description": w.description, "lead_note": w.lead_note,
            "keywords": w.keywords,
        }, "work streams")
        stream_ids[w.key] = row.id
        for r in w.roles:
            org_id = org(r.organisation)
            s.upsert(WorkStreamRole, roles, (row.id, org_id, r.role), {
                "work_stream_id": row.id, "organisation_id": org_id, "role": r.role,
                "since": r.since, "until": r.until, "note": r.note,
            }, "work stream roles")
    s.retire(streams, "work streams")
    s.retire(roles, "work stream roles")

    def stream(key: str) -> int | None:
        return stream_ids[key] if key else None

    meetings = s.index(Meeting, lambda m: m.key)
    meeting_ids: dict[str, int] = {}
    agenda = s.index(AgendaItem, lambda a: (a.meeting_id, a.number))
    attendance = s.index(Attendance, lambda a: (a.meeting_id, a.person_id))
    for m in data.meetings:
        starts, ends = _meeting_times(m)
        row = s.upsert(Meeting, meetings, m.key, {
            "key": m.key, "series": m.series, "number": m.number, "title": m.title,
            "starts_at": starts, "ends_at": ends, "timezone": m.timezone,
            "precision": m.precision, "online": m.online, "location": m.location,
            "link": m.link, "chair_id": person(m.chair), "status": m.status,
            "purpose": m.purpose, "documents": m.documents, "origin": "data",
        }, "meetings")
        meeting_ids[m.key] = row.id
        for a in m.agenda:
            s.upsert(AgendaItem, agenda, (row.id, a.number), {
                "meeting_id": row.id, "number": a.number, "title": a.title,
                "work_stream_id": stream(a.work_stream), "presenter": a.presenter,
                "description": a.description,
            }, "agenda items")
        for position, email in enumerate(m.participants, start=1):
            pid = person(email)
            s.upsert(Attendance, attendance, (row.id, pid), {
                "meeting_id": row.id, "person_id": pid, "position": position,
            }, "participants")
    # Meetings added in Slack are not the data file's to retire.
    s.retire({k: v for k, v in meetings.items() if v.origin == "data"}, "meetings")
    s.retire(agenda, "agenda items")
    s.retire(attendance, "participants")

    deadlines = s.index(Deadline, lambda d: d.key)
    for d in data.deadlines:
        period = parse_period(d.due)
        values = {
            "key": d.key, "title": d.title, "description": d.description,
            "due_text": period.text, "starts_on": period.starts_on, "due_on": period.ends_on,
            "owner_organisation_id": org(d.owner), "owner_person_id": person(d.owner_person),
            "work_stream_id": stream(d.work_stream),
            "meeting_id": meeting_ids[d.meeting] if d.meeting else None,
            "kind": d.kind, "status": d.status, "source": d.source, "origin": "data",
        }
        row = deadlines.get(d.key)
        if d.status == "done" and (row is None or row.done_at is None):
            values["done_at"] = now
        elif d.status != "done":
            values["done_at"] = None
        s.upsert(Deadline, deadlines, d.key, values, "deadlines")
    # Action items made from minutes or Slack are not the data file's to retire.
    s.retire({k: v for k, v in deadlines.items() if v.origin == "data"}, "deadlines")
    session.flush()
    return s.report


def _meeting_times(m: MeetingItem) -> tuple[dt.datetime, dt.datetime | None]:
    zone = ZoneInfo(m.timezone)
    starts = m.starts
    if not isinstance(starts, dt.datetime):
        starts = dt.datetime.combine(starts, dt.time(0, 0))
    starts = (starts if starts.tzinfo else starts.replace(tzinfo=zone)).astimezone(dt.UTC)
    ends = m.ends
    if ends is not None:
        ends = (ends if ends.tzinfo else ends.replace(tzinfo=zone)).astimezone(dt.UTC)
    return starts, ends


def sync_file(*, session: Session, path: Path, now: dt.datetime) -> SyncReport:
    """Validate the file, then write it; raises DataFileError before touching the store."""
    return sync_data(session=session, data=load_data_file(path), now=now)
