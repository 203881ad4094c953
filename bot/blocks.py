"""Block Kit for every answer. The text fallback of every message is `bot.text.render()`.

`answer_blocks` is keyed by the answer's type like `bot.text.render`: an answer type with no
Block Kit renderer registered below fails loudly, never reaches Slack as a repr."""

from __future__ import annotations

from functools import singledispatch

from bot import text as plain
from bot.answers import (
    AgendaAnswer,
    DeadlinesAnswer,
    DeadlineView,
    HelpAnswer,
    LeadAnswer,
    MeetingsAnswer,
    PersonRef,
    WhoAnswer,
)
from bot.dispatch import Elsewhere
from bot.headlines import NewsAnswer
from bot.writes import Done, Later, NeedsModal, Refused

SHARE_ACTION = "share_in_channel"
_MAX_BLOCKS = 48


def escape(value: str) -> str:
    """Slack's mrkdwn escaping: &, < and > only."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(markdown: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": markdown[:3000] or " "}}


def header(title: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": title[:150] or " "}}


def context(markdown: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": markdown[:3000]}]}


def share_button(request_text: str) -> dict:
    return {"type": "actions", "elements": [{
        "type": "button", "action_id": SHARE_ACTION, "value": request_text[:2000] or "help",
        "text": {"type": "plain_text", "text": "Share in channel"}}]}


def message(answer, *, share: str | None = None) -> dict:
    """`text` and `blocks` for chat.postMessage, respond() or ack(); `share` is the request
    text re-asked when someone clicks "Share in channel" (None: no button)."""
    blocks = answer_blocks(answer)[:_MAX_BLOCKS]
    if share is not None:
        blocks.append(share_button(share))
    return {"text": plain.render(answer)[:3900], "blocks": blocks}


@singledispatch
def answer_blocks(answer) -> list[dict]:
    raise TypeError(f"no Block Kit renderer for {type(answer).__name__}: register one in "
                    f"bot.blocks")


@answer_blocks.register(HelpAnswer)
@answer_blocks.register(Refused)
@answer_blocks.register(Done)
@answer_blocks.register(NeedsModal)
@answer_blocks.register(Later)
@answer_blocks.register(Elsewhere)
def _as_text(answer) -> list[dict]:
    """Answers that are a sentence or two: their text in one section."""
    return [section(escape(plain.render(answer)))]


def _person(p: PersonRef) -> str:
    name = escape(f"{p.title} {p.name}".strip())
    mention = f" <@{p.slack_user_id}>" if p.slack_user_id else ""
    return f"{name} ({escape(p.organisation)}){mention}" if p.organisation else name + mention


@answer_blocks.register
def _agenda(a: AgendaAnswer) -> list[dict]:
    m = a.meeting
    if m is None:
        return [section(escape(plain.agenda_text(a)))]
    facts = [f"*When:* {escape(plain.when(m, a.timezone))}", f"*Where:* {escape(plain.place(m))}"]
    if m.chair:
        facts.append(f"*Chair:* {_person(m.chair)}")
    if m.status != "planned":
        facts.append(f"*Status:* {escape(m.status)}")
    items = [f"{i.number}. {escape(i.title)}" + "".join(
        f" — _{escape(x)}_" for x in (i.work_stream, i.presenter) if x) for i in m.agenda]
    return [header(m.title), section("\n".join(facts)),
            section("*Agenda*\n" + "\n".join(items) if items else "_No agenda yet._")]


def _deadline(d: DeadlineView) -> str:
    return escape(plain.deadline_line(d).strip()).replace(
        "OVERDUE", ":warning: *OVERDUE*", 1)


@answer_blocks.register
def _deadlines(a: DeadlinesAnswer) -> list[dict]:
    blocks = [header(plain.deadlines_heading(a)), context(f"as of {a.today:%d %B %Y}")]
    if a.overdue_only:
        blocks.append(section("\n".join(map(_deadline, a.overdue))
                              or "_None: nothing open is past its date._"))
    else:
        blocks.append(section("\n".join(_deadline(d) for d in a.upcoming)
                              or "_None upcoming._"))
        if a.more_upcoming:
            blocks.append(context(f"… and {a.more_upcoming} more"))
        if a.overdue:
            blocks.append(section("*Overdue (still open)*\n"
                                  + "\n".join(map(_deadline, a.overdue))))
    if a.more_overdue:
        blocks.append(context(f"… and {a.more_overdue} more overdue"))
    if a.mine:
        blocks.append(section("*Your open action items*\n" + (
            "\n".join(map(_deadline, a.actions)) or "_None._")))
    return blocks


@answer_blocks.register
def _lead(a: LeadAnswer) -> list[dict]:
    w = a.work_stream
    if w is None:
        return [section(escape(plain.lead_text(a)))]
    blocks = [header(f"{w.name} ({w.key})")]
    if a.no_lead:
        blocks.append(section("*No lead yet.*" + (f" {escape(w.lead_note)}" if w.lead_note
                                                   else "")))
    for r in a.roles:
        since = f" since {r.since:%d %B %Y}" if r.since else ""
        line = (f"*{plain.ROLE_LABELS.get(r.role, r.role)}:* {escape(r.organisation_name)} "
                f"({escape(r.organisation)}){since}")
        if r.focal_points:
            line += "\ncontact: " + "; ".join(_person(p) for p in r.focal_points)
        blocks.append(section(line))
    if not a.roles:
        blocks.append(section("_No organisation has a role in it yet._"))
    return blocks


@answer_blocks.register
def _who(a: WhoAnswer) -> list[dict]:
    if a.organisation:
        o = a.organisation
        roles = [f"{plain.ROLE_LABELS.get(r, r)} in {escape(n)} ({k})" for k, n, r in o.roles]
        people = [f"{_person(p)} — {p.role.replace('_', ' ')}" for p in o.people]
        return [header(f"{o.name} ({o.acronym})"),
                section("\n".join(roles) or "_No role in a work stream._"),
                section("*People*\n" + ("\n".join(people) or "_none listed_"))]
    if a.person:
        p = a.person
        roles = [f"{plain.ROLE_LABELS.get(r, r)} in {escape(n)} ({k})"
                 for k, n, r in a.person_roles]
        return [section(f"*{_person(p)}* — {p.role.replace('_', ' ')}, {escape(p.email)}"
                        + ("\n" + "\n".join(roles) if roles else ""))]
    return [section(escape(plain.who_text(a)))]


@answer_blocks.register
def _meetings(a: MeetingsAnswer) -> list[dict]:
    def lines(ms):
        return "\n".join(f"• *{escape(m.title)}* — {escape(plain.when(m, a.timezone))}"
                         for m in ms) or "_none_"
    return [section("*Upcoming meetings*\n" + lines(a.upcoming)),
            section("*Recent meetings*\n" + lines(a.recent))]


@answer_blocks.register
def _news(a: NewsAnswer) -> list[dict]:
    if not a.items:
        return [section(escape(plain.news_text(a)))]
    lines = [(f"• <{i.link}|{escape(i.title)}>" if i.link.startswith("http")
              else f"• {escape(i.title)}") + f" — {escape(i.source)}, {i.published_at:%d %b %Y}"
             for i in a.items]
    about = f" about “{escape(a.query)}”" if a.query else ""
    return [section(f"*Latest news{about}*\n" + "\n".join(lines))]
