"""Import the coalition data file into the store, idempotently, in time linear in the file.

Rows are matched on natural keys. Each row keeps a hash of its entry in the file
(`entry_hash`): a sync leaves alone every item whose entry is unchanged, so an edit made in
Slack (a deadline marked done or re-opened, a meeting moved) lasts until the secretariat
changes that entry in the file, and an unchanged file is re-synced in one pass of reading. A
changed entry is written whole (values that did not change are written as they were); an
item missing from the file is retired (`retired_at` set), and comes back to life when it
reappears. Items added in Slack or made from minutes are not the file's to retire.

A file that would retire more than half of the organisations, people, work streams, meetings
or deadlines stored is refused (`SyncRefused`) unless `allow_retire`: an emptied or truncated
file is a slip far more often than a decision. The caller commits: a refused or bad file
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import gc
import secrets
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, func, insert, update
from sqlmodel import Session, SQLModel, col, select

from store.datafile import DataFile, DataFileError, MeetingItem, entry_hash, load_data_file
from store.models import (
    AgendaItem,
    Attendance,
    Deadline,
    DeadlineOwner,
    Meeting,
    Organisation,
    Person,
    WorkStream,
    WorkStreamRole,
)
from store.periods import parse_period

CHUNK = 500  # ids per IN (...) list


class SyncRefused(DataFileError):
    """The file would retire more than half of what is stored; nothing was changed."""


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


@dataclass
class _Entry:
    key: Any
    hash: str
    values: Callable[[dict | None], dict]  # the row's values, given the stored row (or None)


def _chunks(values: list, size: int = CHUNK):
    for at in range(0, len(values), size):
        yield values[at:at + size]


class _Syncer:
    def __init__(self, session: Session, now: dt.datetime):
        self.session = session
        self.now = now
        self.report = SyncReport()
        self._keys: dict[type[SQLModel], tuple] = {}

    def stored(self, model: type[SQLModel], key: Callable[[Any], Any], *columns,
               ) -> dict[Any, Any]:
        """The stored rows' id, hash, retirement and key columns, by natural key."""
        self._keys[model] = (key, columns)
        query = select(model.id, model.entry_hash, model.retired_at, *columns)
        return {key(row): row for row in self.session.exec(query)}

    def apply(self, model: type[SQLModel], label: str, stored: dict, entries: list[_Entry],
              ) -> tuple[dict[Any, int], list[int]]:
        """Insert the new entries, rewrite the changed ones, skip the unchanged; the ids by
        key of every entry, and the ids of the rows written. `stored` keeps the rows the
        file no longer has."""
        ids: dict[Any, int] = {}
        new: list[_Entry] = []
        changed: list[tuple[_Entry, Any]] = []
        for entry in entries:
            row = stored.pop(entry.key, None)
            if row is None:
                new.append(entry)
            elif row.entry_hash == entry.hash and row.retired_at is None:
                ids[entry.key] = row.id
            else:
                changed.append((entry, row))
        written = self._insert(model, label, new, ids) + self._rewrite(model, label, changed,
                                                                       ids)
        return ids, written

    def _insert(self, model, label: str, new: list[_Entry], ids: dict) -> list[int]:
        if not new:
            return []
        rows = [{**e.values(None), "entry_hash": e.hash} for e in new]
        for batch in _chunks(rows, 5000):  # Core executemany: the driver's fast path
            self.session.execute(insert(model.__table__), batch)
        key, columns = self._keys[model]
        found = {key(row): row.id for row in self.session.exec(select(model.id, *columns))}
        made = [found[e.key] for e in new]
        ids.update(zip((e.key for e in new), made, strict=True))
        self.report.added[label] += len(new)
        return made

    def _rewrite(self, model, label: str, changed: list, ids: dict) -> list[int]:
        if not changed:
            return []
        table = model.__table__
        full = {}
        for batch in _chunks([row.id for _, row in changed]):
            for row in self.session.execute(select(table).where(table.c.id.in_(batch))):
                full[row.id] = row._mapping
        updates = []
        for entry, row in changed:
            before = full[row.id]
            values = entry.values(before)
            if row.retired_at is not None or any(before[k] != v for k, v in values.items()):
                self.report.updated[label] += 1
            updates.append({**values, "entry_hash": entry.hash, "retired_at": None,
                            "id": row.id})
            ids[entry.key] = row.id
        names = [c for c in updates[0] if c != "id"]
        statement = update(table).where(table.c.id == bindparam("b_id")).values(
            {c: bindparam(f"b_{c}") for c in names})
        for batch in _chunks(updates, 5000):
            self.session.execute(statement, [{f"b_{k}": v for k, v in u.items()}
                                             for u in batch])
        return [u["id"] for u in updates]

    def retire(self, model, label: str, leftovers: dict, keep=lambda row: False) -> None:
        ids = [row.id for row in leftovers.values() if row.retired_at is None and not keep(row)]
        for batch in _chunks(ids):
            self.session.execute(update(model).where(col(model.id).in_(batch))
                                 .values(retired_at=self.now))
        if ids:
            self.report.retired[label] += len(ids)


