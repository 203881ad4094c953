"""A meeting's notes as stored: by fingerprint, in order, its next steps."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from store.models import Meeting, MeetingNote


def note_by_fingerprint(*, session: Session, meeting: Meeting,
                        fingerprint: str) -> MeetingNote | None:
    return session.exec(select(MeetingNote).where(
        MeetingNote.meeting_id == meeting.id, MeetingNote.fingerprint == fingerprint)).first()


def note_count(*, session: Session, meeting: Meeting) -> int:
    return session.exec(select(func.count()).select_from(MeetingNote).where(
        MeetingNote.meeting_id == meeting.id)).one()


def meeting_notes(*, session: Session, meeting: Meeting) -> list[MeetingNote]:
    """The meeting's notes in the order they were recorded."""
    return list(session.exec(select(MeetingNote).where(MeetingNote.meeting_id == meeting.id)
                             .order_by(MeetingNote.position, MeetingNote.id)))


def next_steps(*, session: Session, meeting: Meeting) -> list[MeetingNote]:
    """The meeting's next steps in the order they were recorded."""
    return list(session.exec(select(MeetingNote).where(
        MeetingNote.meeting_id == meeting.id, MeetingNote.kind == "next_step",
    ).order_by(MeetingNote.position, MeetingNote.id)))
