""""Share in channel": the asker's ephemeral answer, asked again and posted for everyone."""

from __future__ import annotations

from bot import blocks
from bot.desk import later
from bot.router import parse


def register(app, desk) -> None:
    def acknowledge(ack):
        ack()

    @later
    def share(body, action, respond, client):
        if not respond.response_url:  # a message's button always has one: nothing to answer
            return
        user = (body.get("user") or {}).get("id", "")
        result = desk.answer(parse(action.get("value", "")), user_id=user, client=client)
        reply = blocks.message(result)
        reply["text"] = f"<@{user}> shared: {reply['text']}"[:3900]
        respond(response_type="in_channel", replace_original=False, **reply)
        respond(delete_original=True)

    app.action(blocks.SHARE_ACTION)(ack=acknowledge, lazy=[share])
