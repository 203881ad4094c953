"""How the router reads words: command words, sentences, ordinals and typos (no store)."""

from __future__ import annotations

import pytest

from bot.router import parse
from bot.windows import Window


@pytest.mark.parametrize(("text", "command", "args"), [
    ("what's overdue?", "overdue", {}),
    ("overdue ws1", "overdue", {"work_stream": "ws1"}),
    ("what is late for BRS", "overdue", {"organisation": "brs"}),
    ("deadlines overdue", "overdue", {}),
    ("deadlines next week", "deadlines", {"window": Window("week", offset=1)}),
    ("due this month", "deadlines", {"window": Window("month")}),
    ("what's due for me by Friday", "deadlines",
     {"mine": True, "window": Window("by", inner=Window("weekday", day=4))}),
    ("next 3 deadlines for BRS", "deadlines", {"limit": 3, "organisation": "brs"}),
    ("deadlines in the next 10 days", "deadlines", {"window": Window("days", offset=10)}),
    ("tell me the deadlines", "deadlines", {}),
    ("when is the 6th meeting", "agenda", {"number": 6}),
    ("when is the sixth IMG meeting", "agenda", {"number": 6}),
    ("when is meeting six", "agenda", {"number": 6}),
    ("when do we meet next", "agenda", {}),
    ("the sixth meeting", "agenda", {"number": 6}),
    ("agenda for the Seventh meeting", "agenda", {"number": 7}),
    ("who works on knowledge sharing", "lead", {"query": "knowledge sharing", "members": True}),
    ("who is in work stream 1", "lead", {"query": "work stream 1", "members": True}),
    ("who is in charge of ws2", "lead", {"query": "ws2"}),
    ("who is the ITU focal point", "who", {"query": "ITU", "focal": True}),
    ("ITU's focal point", "who", {"query": "ITU", "focal": True}),
    ("who are the focal points of knowledge sharing", "who",
     {"query": "knowledge sharing", "focal": True}),
    ("who is Pitkanen", "who", {"query": "Pitkanen"}),
    ("who BRS", "who", {"query": "BRS"}),
    ("news about the monitor", "news", {"text": "the monitor"}),
    ("calendar", "meetings", {}),
])
def test_plain_words_are_routed(text, command, args):
    request = parse(text)
    assert (request.command, request.args) == (command, args)


@pytest.mark.parametrize(("text", "command"), [
    ("agnda", "agenda"), ("agnda 5", "agenda"), ("deadlnes", "deadlines"),
    ("deadlnes next week", "deadlines"), ("what's ovrdue", "overdue"),
    ("metings", "meetings"), ("when is the next meetnig", "agenda"),
])
def test_a_question_with_a_typo_is_answered_as_meant(text, command):
    request = parse(text)
    assert request.command == command and request.text == text


@pytest.mark.parametrize(("text", "meant"), [
    ("subscrbe", "`subscribe`"),  # would change something: asked, not done
    ("unsubscibe", "`unsubscribe`"),
    ("minuts 5", "`minutes`"),
])
def test_a_typo_that_would_change_something_is_a_question_back(text, meant):
    request = parse(text)
    assert request.command == "help" and request.args == {"note": f"Did you mean {meant}?"}


@pytest.mark.parametrize("text", ["sing me a song", "hello there", "sink", "lean on me", ""])
def test_words_that_are_not_typos_get_the_help(text):
    assert (parse(text).command, parse(text).args) == ("help", {})
