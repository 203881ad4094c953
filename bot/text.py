"""Answers as plain text: for the console, and as the text fallback of every Slack message.

`render` is keyed by the answer's type: each answer type registers its renderer below, and one
without a renderer fails loudly (and `tests/bot/test_commands.py`), never shows as a repr."""

from __future__ import annotations

import datetime as dt
from functools import singledispatch
from zoneinfo import ZoneInfo

from bot import commands
from bot.answers import (
    AgendaAnswer,
    DeadlinesAnswer,
    DeadlineView,
    HelpAnswer,
    LeadAnswer,
    MeetingsAnswer,
    MeetingView,
    PersonRef,
    WhoAnswer,
)
from bot.dispatch import Elsewhere
from bot.headlines import NewsAnswer
from bot.writes import Done, Later, NeedsModal, Refused
from store.when import imprecise_when
from store.words import plural

ROLE_LABELS = {"lead": "Lead", "co-lead": "Co-lead", "support": "Support",
               "interested": "Interested"}


def _help() -> str:
    """The help list, from the command registry."""
    width = max(len(c.usage) for c in commands.COMMANDS) + 2

    def rows(access: str) -> list[str]:
        return [f"  {c.usage:<{width}}{c.description}" for c in commands.COMMANDS
                if c.access == access]
    return "\n".join([
        "I can answer these (a command word or a plain question):", *rows(commands.PUBLIC),
        f"  {commands.WHEN}",
        "In Slack, for members of the coalition:", *rows(commands.MEMBER),
        "In Slack, for the secretariat:", *rows(commands.SECRETARIAT)])


HELP = _help()


@singledispatch
def render(answer) -> str:
    """The answer as text."""
    raise TypeError(f"no text renderer for {type(answer).__name__}: register one in bot.text")


def when(meeting: MeetingView, timezone: str) -> str:
    """The meeting's date and time in the reader's timezone, as precise as it is known."""
    imprecise = imprecise_when(meeting)
    if imprecise is not None:
        return imprecise
    zone = ZoneInfo(timezone)
    local = meeting.starts_at.astimezone(zone)
    text = f"{local:%A %d %B %Y, %H:%M}"
    if meeting.ends_at:
        text += f"–{meeting.ends_at.astimezone(zone):%H:%M}"
    return f"{text} ({_zone_label(local)})"


def _zone_label(value: dt.datetime) -> str:
    name = str(value.tzinfo)
    return f"{name}, {value:%Z}" if value.strftime("%Z") and value.strftime("%Z")[0] not in "+-" \
        else name


def person(p: PersonRef) -> str:
    name = f"{p.title} {p.name}".strip()
    return f"{name} ({p.organisation})" if p.organisation else name


def place(m: MeetingView) -> str:
    parts = []
    if m.online:
        parts.append("online")
    if m.location:
        parts.append(m.location)
    if m.link:
        parts.append(m.link)
    return ", ".join(parts) or "place to be confirmed"


@render.register
def agenda_text(a: AgendaAnswer) -> str:
    m = a.meeting
    if m is None:
        return f"No {a.asked} is in the calendar." if a.asked == "next meeting" else \
            f"There is no {a.asked} in the calendar. Try `meetings` to see them all."
    lines = [m.title, f"When: {when(m, a.timezone)}", f"Where: {place(m)}"]
    if m.chair:
        lines.append(f"Chair: {person(m.chair)}")
    if m.status != "planned":
        lines.append(f"Status: {m.status}")
    if m.agenda:
        lines.append("Agenda:")
        for item in m.agenda:
            extra = ", ".join(x for x in (item.work_stream, item.presenter and
                                          f"presented by {item.presenter}") if x)
            lines.append(f"  {item.number}. {item.title}" + (f" [{extra}]" if extra else ""))
    else:
        lines.append("No agenda yet.")
    return "\n".join(lines)


@render.register
def meetings_text(a: MeetingsAnswer) -> str:
    lines = ["Upcoming meetings:"]
    lines += [f"  {m.title} — {when(m, a.timezone)}" for m in a.upcoming] or ["  none"]
    lines.append("Recent meetings:")
    lines += [f"  {m.title} — {when(m, a.timezone)}" for m in a.recent] or ["  none"]
    return "\n".join(lines)


def deadline_line(d: DeadlineView) -> str:
    who = d.owner_person or d.owner or "no owner"
    tags = ", ".join(x for x in (who, d.work_stream) if x)
    due = d.due_text or (d.due_on.isoformat() if d.due_on else "no date")
    if d.overdue:
        due += f", OVERDUE by {plural(-d.days_left, 'day')}"
    elif d.days_left == 0:
        due += ", today"
    elif d.days_left is not None:
        due += f", in {plural(d.days_left, 'day')}"
    return f"  • {d.title} — due {due} [{tags}]"


def deadlines_heading(a: DeadlinesAnswer) -> str:
    """"Next deadlines for BRS", "Deadlines due in November 2017", "Overdue deadlines"."""
    scope = "" if a.scope == "all" else f" for {a.scope}"
    window = due_window(a.due_from, a.due_until)
    if a.overdue_only:
        return f"Overdue deadlines{scope}" + (f" (due {window})" if window else "")
    return f"Deadlines{scope} due {window}" if window else f"Next deadlines{scope}"


