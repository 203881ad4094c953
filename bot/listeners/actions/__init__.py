from __future__ import annotations

from bot.listeners.actions import share_in_channel, toggle_digest


def register(app, desk) -> None:
    share_in_channel.register(app, desk)
    toggle_digest.register(app, desk)
