"""Deadlines: the open ones in date order with the overdue apart, finding one by key, their
owners. The one home of these questions for every surface.

Overdue means past due: a deadline due today is not overdue, whatever the hour, in the
reader's own timezone (`is_overdue`, and the same boundary in SQL below).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, func, insert
from sqlmodel import Session, col, select

from store.current import current
from store.models import Deadline, DeadlineOwner, Organisation, Person, WorkStream


def local_today(now: dt.datetime, timezone: str) -> dt.date:
    """Today's date for a reader in `timezone`."""
    return now.astimezone(ZoneInfo(timezone)).date()


def is_overdue(due_on: dt.date | None, today: dt.date) -> bool:
    """Past due: due before today (due today is not overdue)."""
    return due_on is not None and due_on < today


def is_exact(deadline) -> bool:
    """Whether the deadline is known to the day (not a month or a period, nor open-ended)."""
    return deadline.due_on is not None and deadline.starts_on == deadline.due_on


@dataclass
class Named:
    """A deadline with the names it is shown with."""

    deadline: Deadline
    owners: list[str] = field(default_factory=list)  # acronyms, first owner first
    owner_person: str | None = None
    work_stream: str | None = None
    owner_ids: list[int] = field(default_factory=list)  # the owners' ids, in the same order


@dataclass
class OpenDeadlines:
    today: dt.date
    upcoming: list[Named]
    overdue: list[Named]
    more_upcoming: int = 0
    more_overdue: int = 0


def owned_by(organisation_id: int):
    """The SQL condition "the organisation is one of the deadline's owners"."""
    return col(Deadline.id).in_(select(DeadlineOwner.deadline_id).where(
        DeadlineOwner.organisation_id == organisation_id))


def _open(*, work_stream_id: int | None = None, organisation_id: int | None = None,
          due_from: dt.date | None = None, due_until: dt.date | None = None,
          kind: str | None = None, not_kind: str | None = None) -> list:
    where = [current(Deadline), Deadline.status == "open", Deadline.due_on.is_not(None)]
    if work_stream_id is not None:
        where.append(Deadline.work_stream_id == work_stream_id)
    if organisation_id is not None:
        where.append(owned_by(organisation_id))
    if due_from is not None:
        where.append(Deadline.due_on >= due_from)
    if due_until is not None:
        where.append(Deadline.due_on <= due_until)
    if kind is not None:
        where.append(Deadline.kind == kind)
    if not_kind is not None:
        where.append(Deadline.kind != not_kind)
    return where


def open_deadlines(*, session: Session, now: dt.datetime, timezone: str, limit: int = 5,
                   work_stream_id: int | None = None, organisation_id: int | None = None,
                   due_from: dt.date | None = None, due_until: dt.date | None = None,
                   overdue_only: bool = False) -> OpenDeadlines:
    """The next `limit` open dated deadlines from the reader's today on, and the `limit`
    oldest overdue ones apart, with how many more of each there are. `due_from` and
    `due_until` narrow both to a window; `overdue_only` leaves the upcoming out."""
    today = local_today(now, timezone)
    where = _open(work_stream_id=work_stream_id, organisation_id=organisation_id,
                  due_from=due_from, due_until=due_until)
    late = Deadline.due_on < today  # is_overdue, in SQL
    upcoming = [] if overdue_only else _named_rows(
        session, [*where, Deadline.due_on >= today], limit)
    overdue = _named_rows(session, [*where, late], limit)
    total, n_late = session.exec(select(
        func.count(), func.coalesce(func.sum(case((late, 1), else_=0)), 0),
    ).select_from(Deadline).where(*where)).one()
    n_upcoming = 0 if overdue_only else total - n_late
    _add_owners(session, upcoming + overdue)
    return OpenDeadlines(today=today, upcoming=upcoming, overdue=overdue,
                         more_upcoming=n_upcoming - len(upcoming),
                         more_overdue=n_late - len(overdue))


def open_deadline_list(*, session: Session, due_from: dt.date | None = None,
                       due_until: dt.date | None = None, not_kind: str | None = None,
                       ) -> list[Named]:
    """Every open dated deadline in the window, in date order, with its names."""
    rows = _named_rows(session, _open(due_from=due_from, due_until=due_until,
                                      not_kind=not_kind), None)
    _add_owners(session, rows)
    return rows


def calendar_deadlines(*, session: Session, work_stream_id: int | None = None) -> list[Named]:
    """The current dated deadlines not cancelled (open or done), in date order."""
    where = [current(Deadline), Deadline.due_on.is_not(None), Deadline.status != "cancelled"]
    if work_stream_id is not None:
        where.append(Deadline.work_stream_id == work_stream_id)
    rows = _named_rows(session, where, None)
    _add_owners(session, rows)
    return rows


