"""Answering a parsed request: the one place that maps commands to answers, for every channel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from bot import answers, writes
from bot.answers import HelpAnswer
from bot.headlines import latest_news
from bot.router import Request
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


PUBLIC = ("agenda", "deadlines", "lead", "who", "meetings", "news", "help")
SECRETARIAT = ("meeting", "deadline", "note", "sync", "minutes")
_WHAT = {"meeting": "add or edit meetings", "deadline": "add, edit or close deadlines",
         "note": "record meeting notes", "sync": "re-import the data file",
         "minutes": "draft the minutes"}


def answer(request: Request, *, session: Session, now: dt.datetime, asker: Asker):
    """The answer dataclass for a public request; other commands belong to their channel."""
    args, tz = request.args, asker.timezone
    match request.command:
        case "agenda":
            return answers.agenda(session=session, now=now, number=args.get("number"),
                                  timezone=tz)
        case "deadlines":
            organisation = args.get("organisation")
            if args.get("mine"):
                organisation = asker.organisation_acronym(session)
                if organisation is None:
                    return HelpAnswer(note="I don't know your organisation yet, so `mine` "
                                      "cannot be answered; try `deadlines org ACRONYM`.")
            return answers.next_deadlines(
                session=session, now=now, limit=args.get("limit", 5),
                work_stream=args.get("work_stream"), organisation=organisation, timezone=tz,
                mine=asker.person if args.get("mine") else None)
        case "lead":
            return answers.who_leads(session=session, query=args["query"], now=now,
                                     timezone=tz)
        case "who":
            return answers.who(session=session, query=args["query"], now=now, timezone=tz)
        case "meetings":
            return answers.meetings(session=session, now=now, timezone=tz)
        case "news":
            return latest_news(session=session, now=now, text=args.get("text", ""))
    return HelpAnswer()


def handle(request: Request, *, session: Session, now: dt.datetime, asker: Asker,
           source_id: str = ""):
    """Any request from a chat: the public answers, the asker's own changes (`update`,
    `subscribe`), and the secretariat's work, refused politely to anyone else. `source_id`
    names the chat message or command, so that a retried one is stored once."""
    command, text = request.command, request.args.get("text", "").strip()
    if command in SECRETARIAT and not asker.is_secretariat:
        return writes.Refused(_WHAT[command], _secretariat(session))
    if command in ("update", "subscribe", "unsubscribe") and asker.person is None:
        return HelpAnswer(note=f"I don't know who you are in the coalition yet, so I cannot "
                          f"{command} for you; ask the secretariat to add your Slack account.")
    match command:
        case "update":
            if not text:
                return HelpAnswer(note="Write `update` and then your news, e.g. `update We "
                                  "published our e-waste report`.")
            return writes.record_update(session=session, person=asker.person, text=text,
                                        source="slack", source_id=source_id, now=now)
        case "subscribe" | "unsubscribe":
            return writes.set_digest(session=session, person=asker.person,
                                     subscribed=command == "subscribe")
        case "note":
            return writes.record_note(session=session, text=text, now=now)
        case "deadline" | "meeting":
            return _secretariat_form(command, text, session=session, now=now)
        case "sync" | "minutes":
            return writes.Later(command, text)
    return answer(request, session=session, now=now, asker=asker)


def _secretariat_form(command: str, text: str, *, session: Session, now: dt.datetime):
    verb, _, key = text.partition(" ")
    verb, key = verb.lower(), key.strip()
    if command == "deadline" and verb == "done" and key:
        return writes.mark_deadline_done(session=session, key=key, now=now)
    if verb == "add" or (verb == "edit" and key):
        return writes.NeedsModal(command, key if verb == "edit" else "")
    usage = "`deadline add`, `deadline edit KEY` or `deadline done KEY`" \
        if command == "deadline" else "`meeting add` or `meeting edit KEY`"
    return HelpAnswer(note=f"Write {usage}.")


def _secretariat(session: Session) -> list[str]:
    return [p.name for p in secretariat(session=session)]
