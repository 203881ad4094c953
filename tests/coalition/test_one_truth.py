"""Every surface tells the same, true story of the example coalition, as `coalition demo` leaves
it (the data file synced, the 5th meeting's notes imported): the answers, the App Home, the
digest, the calendar and the minutes agree on the next meeting, the action items and the
dates, and no item is listed twice."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import Session, select

from bot import text as render_text
from bot.dispatch import Asker, answer
from bot.home import home_view
from bot.router import parse
from digests.calendar import build_calendar
from digests.compose import render
from digests.content import Shared, build_digest
from digests.minutes.actions import sync_actions
from digests.minutes.notes import import_notes
from store.actions import action_core, owner_names
from store.engine import unit_of_work
from store.meetings import find_meeting
from store.models import Deadline, Person
from store.organisations import organisations
from tests.conftest import NOW, ROOT

NOTES = ROOT / "examples" / "img5-notes.txt"
OCT_1 = dt.datetime(2017, 9, 30, 22, 0, tzinfo=dt.UTC)  # 00:00 on 1 October in Geneva
OCT_6 = dt.datetime(2017, 10, 6, 8, 0, tzinfo=dt.UTC)
OCT_9 = dt.datetime(2017, 10, 9, 7, 0, tzinfo=dt.UTC)  # a Monday, the digest's day


@pytest.fixture(scope="module")
def demo(shared_example_engine):
    """The example as `coalition demo` leaves it (once for the module: the tests read it, and
    the one that changes it puts it back)."""
    with unit_of_work(shared_example_engine) as session:
        meeting = find_meeting(session=session, ref="5")
        import_notes(session=session, meeting=meeting, path=NOTES, now=NOW)
        sync_actions(session=session, meeting=meeting, now=NOW)
    return shared_example_engine


def person(session: Session, email: str) -> Person:
    return session.exec(select(Person).where(Person.email == email)).one()


def ask(session: Session, question: str, now: dt.datetime, who: Person | None = None):
    asker = Asker(person=who, timezone=who.timezone) if who else Asker()
    return answer(parse(question), session=session, now=now, asker=asker)


def home_text(session: Session, who: Person, now: dt.datetime) -> str:
    view = home_view(session=session, asker=Asker(person=who, timezone=who.timezone), now=now,
                     name="E-waste Coalition")
    return "\n".join(b["text"]["text"] for b in view["blocks"] if isinstance(b.get("text"), dict))


def digest(session: Session, who: Person, now: dt.datetime):
    shared = Shared.load(session, now=now, since=now - dt.timedelta(days=7),
                         coalition="E-waste Coalition")
    return build_digest(person=who, shared=shared)


def test_no_two_open_items_have_the_same_meaning(demo):
    with Session(demo) as session:
        names = owner_names(organisations(session=session).values())
        open_items = session.exec(select(Deadline).where(
            Deadline.status == "open", Deadline.retired_at.is_(None))).all()
    cores = [action_core(d.title, names) for d in open_items]
    assert len(cores) == len(set(cores)) == 19
    assert not [d for d in open_items if d.origin == "minutes"]  # each next step is listed once


def test_unitar_co_owns_the_work_stream_one_terms_of_reference_everywhere(demo):
    with Session(demo) as session:
        nelson = person(session, "nelson.manda@example.org")  # UNITAR's focal point
        found = ask(session, "deadlines org UNITAR", OCT_6)
        assert "ws1-tor-comments" in [d.key for d in found.upcoming]
        tor = next(d for d in found.upcoming if d.key == "ws1-tor-comments")
        assert tor.owners == ["BRS", "UNITAR"] and tor.owner == "BRS, UNITAR"
        assert tor.title.startswith("BRS and UNITAR to work alongside EMG Secretariat in "
                                    "establishing a draft Terms of Reference for Work Stream One")
        mine = ask(session, "deadlines mine", OCT_6, nelson)
        assert [d.key for d in mine.actions] == ["ws1-tor-comments"]
        assert [a.key for a in digest(session, nelson, OCT_9).actions] == ["ws1-tor-comments"]


@pytest.mark.parametrize(("email", "count"), [("hossein.fadaei@example.org", 4),
                                              ("tatiana.terekhova@example.org", 1)])
def test_app_home_digest_and_deadlines_mine_list_the_same_action_items(demo, email, count):
    with Session(demo) as session:
        who = person(session, email)
        mine = [d.title for d in ask(session, "deadlines mine", OCT_9, who).actions]
        in_digest = [a.title for a in digest(session, who, OCT_9).actions]
        home = home_text(session, who, OCT_9)
    assert len(mine) == count
    assert in_digest == mine
    listed = home.split("*Your open action items*\n", 1)[1].splitlines()
    assert [line.split(" — due ")[0].removeprefix("• ") for line in listed
            if line.startswith("• ")] == mine


def test_ask_the_digest_and_app_home_name_the_same_next_meeting_on_9_october(demo):
    with Session(demo) as session:
        tatiana = person(session, "tatiana.terekhova@example.org")
        asked = ask(session, "next meeting", OCT_9, tatiana)
        in_digest = digest(session, tatiana, OCT_9).meeting
        home = home_text(session, tatiana, OCT_9)
    assert asked.meeting.title == in_digest.title == "6th IMG E-waste meeting"
    assert "6th IMG E-waste meeting" in home.splitlines()[0] or \
        home.index("6th IMG E-waste meeting") < home.index("Next deadlines")
    assert in_digest.when == render_text.when(asked.meeting, "Europe/Zurich") == \
        "December 2017 (date to be confirmed)"


@pytest.mark.parametrize(("now", "status"), [(OCT_1, "upcoming"), (OCT_6, "held")])
def test_the_fifth_meeting_is_upcoming_until_it_ends_and_held_after(demo, now, status):
    with Session(demo) as session:
        result = ask(session, "agenda 5", now)
    assert result.meeting.status == status
    assert f"Status: {status}" in render_text.render(result)


def _mark(engine, status: str) -> None:
    with unit_of_work(engine) as session:
        img6 = find_meeting(session=session, ref="6")
        img6.status = status
        session.add(img6)


def test_a_meeting_marked_cancelled_or_postponed_says_so_and_is_not_next(demo):
    _mark(demo, "postponed")
    try:
        with Session(demo) as session:
            assert ask(session, "agenda 6", OCT_9).meeting.status == "postponed"
            assert ask(session, "next meeting", OCT_9).meeting.title == \
                "7th IMG E-waste meeting"
    finally:
        _mark(demo, "planned")


# The first of the months the example's meetings are known by, as a day
MONTH_ONLY_AS_A_DAY = re.compile(r"\b0?1(?:st)? (?:Nov|Dec|Jan|Mar)[a-z]* 201[78]\b|"
                                 r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]* 0?1\b|"
                                 r"DTSTART[^:\n]*:(?:20171101|20171201|20180101|20180301)")


def test_no_month_only_date_is_shown_or_exported_as_a_day(demo):
    with Session(demo) as session:
        tatiana = person(session, "tatiana.terekhova@example.org")
        shown = {
            "meetings": render_text.render(ask(session, "meetings", OCT_9, tatiana)),
            "agenda 6": render_text.render(ask(session, "agenda 6", OCT_9, tatiana)),
            "App Home": home_text(session, tatiana, OCT_9),
            "digest": "\n".join(render(digest(session, tatiana, OCT_9), subject_line="s",
                                       view_url="v", unsubscribe_url="u")),
            "calendar": build_calendar(session=session, now=OCT_9,
                                       name="E-waste Coalition").to_ical().decode(),
        }
    assert "December 2017 (date to be confirmed)" in shown["meetings"]
    assert "November 2017 (date to be confirmed)" in shown["digest"] or \
        "December 2017 (date to be confirmed)" in shown["digest"]
    for surface, text in shown.items():
        found = MONTH_ONLY_AS_A_DAY.search(text)
        assert found is None, f"{surface} shows a month-only date as a day: {found.group()}"
