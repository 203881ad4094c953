"""Every listener of the Slack app; each folder wires its own with `register(app, desk)`."""

from __future__ import annotations

from bot.listeners import actions, commands, events, views


def register(app, desk) -> None:
    commands.register(app, desk)
    events.register(app, desk)
    actions.register(app, desk)
    views.register(app, desk)
