"""Answering a question asked in a message (a mention or a direct message)."""

from __future__ import annotations

from bot import blocks
from bot.answers import HelpAnswer
from bot.dispatch import PUBLIC
from bot.router import clean_text, parse
from bot.updates import claim_event
from bot.writes import NeedsModal


def answer_message(desk, *, body: dict, event: dict, client, ephemeral: bool) -> None:
    """Answer once per event id (Slack's retries are skipped): ephemerally to the asker in a
    channel, with a "Share in channel" button; as a plain reply in a direct message."""
    if not claim_event(engine=desk.engine, event_id=body.get("event_id", ""), now=desk.now()):
        return
    text, user = event.get("text", ""), event.get("user", "")
    request = parse(text)
    result = desk.answer(request, user_id=user, client=client,
                         source_id=f"{event.get('channel', '')}:{event.get('ts', '')}")
    if isinstance(result, NeedsModal):  # forms open from the slash command only
        result = HelpAnswer(note=f"Forms open from the slash command: "
                            f"`{desk.config.slack.command} {request.command} add`.")
    share = clean_text(text) if ephemeral and request.command in PUBLIC else None
    reply = blocks.message(result, share=share)
    channel, thread = event.get("channel", ""), event.get("thread_ts")
    if ephemeral:
        client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, **reply)
    else:
        client.chat_postMessage(channel=channel, thread_ts=thread, **reply)
