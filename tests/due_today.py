"""A deadline due on 15 November 2017 and readers on either side of the coalition's timezone:
the setting of the "due today is not overdue" tests of every surface."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import select

from store.deadlines import set_owners
from store.engine import unit_of_work
from store.models import Deadline, Organisation

DUE = dt.date(2017, 11, 15)
TITLE = "Circulate the comments on the terms of reference"
COALITION = "Europe/Zurich"
READERS = {"tatiana.terekhova@example.org": "Europe/Zurich",  # BRS, the coalition's zone
           "marit.nilses@example.org": "Asia/Bangkok",  # UNESCAP, ahead of it
           "sophie.ravier@example.org": "America/New_York"}  # DFS, behind it


def midnight(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), ZoneInfo(zone)).astimezone(dt.UTC)


def add_due_on_the_15th(engine):
    """An action item due on 15 November 2017, owned by BRS, UNESCAP and DFS together."""
    with unit_of_work(engine) as session:
        item = Deadline(key="comments-due", title=TITLE, due_text=DUE.isoformat(),
                        starts_on=DUE, due_on=DUE, kind="action", origin="slack")
        session.add(item)
        session.flush()
        orgs = session.exec(select(Organisation.id).where(
            Organisation.acronym.in_(["BRS", "UNESCAP", "DFS"]))).all()
        set_owners(session=session, deadline=item, organisation_ids=list(orgs))
    return engine


