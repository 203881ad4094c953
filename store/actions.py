"""Action items: the one definition every surface uses (the App Home, `deadlines mine`, the
digest, reminders), and the rule that tells a meeting's next step from an item already listed.

An action item is an open deadline of kind "action", with one or more owner organisations and
optionally an owner person. A person's action items are those they own, and those their
organisation owns (alone or with others).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import or_
from sqlmodel import Session, col, select

from store.current import current
from store.deadlines import Named, named
from store.models import Deadline, Meeting, Organisation
from store.names import fold
from store.periods import trailing_period

ACTION = "action"
_OWNER_TO = re.compile(r"^(?P<owner>.+?)\s+to\s+(?P<action>.+)$")
_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b|\bwith\b)\s*")


def open_action_items(*, session: Session) -> list[Named]:
    """Every open action item, with its owners, soonest first (undated ones last)."""
    rows = session.exec(select(Deadline).where(
        current(Deadline), Deadline.status == "open", Deadline.kind == ACTION,
    ).order_by(Deadline.due_on.is_(None), Deadline.due_on, Deadline.key)).all()
    return named(session=session, deadlines=list(rows))


def is_for(item: Named, *, person_id: int | None, organisation_id: int | None) -> bool:
    """Whether the action item is this person's: they own it, or their organisation does."""
    if person_id is not None and item.deadline.owner_person_id == person_id:
        return True
    return organisation_id is not None and organisation_id in item.owner_ids


def mine(items: Iterable[Named], *, person_id: int | None,
         organisation_id: int | None) -> list[Named]:
    return [i for i in items if is_for(i, person_id=person_id, organisation_id=organisation_id)]


def action_items(*, session: Session, person=None, organisation: Organisation | None = None,
                 ) -> list[Named]:
    """The open action items of a person (theirs and their organisation's) or of an
    organisation, soonest first."""
    org_id = organisation.id if organisation is not None else \
        (person.organisation_id if person is not None else None)
    person_id = person.id if person is not None else None
    if person_id is None and org_id is None:
        return []
    return mine(open_action_items(session=session), person_id=person_id,
                organisation_id=org_id)


def meeting_action_items(*, session: Session, meeting: Meeting) -> list[Deadline]:
    """The current action items agreed at the meeting (or listed for it), any status."""
    return list(session.exec(select(Deadline).where(
        current(Deadline), Deadline.kind == ACTION,
        or_(Deadline.from_meeting_id == meeting.id, Deadline.meeting_id == meeting.id),
    ).order_by(col(Deadline.origin) != "data", Deadline.key)))


def same_text(text: str) -> str:
    """A text as compared for sameness: case, accents, punctuation and a trailing when
    ("by 2017-11-30", "in November 2017") aside."""
    head, _ = trailing_period(text.strip().rstrip(".!"))
    return fold(head).rstrip(". ")


def action_core(title: str, owner_names: set[str]) -> str:
    """The action of a title, as compared for sameness: "BRS and UNITAR to work alongside
    ..." and "Work alongside ..." have the same core when BRS and UNITAR name organisations
    (`owner_names`: their acronyms, names and aliases, folded)."""
    text = same_text(title)
    m = _OWNER_TO.match(text)
    if m:
        parts = [p for p in _SEPARATORS.split(m.group("owner")) if p]
        whole = m.group("owner").removeprefix("the ")
        if whole in owner_names or (parts and all(p.removeprefix("the ") in owner_names
                                                  for p in parts)):
            return m.group("action")
    return text


def owner_names(orgs: Iterable[Organisation]) -> set[str]:
    """Every folded acronym, name and alias of these organisations."""
    names: set[str] = set()
    for org in orgs:
        names |= {fold(org.acronym), fold(org.name), *map(fold, org.aliases)}
    return names
