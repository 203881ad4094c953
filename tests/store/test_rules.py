"""The rules every surface applies, as pure functions: overdue, a meeting's status and end,
the sameness of two next steps, a sentence's trailing date, the owners a next step names."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from store.actions import action_core, owner_names, same_text
from store.deadlines import is_exact, is_overdue
from store.meetings import is_over, meeting_status, over_at
from store.periods import trailing_period

D = dt.date
ZURICH = ZoneInfo("Europe/Zurich")


@pytest.mark.parametrize(("due", "today", "overdue"), [
    (D(2017, 11, 15), D(2017, 11, 14), False),
    (D(2017, 11, 15), D(2017, 11, 15), False),  # due today is not overdue
    (D(2017, 11, 15), D(2017, 11, 16), True),
    (None, D(2017, 11, 16), False),  # "Ongoing"
])
def test_overdue_means_past_due(due, today, overdue):
    assert is_overdue(due, today) is overdue


def test_only_a_deadline_known_to_the_day_is_exact():
    assert is_exact(SimpleNamespace(starts_on=D(2017, 11, 30), due_on=D(2017, 11, 30)))
    assert not is_exact(SimpleNamespace(starts_on=D(2017, 11, 1), due_on=D(2017, 11, 30)))
    assert not is_exact(SimpleNamespace(starts_on=None, due_on=None))


def meeting(starts: dt.datetime, precision: str = "minute", ends: dt.datetime | None = None,
            status: str = "planned"):
    return SimpleNamespace(starts_at=starts.astimezone(dt.UTC), ends_at=ends, status=status,
                           precision=precision, timezone="Europe/Zurich")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZURICH)


def test_a_timed_meeting_is_upcoming_until_it_ends_then_held():
    m = meeting(local(2017, 10, 5, 15, 30), ends=local(2017, 10, 5, 17, 30))
    assert meeting_status(m, local(2017, 10, 1)) == "upcoming"
    assert meeting_status(m, local(2017, 10, 5, 17, 29)) == "upcoming"  # under way
    assert meeting_status(m, local(2017, 10, 5, 17, 30)) == "held"


def test_a_timed_meeting_without_an_end_lasts_two_hours():
    m = meeting(local(2017, 10, 5, 15, 30))
    assert not is_over(m, local(2017, 10, 5, 17, 29))
    assert is_over(m, local(2017, 10, 5, 17, 30))


def test_a_meeting_known_by_its_day_or_month_is_over_when_that_day_or_month_is():
    day = meeting(local(2018, 3, 25), "day")  # the day clocks go forward in Geneva
    assert over_at(day) == local(2018, 3, 26)
    month = meeting(local(2017, 12, 1), "month")
    assert over_at(month) == local(2018, 1, 1)
    assert meeting_status(month, local(2017, 12, 31, 23, 59)) == "upcoming"
    assert meeting_status(month, local(2018, 1, 1)) == "held"


@pytest.mark.parametrize("mark", ["cancelled", "postponed"])
def test_the_secretariats_mark_beats_time(mark):
    m = meeting(local(2017, 10, 5, 15, 30), status=mark)
    assert meeting_status(m, local(2017, 10, 1)) == mark
    assert meeting_status(m, local(2018, 1, 1)) == mark


ORGS = [SimpleNamespace(acronym="BRS", name="Secretariat of the Basel, Rotterdam and Stockholm "
                        "Conventions", aliases=["BRS Secretariat"]),
        SimpleNamespace(acronym="UNITAR", name="United Nations Institute for Training and "
                        "Research", aliases=[]),
        SimpleNamespace(acronym="EMG", name="Environment Management Group Secretariat",
                        aliases=["EMG Secretariat"])]


@pytest.mark.parametrize(("title", "core"), [
    ("BRS and UNITAR to work alongside EMG Secretariat in establishing a draft ToR",
     "work alongside emg secretariat in establishing a draft tor"),
    ("EMG Secretariat to share the Work Plan 2017/18 by email.",
     "share the work plan 2017 18 by email"),
    ("Establish a draft Terms of Reference for Work Stream One, by the wider IMG in November "
     "2017", "establish a draft terms of reference for work stream 1 by the wider img"),
    ("Countries to choose a platform", "countries to choose a platform"),  # not an owner
])
def test_the_core_of_a_next_step_leaves_out_its_owners_case_punctuation_and_date(title, core):
    assert action_core(title, owner_names(ORGS)) == core


def test_two_next_steps_are_the_same_whatever_their_trailing_dates():
    assert same_text("Map the platforms by 2017-12-15.") == same_text("map the platforms") == \
        same_text("Map the platforms, in December 2017") == "map the platforms"
    assert same_text("Map the platforms") != same_text("Map the two platforms")


@pytest.mark.parametrize(("sentence", "head", "when"), [
    ("circulate the ToR by the wider IMG in November 2017", "circulate the ToR by the wider IMG",
     "November 2017"),
    ("circulate the ToR by 2018-01-15.", "circulate the ToR", "2018-01-15"),
    ("report before Sept-Dec 16", "report", "Sept-Dec 16"),
    ("share the plan by email", "share the plan by email", None),
    ("keep going in Ongoing", "keep going in Ongoing", None),  # open-ended: no date
])
def test_a_sentence_that_ends_with_when(sentence, head, when):
    found_head, period = trailing_period(sentence)
    assert (found_head, period.text if period else None) == (head, when)
