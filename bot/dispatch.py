"""Answering a parsed request, for every channel: who may ask (the command's row in
`bot.commands`), then the command's answer function (`bot.handlers`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from bot import commands
from bot.answers import HelpAnswer
from bot.router import Request
from bot.writes import Refused
from store.models import Organisation, Person
from store.people import secretariat


@dataclass
class Asker:
    """Who asks: a known person, or nobody known (who still gets every public answer)."""

    person: Person | None = None
    timezone: str = "Europe/Zurich"

    def organisation_acronym(self, session: Session) -> str | None:
        if self.person is None or self.person.organisation_id is None:
            return None
        org = session.get(Organisation, self.person.organisation_id)
        return org.acronym if org else None

    @property
    def is_secretariat(self) -> bool:
        return self.person is not None and self.person.role == "secretariat"


@dataclass
class Context:
    """What an answer function gets besides the request's arguments."""

    session: Session
    now: dt.datetime
    asker: Asker
    source_id: str = ""  # the chat message or command, so that a retried one is stored once

    @property
    def timezone(self) -> str:
        return self.asker.timezone


@dataclass
class Elsewhere:
    """A command asked where it does not work (in the console, a command of Slack's)."""

    command: str
    usage: str
    access: str
    slash: str = "/coalition"
    instead: str = ""


PUBLIC = commands.names(access=commands.PUBLIC)


def answer(request: Request, *, session: Session, now: dt.datetime, asker: Asker,
           slash: str = "/coalition"):
    """The answer to a question asked outside chat (the console): every public command; the
    others say where they work (`slash`: the Slack command) and what to do here instead."""
    command = commands.get(request.command)
    if command.access != commands.PUBLIC:
        return Elsewhere(command.name, command.usage, command.access, slash, command.instead)
    return handle(request, session=session, now=now, asker=asker)


def handle(request: Request, *, session: Session, now: dt.datetime, asker: Asker,
           source_id: str = ""):
    """Any request from a chat: the public answers, the asker's own changes (`update`,
    `subscribe`), and the secretariat's work, refused politely to anyone else. `source_id`
    names the chat message or command, so that a retried one is stored once."""
    command = commands.get(request.command)
    if command.access == commands.SECRETARIAT and not asker.is_secretariat:
        return Refused(command.action, _secretariat(session))
    if command.access == commands.MEMBER and asker.person is None:
        return HelpAnswer(note=f"I don't know who you are in the coalition yet, so I cannot "
                          f"{command.name} for you; ask the secretariat to add your Slack "
                          f"account.")
    context = Context(session=session, now=now, asker=asker, source_id=source_id)
    return command.function()(request.args, context)


def _secretariat(session: Session) -> list[str]:
    return [p.name for p in secretariat(session=session)]
