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
from bot.writes import Done, NeedsModal
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
            view = _form(result)
            if view is not None:
                client.views_open(trigger_id=command["trigger_id"], view=view)
                return
            result = Done(f"There is no {result.kind} {result.key!r}; "
                          f"`{result.kind} add` creates one.")
        share = text if request.command in PUBLIC else None
        respond(response_type="ephemeral", **blocks.message(result, share=share))

    def _form(need: NeedsModal) -> dict | None:
        """The form to open; None when the item to edit does not exist."""
        find = forms.find_meeting if need.kind == "meeting" else forms.find_deadline
        with unit_of_work(desk.engine) as session:
            item = find(session, need.key) if need.key else None
            if need.key and item is None:
                return None
            if need.kind == "meeting":
                return forms.meeting_modal(item, desk.config.coalition.timezone)
            return forms.deadline_modal(item, forms.deadline_names(session, item))

    app.command(desk.config.slack.command)(ack=acknowledge, lazy=[answer])
