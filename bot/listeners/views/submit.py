"""Saving a submitted form within the acknowledgement, so that errors show in the form."""

from __future__ import annotations

from bot import identity
from bot.forms import values_of
from store.engine import unit_of_work


def submit(desk, *, ack, body, view, save) -> None:
    user = (body.get("user") or {}).get("id", "")
    with unit_of_work(desk.engine) as session:
        person = identity.person_by_slack_id(session, user)
        if person is None or person.role != "secretariat":
            ack(response_action="errors", errors={"title": "Only the secretariat can save this."})
            return
        _, errors = save(session, view.get("private_metadata", ""), values_of(view),
                         desk.now())
        if errors:
            session.rollback()
            ack(response_action="errors", errors=errors)
            return
    ack()

