"""Questions in plain words, asked as people ask them: in the console (`coalition ask`, the
real command) and in Slack as a mention through the real endpoint. Both are read by the same
router, so each phrasing is checked in both places, on the E-waste example."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from coalition.clock import parse_instant
from store.engine import make_engine
from store.migrate import upgrade
from store.models import Deadline, Person
from store.sync import sync_file
from tests.bot.conftest import TATIANA, text_of
from tests.bot.test_slack_events import mention
from tests.conftest import EXAMPLE, NOW, run_cli

TOR = "Distribute draft Terms of Reference for Work Stream 1 and 2"
TOR_WS1 = "BRS and UNITAR to work alongside EMG Secretariat in establishing a draft Terms of " \
    "Reference for Work Stream One"  # a next step of the 5th meeting, due November 2017
TOR_WS2 = "EMG to establish a draft Terms of Reference for Work Stream Two"  # November/December
FOLLOW_UP = "Arrange a meeting of the IMG to discuss"  # due March 17, still open
MAY_2018 = "Finalise programmatic analysis results"

# (question, today, what the answer says, what it must not say); all are asked in Slack, and
# all but those in SLACK_ALSO in the console too (each console question is a process).
PHRASINGS = [
    ("what's overdue?", "2017-10-06",
     ["Overdue deadlines", FOLLOW_UP, "OVERDUE by 189 days"], [TOR, "none upcoming"]),
    ("overdue for BRS", "2018-06-10",
     ["Overdue deadlines for BRS", TOR_WS1, MAY_2018, "OVERDUE by 10 days"], [FOLLOW_UP, TOR]),
    ("what's due this week", "2017-11-28",
     ["Deadlines due 27 November – 3 December 2017", TOR, TOR_WS1, "due November 2017 ["],
     [TOR_WS2, FOLLOW_UP, "Overdue"]),
    ("deadlines next week", "2017-11-24",
     ["Deadlines due 27 November – 3 December 2017", TOR, "due November 2017 ["],
     [TOR_WS2, "Overdue", "in 6 days"]),  # a month is not counted down
    ("what's due this month", "2017-11-06",
     ["Deadlines due in November 2017", TOR, TOR_WS1], [TOR_WS2, MAY_2018, "in 24 days"]),
    ("deadlines in November 2017", "2017-10-06",
     ["Deadlines due in November 2017", TOR, TOR_WS1],
     [TOR_WS2, MAY_2018, FOLLOW_UP]),
    ("what is due by Friday", "2017-11-27",
     ["Deadlines due by Friday 01 December 2017", TOR, "Overdue (still open)",
      FOLLOW_UP], [TOR_WS2, MAY_2018]),
    ("deadlnes next week", "2017-11-24",
     ["Deadlines due 27 November – 3 December 2017", TOR], [TOR_WS2]),
    ("when is the 6th meeting", "2017-10-06",
     ["6th IMG E-waste meeting", "December 2017 (date to be confirmed)"], ["5th IMG"]),
    ("when is meeting 5", "2017-10-01",
     ["5th IMG E-waste meeting", "Thursday 05 October 2017, 15:30"], ["6th IMG"]),
    ("agnda", "2017-10-01",
     ["5th IMG E-waste meeting", "1. Work Stream 1: Interactive discussion"], ["I can answer"]),
    ("subscrbe", "2017-10-06",
     ["Did you mean `subscribe`?", "I can answer these"], ["weekly digest at"]),
    ("who is working on knowledge sharing", "2017-10-06",
     ["Systematic sharing of knowledge (ws2)", "No lead yet", "SAICM"], ["I don't know"]),
    ("who is in work stream 1", "2017-10-06",
     ["Further e-waste analysis (ws1)", "Lead:", "UNITAR", "Tatiana Terekhova"],
     ["I don't know"]),
    ("who is the ITU focal point", "2017-10-06",
     ["International Telecommunication Union (ITU)", "Mario Castro"], ["I don't know"]),
    ("focal point of UNITAR", "2017-10-06",
     ["United Nations Institute for Training and Research (UNITAR)", "Nelson Manda"],
     ["I don't know"]),
    ("who is Pitkanen", "2017-10-06",
     ["Jannica Pitkänen-Brunnsberg (EMG)", "secretariat"], ["I don't know"]),
]

SLACK_ALSO = {"overdue for BRS", "deadlnes next week"}  # variants of phrasings asked in both
CONSOLE = [p for p in PHRASINGS if p[0] not in SLACK_ALSO]

# Commands of Slack's, asked in the console: where they work, what to do here instead (the
# Slack command is named as configured).
SLACK_ONLY = [
    ("subscribe", ["`subscribe` works in Slack, for members of the coalition",
                   "`/coalition subscribe`"]),
    ("update We published our e-waste report", ["`update` works in Slack",
                                                "`/coalition update TEXT`"]),
    ("sync", ["for the secretariat: `/coalition sync`", "Here: `coalition sync`"]),
    ("minutes 5", ["`/desk minutes N`", "Here: `coalition minutes draft N`"]),
    ("note 5.1 Conclusion: agreed", ["`/coalition note ITEM TEXT`",
                                     "Here: `coalition minutes note MEETING ITEM TEXT`"]),
    ("meeting add", ["`/coalition meeting add|edit KEY`", "run `coalition sync`"]),
    ("deadline done tor-ws1-ws2-draft", ["`/coalition deadline add|edit|done KEY`"]),
]


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('ask') / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        sync_file(session=session, path=EXAMPLE, now=NOW)
        session.commit()
    engine.dispose()
    return url


def console(store_url: str, *args: str, **env: str):
    return run_cli("ask", *args, env={"COALITION_STORE_URL": store_url, **env})


@pytest.fixture(scope="module")
def asked(store_url):
    """Every console question of this module, asked of the real command a few at a time
    (each is a process of its own; most of its time is start-up)."""
    questions = {(q, "--now", today): {} for q, today, _, _ in CONSOLE}
    questions |= {(q, "--json"): {} for q, _ in SLACK_ONLY}
    questions[("minutes 5", "--json")] = {"COALITION_SLACK_COMMAND": "/desk"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        running = {args: pool.submit(console, store_url, *args, **env)
                   for args, env in questions.items()}
        return {args: future.result() for args, future in running.items()}


def stdout(result) -> str:
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return result.stdout


def says(text: str, expected: list[str], absent: list[str]) -> None:
    for part in expected:
        assert part in text, f"{part!r} missing from:\n{text}"
    for part in absent:
        assert part not in text, f"{part!r} should not be in:\n{text}"


@pytest.mark.parametrize(("question", "today", "expected", "absent"), CONSOLE,
                         ids=[p[0] for p in CONSOLE])
def test_in_the_console(asked, question, today, expected, absent):
    says(stdout(asked[(question, "--now", today)]), expected, absent)


@pytest.mark.parametrize(("question", "expected"), SLACK_ONLY, ids=[s[0] for s in SLACK_ONLY])
def test_slack_commands_in_the_console_say_where_they_work(asked, question, expected):
    answer = json.loads(stdout(asked[(question, "--json")]))
    says(answer["text"], expected, ["I can answer these"])


def test_slack_commands_in_the_console_change_nothing(asked, store_url):
    engine = make_engine(store_url)
    with Session(engine) as session:
        assert session.exec(select(Deadline.status).where(
            Deadline.key == "tor-ws1-ws2-draft")).one() == "open"
        assert all(p.digest_subscribed for p in session.exec(select(Person)))
    engine.dispose()


def test_as_mentions_in_slack(slack):
    """Every phrasing above, as `@Coalition Desk ...` in a channel: the same answer, to the
    asker alone."""
    for n, (question, today, expected, absent) in enumerate(PHRASINGS, start=1):
        slack.runtime.clock.fixed = parse_instant(f"{today}T10:00", "Europe/Zurich")
        slack.event(mention(f"<@UBOT> {question}", ts=f"1507280000.{n:06d}"))
        reply = slack.api.wait_for("chat.postEphemeral", n)[-1]
        assert reply.args["user"] == TATIANA
        says(text_of(reply.args), expected, absent)
    with Session(slack.runtime.engine) as session:  # "subscrbe" changed nothing
        assert session.exec(select(Person.digest_subscribed).where(
            Person.slack_user_id == TATIANA)).one()
