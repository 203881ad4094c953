"""In the digest, too, a deadline due today is not overdue: from the first instant of the day
in the reader's timezone, in the deadlines and in the action items, as data and as read."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from digests.compose import render
from digests.content import Shared, build_digest
from store.models import Person
from tests.due_today import DUE, READERS, TITLE, add_due_on_the_15th, midnight


@pytest.fixture(scope="module")
def due_on_the_15th(shared_example_engine):
    return add_due_on_the_15th(shared_example_engine)


def _digest(engine, email: str, now: dt.datetime):
    with Session(engine) as session:
        reader = session.exec(select(Person).where(Person.email == email)).one()
        shared = Shared.load(session, now=now, since=now - dt.timedelta(days=7),
                             coalition="E-waste Coalition")
        content = build_digest(person=reader, shared=shared)
    (item,) = [a for a in content.actions if a.key == "comments-due"]
    text, html = render(content, subject_line="s", view_url="v", unsubscribe_url="u")
    return item.overdue, f"OVERDUE: {TITLE}" in text


@pytest.mark.parametrize("email", sorted(READERS))
def test_due_today_is_not_overdue_in_the_digest_from_the_readers_midnight(due_on_the_15th,
                                                                          email):
    zone = READERS[email]
    assert _digest(due_on_the_15th, email, midnight(DUE, zone)) == (False, False)
    assert _digest(due_on_the_15th, email, midnight(DUE + dt.timedelta(days=1), zone)) == \
        (True, True)


def test_at_the_coalitions_midnight_the_new_york_reader_still_sees_it_due(due_on_the_15th):
    next_day = midnight(DUE + dt.timedelta(days=1), "Europe/Zurich")
    assert _digest(due_on_the_15th, "sophie.ravier@example.org", next_day) == (False, False)
    assert _digest(due_on_the_15th, "tatiana.terekhova@example.org", next_day) == (True, True)
