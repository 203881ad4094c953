"""Overdue means past due: a deadline due today is not overdue, from the first instant of the
day, in the reader's own timezone, in every answer the bot gives (deadlines, deadlines mine,
the App Home) and in the reminders (the coalition's timezone). The day after, it is."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from bot.dispatch import Asker, answer
from bot.home import home_view
from bot.reminders import due_reminders
from bot.router import parse
from store.models import Person
from tests.due_today import COALITION, DUE, READERS, TITLE, add_due_on_the_15th, midnight


@pytest.fixture(scope="module")
def due_on_the_15th(shared_example_engine):
    return add_due_on_the_15th(shared_example_engine)


def _seen(engine, email: str, now: dt.datetime) -> dict:
    """How the reader sees the item at `now` in each of the bot's answers: overdue or not."""
    with Session(engine) as session:
        reader = session.exec(select(Person).where(Person.email == email)).one()
        asker = Asker(person=reader, timezone=reader.timezone)
        listed = answer(parse("deadlines 50"), session=session, now=now, asker=asker)
        mine = answer(parse("deadlines mine"), session=session, now=now, asker=asker)
        home = home_view(session=session, asker=asker, now=now, name="Coalition")
    upcoming = [d for d in listed.upcoming if d.key == "comments-due"]
    overdue = [d for d in listed.overdue if d.key == "comments-due"]
    assert len(upcoming + overdue) == 1
    (action,) = [d for d in mine.actions if d.key == "comments-due"]
    home_lines = [line for b in home["blocks"] if isinstance(b.get("text"), dict)
                  for line in b["text"]["text"].splitlines() if TITLE in line]
    assert home_lines
    return {"deadlines": bool(overdue) or upcoming[0].overdue,
            "days left": (upcoming + overdue)[0].days_left,
            "deadlines mine": action.overdue,
            "App Home": all("OVERDUE" in line for line in home_lines)}


@pytest.mark.parametrize("email", sorted(READERS))
def test_due_today_is_not_overdue_from_midnight_in_the_readers_timezone(due_on_the_15th, email):
    zone = READERS[email]
    assert _seen(due_on_the_15th, email, midnight(DUE, zone)) == {
        "deadlines": False, "days left": 0, "deadlines mine": False, "App Home": False}
    last_instant = midnight(DUE + dt.timedelta(days=1), zone) - dt.timedelta(microseconds=1)
    assert not _seen(due_on_the_15th, email, last_instant)["deadlines"]
    assert _seen(due_on_the_15th, email, midnight(DUE + dt.timedelta(days=1), zone)) == {
        "deadlines": True, "days left": -1, "deadlines mine": True, "App Home": True}


def test_at_the_coalitions_midnight_a_reader_still_on_the_due_day_sees_it_due(due_on_the_15th):
    """16 November begins in Geneva while it is still the 15th in New York."""
    next_day = midnight(DUE + dt.timedelta(days=1), COALITION)
    assert _seen(due_on_the_15th, "tatiana.terekhova@example.org", next_day)["deadlines"]
    assert _seen(due_on_the_15th, "sophie.ravier@example.org", next_day) == {
        "deadlines": False, "days left": 0, "deadlines mine": False, "App Home": False}
    # and the 15th began in Bangkok while it was still the 14th in Geneva
    early = midnight(DUE, "Asia/Bangkok")
    assert _seen(due_on_the_15th, "marit.nilses@example.org", early)["days left"] == 0
    assert _seen(due_on_the_15th, "tatiana.terekhova@example.org", early)["days left"] == 1


def _reminded(engine, now: dt.datetime) -> list[str]:
    with Session(engine) as session:
        return [r.text for r in due_reminders(session=session, now=now, days=[7, 1],
                                              timezone=COALITION, channel="CREMIND")
                if TITLE in r.text]


def test_the_reminder_says_due_today_at_the_coalitions_midnight_and_nothing_after(
        due_on_the_15th):
    assert set(_reminded(due_on_the_15th, midnight(DUE, COALITION))) == {
        f"Reminder: “{TITLE}” is due today ({DUE.isoformat()})."}
    assert _reminded(due_on_the_15th, midnight(DUE + dt.timedelta(days=1), COALITION)) == []
