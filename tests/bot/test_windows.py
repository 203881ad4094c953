"""Time windows as people say them, and the days they cover (a pure rule: no store)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.text import due_window
from bot.windows import Window, find

MONDAY = dt.date(2017, 11, 27)
D = dt.date


@pytest.mark.parametrize(("text", "first", "last", "left"), [
    ("what's due this week", D(2017, 11, 27), D(2017, 12, 3), "what's"),
    ("deadlines next week", D(2017, 12, 4), D(2017, 12, 10), "deadlines"),
    ("deadlines last week", D(2017, 11, 20), D(2017, 11, 26), "deadlines"),
    ("what's due this month", D(2017, 11, 1), D(2017, 11, 30), "what's"),
    ("next month", D(2017, 12, 1), D(2017, 12, 31), ""),
    ("deadlines in november 2017", D(2017, 11, 1), D(2017, 11, 30), "deadlines"),
    ("deadlines for may", D(2018, 5, 1), D(2018, 5, 31), "deadlines"),  # the next May
    ("in november", D(2017, 11, 1), D(2017, 11, 30), ""),  # this one, not yet over
    ("deadlines in 2018", D(2018, 1, 1), D(2018, 12, 31), "deadlines"),
    ("what is due by friday", None, D(2017, 12, 1), "what is due"),
    ("by monday", None, D(2017, 11, 27), ""),  # today is Monday
    ("by next friday", None, D(2017, 12, 8), ""),
    ("due by the end of the month", None, D(2017, 11, 30), "due"),
    ("before 1 december", None, D(2017, 11, 30), ""),
    ("before december", None, D(2017, 11, 30), ""),
    ("by 15 november", None, D(2018, 11, 15), ""),  # this year's is past
    ("by december 5th, 2017", None, D(2017, 12, 5), ""),
    ("due on 2017-12-01", D(2017, 12, 1), D(2017, 12, 1), "due"),
    ("due today", MONDAY, MONDAY, ""),
    ("due tomorrow", D(2017, 11, 28), D(2017, 11, 28), ""),
    ("in the next 10 days", MONDAY, D(2017, 12, 7), ""),
    ("within 2 weeks", MONDAY, D(2017, 12, 11), ""),
    ("deadlines for brs next week", D(2017, 12, 4), D(2017, 12, 10), "deadlines for brs"),
])
def test_a_window_is_found_and_covers_these_days(text, first, last, left):
    window, rest = find(text)
    assert window is not None, text
    assert window.span(MONDAY) == (first, last)
    assert rest == left


@pytest.mark.parametrize("text", ["next 3 deadlines", "deadlines for brs", "deadlines 3 ws ws1",
                                  "deadlines 31 november", "news monitor", "deadlines mine"])
def test_no_window_where_none_is_said(text):
    assert find(text) == (None, text)


def test_a_window_is_kept_as_said_and_read_again_on_another_day():
    window, _ = find("this week")
    assert window == Window("week") and hash(window) == hash(Window("week"))
    assert window.span(D(2017, 12, 4)) == (D(2017, 12, 4), D(2017, 12, 10))


def test_29_february_is_the_next_one_there_is():
    window, _ = find("by 29 february")
    assert window.span(MONDAY) == (None, D(2020, 2, 29))


@pytest.mark.parametrize(("first", "last", "words"), [
    (D(2017, 11, 1), D(2017, 11, 30), "in November 2017"),
    (D(2018, 1, 1), D(2018, 12, 31), "in 2018"),
    (D(2017, 10, 9), D(2017, 10, 15), "9–15 October 2017"),
    (D(2017, 11, 27), D(2017, 12, 3), "27 November – 3 December 2017"),
    (D(2017, 12, 25), D(2018, 1, 7), "25 December 2017 – 7 January 2018"),
    (None, D(2017, 12, 1), "by Friday 01 December 2017"),
    (D(2017, 12, 1), D(2017, 12, 1), "on Friday 01 December 2017"),
    (None, None, ""),
])
def test_a_window_in_words(first, last, words):
    assert due_window(first, last) == words