_GUARDED = (("organisations", Organisation, "acronym"), ("people", Person, "email"),
            ("work streams", WorkStream, "key"), ("meetings", Meeting, "key"),
            ("deadlines", Deadline, "key"))


def _refuse_mass_retirement(session: Session, data: DataFile, source: str) -> None:
    """SyncRefused when the file would retire more than half of any kind of item stored."""
    in_file = {
        "organisations": {o.acronym.lower() for o in data.organisations},
        "people": {p.email.lower() for p in data.people},
        "work streams": {w.key for w in data.work_streams},
        "meetings": {m.key for m in data.meetings},
        "deadlines": {d.key for d in data.deadlines},
    }
    over = []
    for label, model, key in _GUARDED:
        query = select(getattr(model, key)).where(model.retired_at.is_(None))
        if hasattr(model, "origin"):
            query = query.where(model.origin == "data")
        stored = [k.lower() if label in ("organisations", "people") else k
                  for k in session.exec(query)]
        gone = sum(1 for k in stored if k not in in_file[label])
        if gone * 2 > len(stored):
            over.append(f"{gone} of {len(stored)} {label}")
    if over:
        raise SyncRefused(
            f"{source} would retire " + ", ".join(over) + " (more than half of what is "
            "stored); nothing was changed",
            hint="if the file is right, run `coalition sync --allow-retire`")


def sync_data(*, session: Session, data: DataFile, now: dt.datetime,
              allow_retire: bool = False, source: str = "the data file") -> SyncReport:
    """Write the validated data file to the store; the caller commits."""
    if not allow_retire:
        _refuse_mass_retirement(session, data, source)
    s = _Syncer(session, now)
    org_ids = _organisations(s, data)
    person_ids = _people(s, data, org_ids)
    stream_ids = _work_streams(s, data, org_ids)
    meeting_ids = _meetings(s, data, person_ids, stream_ids)
    _deadlines(s, data, org_ids, person_ids, stream_ids, meeting_ids)
    session.flush()
    return s.report


def _organisations(s: _Syncer, data: DataFile) -> dict[str, int]:
    stored = s.stored(Organisation, lambda r: r.acronym.lower(), Organisation.acronym,
                      Organisation.parent_id)
    parents_before = {row.id: row.parent_id for row in stored.values()}
    entries = [_Entry(o.acronym.lower(), o.entry_hash, lambda _row, o=o: {
        "acronym": o.acronym, "name": o.name, "kind": o.kind, "website": o.website,
        "aliases": o.aliases, "unit": o.unit}) for o in data.organisations]
    ids, written = s.apply(Organisation, "organisations", stored, entries)
    s.retire(Organisation, "organisations", stored)
    written_set = set(written)
    parents = [{"id": ids[o.acronym.lower()],
                "parent_id": ids[o.parent.lower()] if o.parent else None}
               for o in data.organisations if ids[o.acronym.lower()] in written_set]
    moved = [{"b_id": p["id"], "b_parent": p["parent_id"]} for p in parents
             if parents_before.get(p["id"]) != p["parent_id"]]
    if moved:
        table = Organisation.__table__
        s.session.execute(update(table).where(table.c.id == bindparam("b_id")).values(
            parent_id=bindparam("b_parent")), moved)
    return ids


def _people(s: _Syncer, data: DataFile, org_ids: dict[str, int]) -> dict[str, int]:
    stored = s.stored(Person, lambda r: r.email.lower(), Person.email)

    def values(p, row):
        found = {"email": p.email, "name": p.name, "title": p.title,
                 "organisation_id": org_ids[p.organisation.lower()] if p.organisation else None,
                 "role": p.role, "timezone": p.timezone}
        # a Slack user id the file gives is the file's; one the bot remembered stays
        found["slack_user_id"] = p.slack_user_id or (row["slack_user_id"] if row else None)
        if row is None:  # a subscription is the person's own choice once they exist
            found["digest_subscribed"] = p.digest
            found["unsubscribe_token"] = secrets.token_urlsafe(24)
        return found

    entries = [_Entry(p.email.lower(), p.entry_hash, lambda row, p=p: values(p, row))
               for p in data.people]
    pending = [e for e in entries if e.key not in stored or stored[e.key].entry_hash != e.hash
               or stored[e.key].retired_at is not None]
    pending_keys = {e.key for e in pending}
    given = [{"b_sid": p.slack_user_id, "b_email": p.email.lower()} for p in data.people
             if p.slack_user_id and p.email.lower() in pending_keys]
    if given:  # the file gives these ids to these people: nobody else holds them any more
        table = Person.__table__
        s.session.execute(update(table).where(
            table.c.slack_user_id == bindparam("b_sid"),
            func.lower(table.c.email) != bindparam("b_email")).values(slack_user_id=None),
            given)
    ids, _ = s.apply(Person, "people", stored, entries)
    s.retire(Person, "people", stored)
    return ids


