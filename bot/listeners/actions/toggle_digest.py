"""The App Home's digest toggle."""

from __future__ import annotations

from bot import writes
from bot.desk import later
from bot.home import TOGGLE_DIGEST
from bot.listeners.events.app_home_opened import publish_home
from store.engine import unit_of_work


def register(app, desk) -> None:
    def acknowledge(ack):
        ack()

    @later
    def toggle(body, action, client):
        user = (body.get("user") or {}).get("id", "")
        asker = desk.asker(user_id=user, client=client)
        if asker.person is None:
            return
        with unit_of_work(desk.engine) as session:
            person = session.merge(asker.person, load=True)
            writes.set_digest(session=session, person=person,
                              subscribed=action.get("value") == "on")
        publish_home(desk, user_id=user, client=client)

    app.action(TOGGLE_DIGEST)(ack=acknowledge, lazy=[toggle])
