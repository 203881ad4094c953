"""`@Coalition Desk who leads work stream 2?` in a channel: answered to the asker alone."""

from __future__ import annotations

from bot.desk import later
from bot.listeners.events.replies import answer_message


def register(app, desk) -> None:
    def acknowledge(ack):
        ack()

    @later
    def answer(body, event, client):
        answer_message(desk, body=body, event=event, client=client, ephemeral=True)

    app.event("app_mention")(ack=acknowledge, lazy=[answer])
