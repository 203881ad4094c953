"""The App Home tab: a person's next meeting, their deadlines, their action items, and their
digest subscription (a toggle)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from bot import answers, blocks
from bot.dispatch import Asker
from store.models import Deadline, Organisation, WorkStream, WorkStreamRole

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
    items.append(blocks.section(_action_items(session, person.id)))
    items.append(_toggle(person.digest_subscribed))
    return {"type": "home", "blocks": items[:100]}


def _work_streams(session: Session, organisation_id: int) -> list[str]:
    return list(session.exec(select(WorkStream.key).join(
        WorkStreamRole, WorkStreamRole.work_stream_id == WorkStream.id).where(
        WorkStreamRole.organisation_id == organisation_id, WorkStreamRole.retired_at.is_(None),
        WorkStream.retired_at.is_(None)).distinct().order_by(WorkStream.key)))[:3]


def _action_items(session: Session, person_id: int) -> str:
    rows = session.exec(select(Deadline).where(
        Deadline.owner_person_id == person_id, Deadline.status == "open",
        Deadline.retired_at.is_(None)).order_by(Deadline.due_on, Deadline.key).limit(10)).all()
    if not rows:
        return "*Your open action items*\n_None._"
    lines = [f"• {blocks.escape(d.title)} — due {d.due_text or d.due_on or 'no date'}"
             for d in rows]
    return "*Your open action items*\n" + "\n".join(lines)


def _toggle(subscribed: bool) -> dict:
    state = "You receive the weekly digest." if subscribed else \
        "You do not receive the weekly digest."
    label = "Unsubscribe" if subscribed else "Subscribe"
    return {"type": "section", "text": {"type": "mrkdwn", "text": state},
            "accessory": {"type": "button", "action_id": TOGGLE_DIGEST,
                          "value": "off" if subscribed else "on",
                          "text": {"type": "plain_text", "text": label}}}
