"""The slash command (`/coalition` by default) and its subcommands.

A public answer comes from the store alone and rides the acknowledgement itself (one round
trip, well within Slack's 3 seconds). Anything needing Slack's Web API — finding who an
unknown asker is, opening a form — or slow work (`sync`) is acknowledged at once and done by
the lazy listener, which replies through the command's response_url.
"""

from __future__ import annotations

from bot import blocks, forms
from bot.desk import later
from bot.dispatch import PUBLIC
from bot.router import parse
from bot.writes import NeedsModal
from store.engine import unit_of_work

_DEFERRED = ("sync", "minutes", "meeting", "deadline")


def register(app, desk) -> None:
    def acknowledge(ack, command, context):
        text = command.get("text", "")
        request = parse(text)
        result = None
        if request.command not in _DEFERRED:
            result = desk.answer_known(request, user_id=command.get("user_id", ""),
                                       source_id=f"command:{command.get('trigger_id', '')}")
        if result is None:
            ack()
            return
        context["coalition_answered"] = True
        share = text if request.command in PUBLIC else None
        ack(response_type="ephemeral", **blocks.message(result, share=share))

    @later
    def answer(command, context, respond, client):
        if context.get("coalition_answered"):
            return
        text = command.get("text", "")
        request = parse(text)
        result = desk.answer(request, user_id=command.get("user_id", ""), client=client,
                             source_id=f"command:{command.get('trigger_id', '')}")
        if isinstance(result, NeedsModal):
            client.views_open(trigger_id=command["trigger_id"], view=_form(result))
            return
        share = text if request.command in PUBLIC else None
        respond(response_type="ephemeral", **blocks.message(result, share=share))

    def _form(need: NeedsModal) -> dict:
        with unit_of_work(desk.engine) as session:
            if need.kind == "meeting":
                meeting = forms.find_meeting(session, need.key) if need.key else None
                return forms.meeting_modal(meeting, desk.config.coalition.timezone)
            deadline = forms.find_deadline(session, need.key) if need.key else None
            return forms.deadline_modal(deadline, forms.deadline_names(session, deadline))

    app.command(desk.config.slack.command)(ack=acknowledge, lazy=[answer])