def _work_streams(s: _Syncer, data: DataFile, org_ids: dict[str, int]) -> dict[str, int]:
    stored = s.stored(WorkStream, lambda r: r.key, WorkStream.key)
    entries = [_Entry(w.key, w.entry_hash, lambda _row, w=w: {
        "key": w.key, "kind": w.kind, "number": w.number, "name": w.name,
        "aliases": w.aliases, "description": w.description, "lead_note": w.lead_note,
        "keywords": w.keywords}) for w in data.work_streams]
    ids, _ = s.apply(WorkStream, "work streams", stored, entries)
    s.retire(WorkStream, "work streams", stored)
    roles = s.stored(WorkStreamRole, lambda r: (r.work_stream_id, r.organisation_id, r.role),
                     WorkStreamRole.work_stream_id, WorkStreamRole.organisation_id,
                     WorkStreamRole.role)
    role_entries = []
    for w in data.work_streams:
        for r in w.roles:
            key = (ids[w.key], org_ids[r.organisation.lower()], r.role)
            role_entries.append(_Entry(key, r.entry_hash, lambda _row, r=r, key=key: {
                "work_stream_id": key[0], "organisation_id": key[1], "role": r.role,
                "since": r.since, "until": r.until, "note": r.note}))
    s.apply(WorkStreamRole, "work stream roles", roles, role_entries)
    s.retire(WorkStreamRole, "work stream roles", roles)
    return ids


_STATUS = {"held": "planned"}  # time tells upcoming from held; the file marks the rest


def _meetings(s: _Syncer, data: DataFile, person_ids: dict[str, int],
              stream_ids: dict[str, int]) -> dict[str, int]:
    stored = s.stored(Meeting, lambda r: r.key, Meeting.key, Meeting.origin)

    def values(m: MeetingItem) -> dict:
        starts, ends = meeting_times(m)
        return {"key": m.key, "series": m.series, "number": m.number, "title": m.title,
                "starts_at": starts, "ends_at": ends, "timezone": m.timezone,
                "precision": m.precision, "online": m.online, "location": m.location,
                "link": m.link, "chair_id": person_ids[m.chair.lower()] if m.chair else None,
                "status": _STATUS.get(m.status, m.status), "purpose": m.purpose,
                "documents": m.documents, "origin": "data"}

    entries = [_Entry(m.key, m.entry_hash, lambda _row, m=m: values(m)) for m in data.meetings]
    ids, _ = s.apply(Meeting, "meetings", stored, entries)
    # Meetings added in Slack are not the data file's to retire.
    s.retire(Meeting, "meetings", stored, keep=lambda row: row.origin != "data")

    agenda = s.stored(AgendaItem, lambda r: (r.meeting_id, r.number), AgendaItem.meeting_id,
                      AgendaItem.number)
    attendance = s.stored(Attendance, lambda r: (r.meeting_id, r.person_id),
                          Attendance.meeting_id, Attendance.person_id)
    agenda_entries, attendance_entries = [], []
    for m in data.meetings:
        meeting_id = ids[m.key]
        for a in m.agenda:
            agenda_entries.append(_Entry((meeting_id, a.number), a.entry_hash,
                                         lambda _row, a=a, mid=meeting_id: {
                "meeting_id": mid, "number": a.number, "title": a.title,
                "work_stream_id": stream_ids[a.work_stream] if a.work_stream else None,
                "presenter": a.presenter, "description": a.description}))
        for position, email in enumerate(m.participants, start=1):
            pid = person_ids[email.lower()]
            attendance_entries.append(_Entry(
                (meeting_id, pid), entry_hash({"email": email.lower(), "position": position}),
                lambda _row, mid=meeting_id, pid=pid, n=position: {
                    "meeting_id": mid, "person_id": pid, "position": n, "present": True}))
    s.apply(AgendaItem, "agenda items", agenda, agenda_entries)
    s.retire(AgendaItem, "agenda items", agenda)
    s.apply(Attendance, "participants", attendance, attendance_entries)
    s.retire(Attendance, "participants", attendance)
    return ids


