"""Answering a parsed request: the one place that maps commands to answers, for every channel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from bot import answers
from bot.answers import HelpAnswer
from bot.router import Request
from store.models import Organisation, Person


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


PUBLIC = ("agenda", "deadlines", "lead", "who", "meetings", "help")


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
                work_stream=args.get("work_stream"), organisation=organisation, timezone=tz)
        case "lead":
            return answers.who_leads(session=session, query=args["query"], now=now,
                                     timezone=tz)
        case "who":
            return answers.who(session=session, query=args["query"], now=now, timezone=tz)
        case "meetings":
            return answers.meetings(session=session, now=now, timezone=tz)
    return HelpAnswer()
