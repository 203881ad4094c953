"""Words in the bot's texts: counts with their nouns, OVERDUE kept as one word."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answers import DeadlinesAnswer, DeadlineView
from bot.blocks import answer_blocks
from bot.text import deadline_line, render

TODAY = dt.date(2017, 11, 29)


def deadline(days_left: int) -> DeadlineView:
    due = TODAY + dt.timedelta(days=days_left)
    return DeadlineView(key="k", title="Circulate the ToR", due_text="", starts_on=None,
                        due_on=due, owner="BRS", owner_person=None, work_stream="ws1",
                        kind="action", status="open", overdue=days_left < 0,
                        days_left=days_left, source="")


@pytest.mark.parametrize(("days_left", "said"), [
    (1, "due 2017-11-30, in 1 day"), (2, "due 2017-12-01, in 2 days"),
    (0, "due 2017-11-29, today"), (-1, "due 2017-11-28, OVERDUE by 1 day"),
    (-3, "due 2017-11-26, OVERDUE by 3 days"),
])
def test_days_are_counted_in_words(days_left, said):
    assert f"— {said} [BRS, ws1]" in deadline_line(deadline(days_left))


def test_only_the_overdue_when_asked_and_the_word_overdue_stays_whole():
    answer = DeadlinesAnswer(today=TODAY, scope="BRS", upcoming=[],
                             overdue=[deadline(-1)], overdue_only=True)
    text = render(answer)
    assert text.startswith("Overdue deadlines for BRS (as of 29 November 2017):")
    assert "OVERDUE by 1 day" in text and "none upcoming" not in text
    blocks = answer_blocks(answer)
    assert blocks[0]["text"]["text"] == "Overdue deadlines for BRS"
    assert ":warning: *OVERDUE* by 1 day" in blocks[2]["text"]["text"]
    nothing = DeadlinesAnswer(today=TODAY, scope="all", upcoming=[], overdue=[],
                              overdue_only=True)
    assert "nothing open is past its date" in render(nothing)
