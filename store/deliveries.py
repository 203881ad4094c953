"""The digest's deliveries with the people they go to."""

from __future__ import annotations

from sqlmodel import Session, col, select

from store.models import DigestDelivery, Person


def deliveries_with_people(*, session: Session, digest_id: int,
                           ) -> list[tuple[DigestDelivery, Person]]:
    """Every delivery of the digest with its person, by email."""
    return list(session.exec(
        select(DigestDelivery, Person).join(Person, DigestDelivery.person_id == Person.id)
        .where(DigestDelivery.digest_id == digest_id).order_by(Person.email)).all())


def people_of_deliveries(*, session: Session, ids: list[int]) -> dict[int, Person]:
    """The person of each of these deliveries, by delivery id."""
    if not ids:
        return {}
    return dict(session.exec(
        select(DigestDelivery.id, Person).join(Person, DigestDelivery.person_id == Person.id)
        .where(col(DigestDelivery.id).in_(ids))).all())


def ambiguous_emails(*, session: Session, digest_id: int) -> list[str]:
    """The addresses of the digest's deliveries that may or may not have been sent."""
    return list(session.exec(
        select(Person.email).join(DigestDelivery, DigestDelivery.person_id == Person.id)
        .where(DigestDelivery.digest_id == digest_id, DigestDelivery.status == "ambiguous")))
