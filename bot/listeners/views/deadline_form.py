"""The secretariat's deadline form submitted: saved, or its errors shown in the form."""

from __future__ import annotations

from bot import forms
from bot.listeners.views.submit import submit


def register(app, desk) -> None:
    def save(ack, body, view):
        submit(desk, ack=ack, body=body, view=view, save=lambda session, key, values, now:
               forms.save_deadline(session=session, key=key, values=values, now=now))

    app.view(forms.DEADLINE_FORM)(save)
