"""Each command's answer function, named by its row in `bot.commands`: the request's arguments
(as the router read them) to one answer. Each takes `(args, context)` and returns an answer
dataclass; who may ask was checked before (`bot.dispatch.handle`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import answers, writes
from bot.answers import HelpAnswer
from bot.headlines import latest_news

if TYPE_CHECKING:
    from bot.dispatch import Context


def agenda(args: dict, c: Context):
    return answers.agenda(session=c.session, now=c.now, number=args.get("number"),
                          timezone=c.timezone)


def deadlines(args: dict, c: Context, *, overdue_only: bool = False):
    organisation = args.get("organisation")
    if args.get("mine"):
        organisation = c.asker.organisation_acronym(c.session)
        if organisation is None:
            return HelpAnswer(note="I don't know your organisation yet, so `mine` cannot be "
                              "answered; try `deadlines org ACRONYM`.")
    due_from = due_until = None
    if window := args.get("window"):
        due_from, due_until = window.span(answers.local_date(c.now, c.timezone))
    return answers.next_deadlines(
        session=c.session, now=c.now, limit=args.get("limit", 5),
        work_stream=args.get("work_stream"), organisation=organisation, timezone=c.timezone,
        due_from=due_from, due_until=due_until, overdue_only=overdue_only,
        mine=c.asker.person if args.get("mine") else None)


def overdue(args: dict, c: Context):
    return deadlines(args, c, overdue_only=True)


def lead(args: dict, c: Context):
    """Who leads (and who else works on) a work stream; "who is in BRS" is about people."""
    found = answers.who_leads(session=c.session, query=args["query"], now=c.now,
                              timezone=c.timezone)
    if found.work_stream is None and args.get("members"):
        people = answers.who(session=c.session, query=args["query"], now=c.now,
                             timezone=c.timezone)
        if people.organisation or people.person:
            return people
    return found


def who(args: dict, c: Context):
    """An organisation or a person; "the focal point of knowledge sharing" is a work stream's."""
    found = answers.who(session=c.session, query=args["query"], now=c.now, timezone=c.timezone)
    if not args.get("focal"):
        return found
    if found.organisation is not None:  # its focal points first
        found.organisation.people.sort(key=lambda p: p.role != "focal_point")
    elif found.person is None:
        stream = answers.who_leads(session=c.session, query=args["query"], now=c.now,
                                   timezone=c.timezone)
        if stream.work_stream is not None:
            return stream
    return found


def meetings(args: dict, c: Context):
    return answers.meetings(session=c.session, now=c.now, timezone=c.timezone)


def news(args: dict, c: Context):
    return latest_news(session=c.session, now=c.now, text=args.get("text", ""))


def help(args: dict, c: Context):  # the command's name (shadows the builtin here only)
    return HelpAnswer(note=args.get("note", ""))


def update(args: dict, c: Context):
    text = args.get("text", "").strip()
    if not text:
        return HelpAnswer(note="Write `update` and then your news, e.g. `update We published "
                          "our e-waste report`.")
    return writes.record_update(session=c.session, person=c.asker.person, text=text,
                                source="slack", source_id=c.source_id, now=c.now)


def subscribe(args: dict, c: Context):
    return writes.set_digest(session=c.session, person=c.asker.person, subscribed=True)


def unsubscribe(args: dict, c: Context):
    return writes.set_digest(session=c.session, person=c.asker.person, subscribed=False)


def note(args: dict, c: Context):
    return writes.record_note(session=c.session, text=args.get("text", "").strip(), now=c.now)


def meeting(args: dict, c: Context):
    return _form("meeting", args.get("text", ""), c)


def deadline(args: dict, c: Context):
    return _form("deadline", args.get("text", ""), c)


def minutes(args: dict, c: Context):
    return writes.Later("minutes", args.get("text", "").strip())


def sync(args: dict, c: Context):
    return writes.Later("sync")


def _form(kind: str, text: str, c: Context):
    verb, _, key = text.strip().partition(" ")
    verb, key = verb.lower(), key.strip()
    if kind == "deadline" and verb == "done" and key:
        return writes.mark_deadline_done(session=c.session, key=key, now=c.now)
    if verb == "add" or (verb == "edit" and key):
        return writes.NeedsModal(kind, key if verb == "edit" else "")
    usage = "`deadline add`, `deadline edit KEY` or `deadline done KEY`" \
        if kind == "deadline" else "`meeting add` or `meeting edit KEY`"
    return HelpAnswer(note=f"Write {usage}.")