def without_owner(*, session: Session) -> list[Deadline]:
    """Open deadlines nobody owns: no owner organisation and no owner person."""
    owned = select(DeadlineOwner.deadline_id)
    return list(session.exec(select(Deadline).where(
        current(Deadline), Deadline.status == "open", Deadline.owner_person_id.is_(None),
        col(Deadline.id).not_in(owned)).order_by(Deadline.due_on, Deadline.key)))


def _named_rows(session: Session, where: list, limit: int | None) -> list[Named]:
    query = (select(Deadline, Person.name, WorkStream.key)
             .outerjoin(Person, Person.id == Deadline.owner_person_id)
             .outerjoin(WorkStream, WorkStream.id == Deadline.work_stream_id)
             .where(*where).order_by(Deadline.due_on, Deadline.key))
    if limit is not None:
        query = query.limit(limit)
    return [Named(d, [], person, stream) for d, person, stream in session.exec(query)]


def _add_owners(session: Session, rows: list[Named]) -> None:
    owners = owners_of(session=session, deadline_ids=[r.deadline.id for r in rows])
    for row in rows:
        found = owners.get(row.deadline.id, [])
        row.owner_ids = [org_id for org_id, _ in found]
        row.owners = [acronym for _, acronym in found]


def owners_of(*, session: Session, deadline_ids: Iterable[int],
              ) -> dict[int, list[tuple[int, str]]]:
    """(id, acronym) of the owners of each deadline, first owner first."""
    ids = list(deadline_ids)
    found: dict[int, list[tuple[int, str]]] = {}
    for at in range(0, len(ids), 500):
        for deadline_id, org_id, acronym in session.exec(
                select(DeadlineOwner.deadline_id, Organisation.id, Organisation.acronym)
                .join(Organisation, Organisation.id == DeadlineOwner.organisation_id)
                .where(col(DeadlineOwner.deadline_id).in_(ids[at:at + 500]))
                .order_by(DeadlineOwner.deadline_id, DeadlineOwner.position,
                          DeadlineOwner.id)):
            found.setdefault(deadline_id, []).append((org_id, acronym))
    return found


def named(*, session: Session, deadlines: list[Deadline]) -> list[Named]:
    """The deadlines with their names (owners, owner person, work stream)."""
    ids = [d.id for d in deadlines]
    by_id = {r.deadline.id: r for at in range(0, len(ids), 500)
             for r in _named_rows(session, [col(Deadline.id).in_(ids[at:at + 500])], None)}
    found = [by_id[d.id] for d in deadlines if d.id in by_id]
    _add_owners(session, found)
    return found


def owner_ids(*, session: Session, deadline: Deadline) -> list[int]:
    return list(session.exec(select(DeadlineOwner.organisation_id).where(
        DeadlineOwner.deadline_id == deadline.id).order_by(DeadlineOwner.position,
                                                           DeadlineOwner.id)))


def set_owners(*, session: Session, deadline: Deadline, organisation_ids: list[int]) -> bool:
    """Make these organisations the deadline's owners, in order (the first is also its
    `owner_organisation_id`); whether anything changed. The deadline must have an id."""
    wanted = list(dict.fromkeys(organisation_ids))
    if owner_ids(session=session, deadline=deadline) == wanted and \
            deadline.owner_organisation_id == (wanted[0] if wanted else None):
        return False
    session.execute(delete(DeadlineOwner).where(DeadlineOwner.deadline_id == deadline.id))
    if wanted:
        session.execute(insert(DeadlineOwner), [
            {"deadline_id": deadline.id, "organisation_id": org_id, "position": n}
            for n, org_id in enumerate(wanted)])
    deadline.owner_organisation_id = wanted[0] if wanted else None
    session.add(deadline)
    return True


def find_deadline(*, session: Session, ref: str) -> Deadline | None:
    """A current deadline by its key (any case)."""
    return session.exec(select(Deadline).where(
        func.lower(Deadline.key) == ref.strip().lower(), current(Deadline))).first()


def key_taken(*, session: Session, key: str) -> bool:
    """Whether a deadline (current or retired) already has this key."""
    return session.exec(select(Deadline.id).where(
        func.lower(Deadline.key) == key.lower())).first() is not None


def mark_done(*, session: Session, deadline: Deadline, now: dt.datetime) -> bool:
    """Mark the deadline done (once: its first `done_at` stays); whether it changed."""
    if deadline.status == "done":
        return False
    deadline.status, deadline.done_at = "done", now
    session.add(deadline)
    session.flush()
    return True
