from __future__ import annotations

from bot.listeners.commands import coalition_command


def register(app, desk) -> None:
    coalition_command.register(app, desk)
