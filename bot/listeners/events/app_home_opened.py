"""The App Home tab, published each time a person opens it."""

from __future__ import annotations

from bot.desk import later
from bot.home import home_view
from store.engine import unit_of_work


def register(app, desk) -> None:
    def acknowledge(ack):
        ack()

    @later
    def publish(event, client):
        if event.get("tab", "home") != "home":
            return
        publish_home(desk, user_id=event.get("user", ""), client=client)

    app.event("app_home_opened")(ack=acknowledge, lazy=[publish])


def publish_home(desk, *, user_id: str, client) -> None:
    asker = desk.asker(user_id=user_id, client=client)
    with unit_of_work(desk.engine) as session:
        if asker.person is not None:
            asker.person = session.merge(asker.person, load=True)
        view = home_view(session=session, asker=asker, now=desk.now(),
                         name=desk.config.coalition.name)
    client.views_publish(user_id=user_id, view=view)
