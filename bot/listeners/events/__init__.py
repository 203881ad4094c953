from __future__ import annotations

from bot.listeners.events import app_home_opened, app_mention, message


def register(app, desk) -> None:
    app_mention.register(app, desk)
    message.register(app, desk)
    app_home_opened.register(app, desk)
