"""Looking people up."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from store.models import Person


def person_by_email(*, session: Session, email: str) -> Person | None:
    """The person (retired or not) with this email, whatever its case."""
    return session.exec(select(Person).where(
        func.lower(Person.email) == email.strip().lower())).first()
