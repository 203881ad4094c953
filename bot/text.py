"""Answers as plain text: for the console, and as the text fallback of every Slack message."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

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
from bot.headlines import NewsAnswer
from bot.writes import Done, Later, NeedsModal, Refused
from store.when import imprecise_when

ROLE_LABELS = {"lead": "Lead", "co-lead": "Co-lead", "support": "Support",
               "interested": "Interested"}

HELP = """I can answer these (a command word or a plain question):
  agenda [next|N]                     the agenda of the next meeting, or of meeting N
  deadlines [N] [ws KEY|org ACR|mine] the next deadlines; overdue ones flagged apart
  lead WORKSTREAM                     who leads a work stream ("lead ws1", "who leads ws 2")
  who ORG|PERSON                      an organisation's roles and focal points, or who a person is
  meetings                            upcoming and recent meetings
  news [TEXT]                         the latest news and publications
  update TEXT                         record a news update of your organisation
  subscribe | unsubscribe             the weekly email digest
  help                                this list
For the secretariat: meeting add|edit KEY, deadline add|edit|done KEY, note ITEM TEXT,
minutes N, sync"""


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
        due += f", OVERDUE by {-d.days_left} days"
    elif d.days_left is not None:
        due += f", in {d.days_left} days"
    return f"  • {d.title} — due {due} [{tags}]"


def deadlines_text(a: DeadlinesAnswer) -> str:
    scope = "" if a.scope == "all" else f" for {a.scope}"
    lines = [f"Next deadlines{scope} (as of {a.today:%d %B %Y}):"]
    lines += [deadline_line(d) for d in a.upcoming] or ["  none upcoming"]
    if a.more_upcoming:
        lines.append(f"  … and {a.more_upcoming} more")
    if a.overdue:
        lines.append("Overdue (still open):")
        lines += [deadline_line(d) for d in a.overdue]
        if a.more_overdue:
            lines.append(f"  … and {a.more_overdue} more overdue")
    if a.mine:
        lines.append("Your open action items:")
        lines += [deadline_line(d) for d in a.actions] or ["  none"]
    return "\n".join(lines)


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


def help_text(a: HelpAnswer) -> str:
    return f"{a.note}\n\n{HELP}" if a.note else HELP


def news_text(a: NewsAnswer) -> str:
    about = f" about {a.query!r}" if a.query else ""
    if not a.items:
        return f"No news{about} yet."
    lines = [f"Latest news{about}:"]
    lines += [f"  • {i.title} — {i.source}, {i.published_at:%d %b %Y}"
              + (f" <{i.link}>" if i.link else "") for i in a.items]
    return "\n".join(lines)


def refused_text(a: Refused) -> str:
    who = ", ".join(a.who_can) or "the secretariat"
    return f"Sorry, only the secretariat can {a.action}. Please ask {who}."


def render(answer) -> str:
    for kind, fn in ((AgendaAnswer, agenda_text), (DeadlinesAnswer, deadlines_text),
                     (LeadAnswer, lead_text), (WhoAnswer, who_text),
                     (MeetingsAnswer, meetings_text), (HelpAnswer, help_text),
                     (NewsAnswer, news_text), (Refused, refused_text),
                     (Done, lambda a: a.text),
                     (NeedsModal, lambda a: f"Opening the {a.kind} form…"),
                     (Later, lambda a: f"Working on `{a.command}`…")):
        if isinstance(answer, kind):
            return fn(answer)
    return str(answer)
