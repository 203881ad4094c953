"""Messages: direct messages to the bot are questions; top-level messages in the updates
channel are member updates (edits and deletions followed)."""

from __future__ import annotations

from bot import updates
from bot.desk import later
from bot.listeners.events.replies import answer_message
from store.engine import unit_of_work


def register(app, desk) -> None:
    def acknowledge(ack):
        ack()

    @later
    def follow(body, event, client):
        channel = event.get("channel", "")
        if channel and channel == desk.config.slack.updates_channel:
            if updates.is_update(event):
                _store_update(body, event, client)
        elif event.get("channel_type") == "im" and _question(event):
            answer_message(desk, body=body, event=event, client=client, ephemeral=False)

    def _store_update(body, event, client):
        now = desk.now()
        if not updates.claim_event(engine=desk.engine, event_id=body.get("event_id", ""),
                                   now=now):
            return
        asker = None
        if not event.get("subtype"):
            asker = desk.asker(user_id=event.get("user", ""), client=client)
        with unit_of_work(desk.engine) as session:
            updates.follow(session=session, event=event, asker=asker, now=now)

    app.event("message")(ack=acknowledge, lazy=[follow])


def _question(event: dict) -> bool:
    return bool(event.get("user")) and not event.get("bot_id") and not event.get("subtype")