def _deadlines(s: _Syncer, data: DataFile, org_ids: dict[str, int],
               person_ids: dict[str, int], stream_ids: dict[str, int],
               meeting_ids: dict[str, int]) -> None:
    stored = s.stored(Deadline, lambda r: r.key, Deadline.key, Deadline.origin)
    owners: dict[str, list[int]] = {}

    def values(d, row) -> dict:
        period = parse_period(d.due)
        owner_ids = owners[d.key]
        if d.status == "done":
            done_at = row["done_at"] if row is not None and row["done_at"] else s.now
        else:
            done_at = None
        return {
            "key": d.key, "title": d.title, "description": d.description,
            "due_text": period.text, "starts_on": period.starts_on, "due_on": period.ends_on,
            "owner_organisation_id": owner_ids[0] if owner_ids else None,
            "owner_person_id": person_ids[d.owner_person.lower()] if d.owner_person else None,
            "work_stream_id": stream_ids[d.work_stream] if d.work_stream else None,
            "meeting_id": meeting_ids[d.meeting] if d.meeting else None,
            "from_meeting_id": meeting_ids[d.from_meeting] if d.from_meeting else None,
            "kind": d.kind, "status": d.status, "source": d.source, "origin": "data",
            "done_at": done_at,
        }

    for d in data.deadlines:
        owners[d.key] = [org_ids[a.lower()] for a in d.owner_list]
    entries = [_Entry(d.key, d.entry_hash, lambda row, d=d: values(d, row))
               for d in data.deadlines]
    ids, written = s.apply(Deadline, "deadlines", stored, entries)
    # Action items made from minutes or in Slack are not the data file's to retire.
    s.retire(Deadline, "deadlines", stored, keep=lambda row: row.origin != "data")
    _write_owners(s, written, {ids[d.key]: owners[d.key] for d in data.deadlines})


def _write_owners(s: _Syncer, written: list[int], owners: dict[int, list[int]]) -> None:
    """The owner rows of the deadlines just written: as the file lists them."""
    wanted = {i: owners[i] for i in written}
    have: dict[int, list[int]] = {}
    for batch in _chunks(list(wanted)):
        for deadline_id, org_id in s.session.exec(
                select(DeadlineOwner.deadline_id, DeadlineOwner.organisation_id)
                .where(col(DeadlineOwner.deadline_id).in_(batch))
                .order_by(DeadlineOwner.deadline_id, DeadlineOwner.position)):
            have.setdefault(deadline_id, []).append(org_id)
    redo = [i for i, orgs in wanted.items() if have.get(i, []) != orgs]
    for batch in _chunks([i for i in redo if i in have]):
        s.session.execute(delete(DeadlineOwner).where(col(DeadlineOwner.deadline_id).in_(batch)))
    rows = [{"deadline_id": i, "organisation_id": org_id, "position": n}
            for i in redo for n, org_id in enumerate(wanted[i])]
    for batch in _chunks(rows, 5000):
        s.session.execute(insert(DeadlineOwner), batch)


def meeting_times(m: MeetingItem) -> tuple[dt.datetime, dt.datetime | None]:
    """The meeting's start and end as UTC instants; a meeting known by its month starts on
    the first of it, one known by its day at its midnight (in its timezone)."""
    zone = ZoneInfo(m.timezone)
    starts = m.starts
    if m.precision != "minute":
        day = starts.date() if isinstance(starts, dt.datetime) else starts
        if m.precision == "month":
            day = day.replace(day=1)
        starts = dt.datetime.combine(day, dt.time(0, 0))
    elif not isinstance(starts, dt.datetime):
        starts = dt.datetime.combine(starts, dt.time(0, 0))
    starts = (starts if starts.tzinfo else starts.replace(tzinfo=zone)).astimezone(dt.UTC)
    ends = m.ends
    if ends is not None:
        ends = (ends if ends.tzinfo else ends.replace(tzinfo=zone)).astimezone(dt.UTC)
    return starts, ends


@contextmanager
def _without_collections():
    """No garbage collection while the file's items are built and written: they are plain
    data without cycles, and with tens of thousands of them alive, each collection walked
    them all again (a third of an unchanged re-sync)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sync_file(*, session: Session, path: Path, now: dt.datetime,
              allow_retire: bool = False) -> SyncReport:
    """Validate the file, then write it; raises DataFileError before touching the store."""
    with _without_collections():
        return sync_data(session=session, data=load_data_file(path), now=now,
                         allow_retire=allow_retire, source=str(path))
