"""The slash command (`/coalition` by default) and its subcommands.

A public answer comes from the store alone and rides the acknowledgement itself (one round
trip, well within Slack's 3 seconds): the first listener below. Anything needing Slack's Web
API — finding who an unknown asker is, opening a form — or slow work (`sync`) is left to the
second, which acknowledges at once and replies from its lazy listener through the command's
response_url. (Only the second pays for a lazy listener: Bolt copies the request and starts a
thread for it on every request it takes.)
"""

from __future__ import annotations

from bot import blocks, commands, forms
from bot.desk import later
from bot.dispatch import PUBLIC
from bot.router import parse
from bot.writes import Done, NeedsModal
from store.engine import unit_of_work

_DEFERRED = commands.names(defers=True)


def register(app, desk) -> None:
    def from_store(command, context, next):
        """Listener middleware: the answer when the store alone gives it, for `reply`; else
        no `next()`, and the request goes on to the second listener."""
        request = parse(command.get("text", ""))
        if request.command in _DEFERRED:
            return
        result = desk.answer_known(request, user_id=command.get("user_id", ""),
                                   source_id=f"command:{command.get('trigger_id', '')}")
        if result is not None:
            context["coalition_answer"] = (request, result)
            next()

    def reply(ack, command, context):
        request, result = context["coalition_answer"]
        share = command.get("text", "") if request.command in PUBLIC else None
        ack(response_type="ephemeral", **blocks.message(result, share=share))

    def acknowledge(ack):
        ack()

    @later
    def answer(command, respond, client):
        text = command.get("text", "")
        request = parse(text)
        result = desk.answer(request, user_id=command.get("user_id", ""), client=client,
                             source_id=f"command:{command.get('trigger_id', '')}")
        if isinstance(result, NeedsModal):
            view = _form(result)
            if view is not None:
                client.views_open(trigger_id=command.get("trigger_id", ""), view=view)
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

    name = desk.config.slack.command
    app.command(name, middleware=[from_store])(reply)
    app.command(name)(ack=acknowledge, lazy=[answer])
