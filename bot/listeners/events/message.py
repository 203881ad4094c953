"""Messages: direct messages to the bot are questions; top-level messages in the updates
channel are member updates (edits and deletions followed); the secretariat's replies in the
thread of a meeting's reminder that start with an item number are meeting notes."""

from __future__ import annotations

from bot import updates, writes
from bot.desk import later
from bot.listeners.events.replies import answer_message
from store.engine import unit_of_work
from store.models import Meeting


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
        elif _thread_reply(event):
            _store_thread_note(body, event, client)

    def _store_update(body, event, client):
        """The update and the record of its event, in one transaction (`handle_once`)."""
        now = desk.now()
        asker = None
        if updates.is_post(event):  # the poster's organisation; an edit keeps the update's
            asker = desk.asker(user_id=event.get("user", ""), client=client)
        updates.handle_once(engine=desk.engine, event_id=body.get("event_id", ""), now=now,
                            effect=lambda session: updates.follow(
                                session=session, event=event, asker=asker, now=now))

    def _store_thread_note(body, event, client):
        """A secretariat reply in a meeting reminder's thread, starting with an item number."""
        channel, thread = event["channel"], event["thread_ts"]
        with unit_of_work(desk.engine) as session:
            meeting = writes.thread_meeting(session=session, channel=channel, thread_ts=thread)
            meeting_id = meeting.id if meeting else None
        if meeting_id is None or not desk.asker(user_id=event["user"],
                                                client=client).is_secretariat:
            return
        now = desk.now()
        done = updates.handle_once(
            engine=desk.engine, event_id=body.get("event_id", ""), now=now,
            effect=lambda session: writes.record_thread_note(
                session=session, text=event.get("text", ""),
                meeting=session.get(Meeting, meeting_id), now=now))
        if done is not None:
            client.chat_postEphemeral(channel=channel, user=event["user"], thread_ts=thread,
                                      text=done.text)

    app.event("message")(ack=acknowledge, lazy=[follow])


def _thread_reply(event: dict) -> bool:
    thread = event.get("thread_ts")
    return _question(event) and bool(thread) and thread != event.get("ts") and bool(
        event.get("channel"))


def _question(event: dict) -> bool:
    return bool(event.get("user")) and not event.get("bot_id") and not event.get("subtype")