def due_window(first: dt.date | None, last: dt.date | None) -> str:
    """A window in words: "in November 2017", "9–15 October 2017", "by Friday 13 October"."""
    if last is None:
        return f"from {first:%A %d %B %Y}" if first else ""
    if first is None:
        return f"by {last:%A %d %B %Y}"
    if first == last:
        return f"on {last:%A %d %B %Y}"
    if (first.day, first.year) == (1, last.year) and (last + dt.timedelta(days=1)).day == 1:
        if first.month == last.month:
            return f"in {last:%B %Y}"
        if (first.month, last.month) == (1, 12):
            return f"in {last.year}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"


@render.register
def deadlines_text(a: DeadlinesAnswer) -> str:
    lines = [f"{deadlines_heading(a)} (as of {a.today:%d %B %Y}):"]
    if not a.overdue_only:
        lines += [deadline_line(d) for d in a.upcoming] or ["  none upcoming"]
        if a.more_upcoming:
            lines.append(f"  … and {a.more_upcoming} more")
        if a.overdue:
            lines.append("Overdue (still open):")
    elif not a.overdue:
        lines.append("  none: nothing open is past its date")
    lines += [deadline_line(d) for d in a.overdue]
    if a.more_overdue:
        lines.append(f"  … and {a.more_overdue} more overdue")
    if a.mine:
        lines.append("Your open action items:")
        lines += [deadline_line(d) for d in a.actions] or ["  none"]
    return "\n".join(lines)


@render.register
def lead_text(a: LeadAnswer) -> str:
    w = a.work_stream
    if w is None:
        return f"I don't know a work stream called {a.query!r}. Try `lead ws1` or `meetings`."
    lines = [f"{w.name} ({w.key})"]
    if a.no_lead:
        lines.append("No lead yet." + (f" {w.lead_note}" if w.lead_note else ""))
    elif w.lead_note:
        lines.append(w.lead_note)
    for r in a.roles:
        since = f" since {r.since:%d %B %Y}" if r.since else ""
        note = f" — {r.note}" if r.note else ""
        lines.append(f"  {ROLE_LABELS.get(r.role, r.role)}: {r.organisation_name} "
                     f"({r.organisation}){since}{note}")
        if r.focal_points:
            lines.append("    contact: " + "; ".join(person(p) for p in r.focal_points))
    if not a.roles:
        lines.append("  No organisation has a role in it yet.")
    return "\n".join(lines)


@render.register
def who_text(a: WhoAnswer) -> str:
    if a.organisation:
        o = a.organisation
        lines = [f"{o.name} ({o.acronym}) — {o.kind}"]
        if o.website:
            lines.append(f"  {o.website}")
        for key, name, role in o.roles:
            lines.append(f"  {ROLE_LABELS.get(role, role)} in {name} ({key})")
        if not o.roles:
            lines.append("  No role in a work stream.")
        if o.people:
            lines.append("  People: " + "; ".join(
                f"{p.title} {p.name}".strip() + (f" ({p.role.replace('_', ' ')})")
                for p in o.people))
        return "\n".join(lines)
    if a.person:
        p = a.person
        lines = [f"{person(p)} — {p.role.replace('_', ' ')}, {p.email}"]
        for key, name, role in a.person_roles:
            lines.append(f"  {p.organisation}: {ROLE_LABELS.get(role, role)} in {name} ({key})")
        return "\n".join(lines)
    return f"I don't know anyone called {a.query!r}. Try an acronym such as BRS, or a name."


@render.register
def help_text(a: HelpAnswer) -> str:
    return f"{a.note}\n\n{HELP}" if a.note else HELP


@render.register
def news_text(a: NewsAnswer) -> str:
    about = f" about {a.query!r}" if a.query else ""
    if not a.items:
        return f"No news{about} yet."
    lines = [f"Latest news{about}:"]
    lines += [f"  • {i.title} — {i.source}, {i.published_at:%d %b %Y}"
              + (f" <{i.link}>" if i.link else "") for i in a.items]
    return "\n".join(lines)


@render.register
def refused_text(a: Refused) -> str:
    who = ", ".join(a.who_can) or "the secretariat"
    return f"Sorry, only the secretariat can {a.action}. Please ask {who}."


@render.register
def done_text(a: Done) -> str:
    return a.text


@render.register
def form_text(a: NeedsModal) -> str:
    return f"Opening the {a.kind} form…"


@render.register
def later_text(a: Later) -> str:
    return f"Working on `{a.command}`…"


_FOR = {commands.MEMBER: "for members of the coalition",
        commands.SECRETARIAT: "for the secretariat"}


@render.register
def elsewhere_text(a: Elsewhere) -> str:
    where = f"`{a.command}` works in Slack, {_FOR.get(a.access, 'for everyone')}: " \
        f"`{a.slash} {a.usage}`."
    return f"{where} {a.instead}" if a.instead else where
