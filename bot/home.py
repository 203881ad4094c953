"""The App Home tab: a person's next meeting, their deadlines, their action items, and their
digest subscription (a toggle)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot import answers, blocks, text
from bot.dispatch import Asker
from store.actions import action_items
from store.models import Organisation
from store.organisations import roles_of_organisation

TOGGLE_DIGEST = "toggle_digest"


def home_view(*, session: Session, asker: Asker, now: dt.datetime, name: str) -> dict:
    tz = asker.timezone
    items: list[dict] = [blocks.header(name)]
    items += blocks.answer_blocks(answers.agenda(session=session, now=now, timezone=tz))
    person = asker.person
    if person is None:
        items.append(blocks.context("I don't know you in the coalition yet: ask the "
                                    "secretariat to add your Slack account to see your "
                                    "organisation's deadlines here."))
        items += blocks.answer_blocks(answers.next_deadlines(session=session, now=now,
                                                             timezone=tz))
        return {"type": "home", "blocks": items[:100]}
    org = session.get(Organisation, person.organisation_id) if person.organisation_id else None
    if org is not None:
        items.append({"type": "divider"})
        items += blocks.answer_blocks(answers.next_deadlines(
            session=session, now=now, organisation=org.acronym, timezone=tz, limit=5))
        for key in _work_streams(session, org.id):
            items += blocks.answer_blocks(answers.next_deadlines(
                session=session, now=now, work_stream=key, timezone=tz, limit=3))
    items.append({"type": "divider"})
    items += _action_items(session, person, now, tz)
    items.append(_toggle(person.digest_subscribed))
    return {"type": "home", "blocks": items[:100]}


def _work_streams(session: Session, organisation_id: int) -> list[str]:
    rows = roles_of_organisation(session=session, organisation_id=organisation_id, today=None)
    return list(dict.fromkeys(w.key for _, w in rows))[:3]


ACTIONS_SHOWN = 20


def _action_items(session: Session, person, now: dt.datetime, timezone: str) -> list[dict]:
    """The person's open action items (theirs and their organisation's), as `deadlines mine`
    and the digest list them."""
    today = answers.local_date(now, timezone)
    views = [answers.deadline_view(item, today)
             for item in action_items(session=session, person=person)]
    if not views:
        return [blocks.section("*Your open action items*\n_None._")]
    lines = [blocks.escape(text.deadline_line(v).strip()) for v in views[:ACTIONS_SHOWN]]
    out = [blocks.section("*Your open action items*\n" + "\n".join(lines))]
    if len(views) > ACTIONS_SHOWN:
        out.append(blocks.context(f"… and {len(views) - ACTIONS_SHOWN} more: "
                                  "`deadlines mine` lists them all"))
    return out


def _toggle(subscribed: bool) -> dict:
    state = "You receive the weekly digest." if subscribed else \
        "You do not receive the weekly digest."
    label = "Unsubscribe" if subscribed else "Subscribe"
    return {"type": "section", "text": {"type": "mrkdwn", "text": state},
            "accessory": {"type": "button", "action_id": TOGGLE_DIGEST,
                          "value": "off" if subscribed else "on",
                          "text": {"type": "plain_text", "text": label}}}
