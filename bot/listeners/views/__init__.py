from __future__ import annotations

from bot.listeners.views import deadline_form, meeting_form


def register(app, desk) -> None:
    meeting_form.register(app, desk)
    deadline_form.register(app, desk)
