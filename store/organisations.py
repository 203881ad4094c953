"""Organisations and work streams: who is in what, by id or key."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_
from sqlmodel import Session, col, select

from store.current import current
from store.models import Organisation, WorkStream, WorkStreamRole

LEADING = ("lead", "co-lead")


def acronyms(*, session: Session) -> dict[int, str]:
    """Every organisation's acronym by id (retired ones too: old items still name them)."""
    return {o.id: o.acronym for o in session.exec(select(Organisation))}


def organisations(*, session: Session) -> dict[int, Organisation]:
    """Every organisation by id (retired ones too)."""
    return {o.id: o for o in session.exec(select(Organisation))}


def ids_by_acronym(*, session: Session) -> dict[str, int]:
    """Organisation ids by lower-case acronym."""
    return {o.acronym.lower(): o.id for o in session.exec(select(Organisation))}


def work_stream_keys(*, session: Session) -> dict[int, str]:
    """Every work stream's key by id (retired ones too)."""
    return dict(session.exec(select(WorkStream.id, WorkStream.key)).all())


def _in_force(today: dt.date | None):
    clauses = [current(WorkStreamRole)]
    if today is not None:
        clauses += [or_(WorkStreamRole.since.is_(None), WorkStreamRole.since <= today),
                    or_(WorkStreamRole.until.is_(None), WorkStreamRole.until >= today)]
    return clauses


def roles_of_work_stream(*, session: Session, work_stream_id: int, today: dt.date,
                         ) -> list[tuple[WorkStreamRole, Organisation]]:
    """The roles in force on `today` in the work stream, with their organisations."""
    return list(session.exec(select(WorkStreamRole, Organisation).join(Organisation).where(
        WorkStreamRole.work_stream_id == work_stream_id, *_in_force(today))).all())


def roles_of_organisation(*, session: Session, organisation_id: int, today: dt.date | None,
                          ) -> list[tuple[WorkStreamRole, WorkStream]]:
    """The organisation's roles in force on `today` (every current one when None), with
    their work streams, by work stream key."""
    return list(session.exec(select(WorkStreamRole, WorkStream).join(WorkStream).where(
        WorkStreamRole.organisation_id == organisation_id, current(WorkStream),
        *_in_force(today)).order_by(WorkStream.key)).all())


def work_streams_by_organisation(*, session: Session) -> dict[int, set[str]]:
    """For each organisation id, the keys of the work streams it has a current role in."""
    streams = work_stream_keys(session=session)
    found: dict[int, set[str]] = {}
    for role in session.exec(select(WorkStreamRole).where(current(WorkStreamRole))):
        found.setdefault(role.organisation_id, set()).add(streams[role.work_stream_id])
    return found


def work_streams_without_lead(*, session: Session) -> list[WorkStream]:
    led = select(WorkStreamRole.work_stream_id).where(
        current(WorkStreamRole), col(WorkStreamRole.role).in_(LEADING))
    return list(session.exec(select(WorkStream).where(
        current(WorkStream), WorkStream.kind == "work_stream",
        col(WorkStream.id).not_in(led)).order_by(WorkStream.key)))


def keywords_by_work_stream(*, session: Session) -> dict[str, list[str]]:
    """The lower-case keywords of each current work stream that has some, by key."""
    return {w.key: [k.lower() for k in w.keywords] for w in session.exec(
        select(WorkStream).where(current(WorkStream))) if w.keywords}
