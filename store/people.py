"""People: finding one by email, Slack user id or link token, and who speaks for an
organisation (its contacts)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.current import current
from store.models import Person

CONTACT_ROLES = ("focal_point", "secretariat")


def person_by_email(*, session: Session, email: str, current_only: bool = False
                    ) -> Person | None:
    query = select(Person).where(func.lower(Person.email) == email.strip().lower())
    if current_only:
        query = query.where(current(Person))
    return session.exec(query).first()


def person_by_slack_id(*, session: Session, user_id: str, current_only: bool = True
                       ) -> Person | None:
    """The person under this Slack user id; with `current_only=False` a retired one too (the
    id is unique among all rows)."""
    if not user_id:
        return None
    query = select(Person).where(Person.slack_user_id == user_id)
    if current_only:
        query = query.where(current(Person))
    return session.exec(query).first()


def person_by_token(*, session: Session, token: str) -> Person | None:
    """The person whose unsubscribe token this is."""
    return session.exec(select(Person).where(Person.unsubscribe_token == token)).first()


def everyone(*, session: Session) -> list[Person]:
    """Every person, retired ones too (old notes still name them)."""
    return list(session.exec(select(Person).order_by(Person.id)))


def secretariat(*, session: Session) -> list[Person]:
    """The current secretariat members, by name."""
    return list(session.exec(select(Person).where(
        Person.role == "secretariat", current(Person)).order_by(Person.name, Person.id)))


def members_of(*, session: Session, organisation_id: int) -> list[Person]:
    return list(session.exec(select(Person).where(
        Person.organisation_id == organisation_id, current(Person),
    ).order_by(Person.name, Person.id)))


def contacts(people: list[Person]) -> list[Person]:
    """Who speaks for an organisation among its people: its focal points and secretariat
    members, else everyone in it."""
    return [p for p in people if p.role in CONTACT_ROLES] or people


def contact_slack_ids(*, session: Session, organisation_ids: list[int]) -> list[str]:
    """The Slack user ids of the contacts of these organisations (each organisation's
    contacts as `contacts` picks them), sorted, once each."""
    if not organisation_ids:
        return []
    people = session.exec(select(Person).where(
        col(Person.organisation_id).in_(organisation_ids), current(Person))).all()
    ids: set[str] = set()
    for org_id in set(organisation_ids):
        ids |= {p.slack_user_id for p in contacts([p for p in people
                                                   if p.organisation_id == org_id])
                if p.slack_user_id}
    return sorted(ids)


def subscribed_ids(*, session: Session, excluding=None) -> list[int]:
    """The ids of the current people subscribed to the digest (not those in `excluding`, a
    subquery of person ids)."""
    query = select(Person.id).where(current(Person), Person.digest_subscribed.is_(True))
    if excluding is not None:
        query = query.where(col(Person.id).not_in(excluding))
    return list(session.exec(query.order_by(Person.id)))


def people_by_ids(*, session: Session, ids: list[int]) -> list[Person]:
    """These people, by id."""
    if not ids:
        return []
    return list(session.exec(select(Person).where(col(Person.id).in_(ids)).order_by(Person.id)))


def still_subscribed(person_id):
    """A condition on a column holding a person's id: that person is current and subscribed
    to the digest (for a statement that must check it as it writes, such as the digest's
    'sending' mark)."""
    from sqlalchemy import exists

    return exists(select(Person.id).where(Person.id == person_id, current(Person),
                                          Person.digest_subscribed.is_(True)))
