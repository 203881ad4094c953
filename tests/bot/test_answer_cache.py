"""Answers kept in memory read exactly as fresh ones: they change when the store changes,
whoever writes (another process, another engine, the bot itself), and when time moves past
midnight or past the end of the next meeting."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, text

from coalition.clock import parse_instant
from store.engine import make_engine
from tests.bot.conftest import HOSSEIN, TATIANA, text_of
from tests.bot.test_slack_commands import ask, known
from tests.conftest import EXAMPLE, run_cli

TITLE = "Distribute draft Terms of Reference for Work Stream 1 and 2"


@contextmanager
def statements(engine):
    """The SQL statements the app sends through SQLAlchemy meanwhile."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def set_clock(slack, local: str) -> None:
    slack.runtime.clock.fixed = parse_instant(local, "Europe/Zurich")


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_a_repeated_question_is_answered_from_memory(slack):
    known(slack, TATIANA)
    first = ask(slack, "deadlines")
    with statements(slack.runtime.engine) as seen:
        again = ask(slack, "deadlines")
    assert again == first
    assert seen == []  # only the data version was read, on the reader's own connection


def test_kept_answers_follow_writes_of_another_process_and_another_engine(slack, tmp_path):
    engine = slack.runtime.engine
    known(slack, TATIANA)
    assert TITLE in text_of(ask(slack, "deadlines"))
    changed = tmp_path / "coalition.toml"
    changed.write_text(EXAMPLE.read_text().replace(TITLE, "Circulate the ToR drafts"))
    synced = run_cli("sync", str(changed), env={"COALITION_STORE_URL": url_of(engine)})
    assert synced.returncode == 0, synced.stderr
    answer = text_of(ask(slack, "deadlines"))
    assert "Circulate the ToR drafts" in answer and TITLE not in answer

    other = make_engine(url_of(engine))
    try:
        with other.begin() as conn:
            conn.execute(text("UPDATE deadline SET status = 'done' "
                              "WHERE key = 'tor-ws1-ws2-draft'"))
    finally:
        other.dispose()
    assert "Circulate the ToR drafts" not in text_of(ask(slack, "deadlines"))


def test_kept_answers_follow_the_bots_own_writes(slack):
    known(slack, TATIANA, HOSSEIN)
    assert TITLE in text_of(ask(slack, "deadlines"))
    assert "Marked done" in text_of(ask(slack, "deadline done tor-ws1-ws2-draft", HOSSEIN))
    assert TITLE not in text_of(ask(slack, "deadlines"))


def test_kept_deadlines_turn_overdue_at_midnight_in_the_askers_timezone(slack):
    known(slack, TATIANA)
    set_clock(slack, "2017-11-30T23:59")
    for _ in range(2):
        upcoming, _, overdue = ask(slack, "deadlines 20")["text"].partition("Overdue")
        assert TITLE in upcoming and TITLE not in overdue
    set_clock(slack, "2017-12-01T00:00")
    upcoming, _, overdue = ask(slack, "deadlines 20")["text"].partition("Overdue")
    assert TITLE in overdue and TITLE not in upcoming
    assert "as of 01 December 2017" in upcoming


def test_the_kept_agenda_moves_to_the_next_meeting_when_this_one_is_over(slack):
    known(slack, TATIANA)
    set_clock(slack, "2017-10-05T17:29")
    for _ in range(2):
        assert "5th IMG E-waste meeting" in text_of(ask(slack, "agenda"))
    set_clock(slack, "2017-10-05T17:30")  # the 5th meeting ends at 17:30 in Geneva
    assert "6th IMG E-waste meeting" in text_of(ask(slack, "agenda"))
    set_clock(slack, "2017-10-05T17:00")  # a clock put back is not served a later answer
    assert "5th IMG E-waste meeting" in text_of(ask(slack, "agenda"))


def test_a_kept_window_is_read_again_when_the_week_turns(slack):
    known(slack, TATIANA)
    set_clock(slack, "2017-12-03T23:59")  # a Sunday
    for _ in range(2):
        assert "Deadlines due 27 November – 3 December 2017" in ask(
            slack, "deadlines this week")["text"]
    set_clock(slack, "2017-12-04T00:00")
    assert "Deadlines due 4–10 December 2017" in ask(slack, "deadlines this week")["text"]


def test_a_kept_agenda_of_a_numbered_meeting_says_held_once_the_meeting_is_over(slack):
    known(slack, TATIANA)
    set_clock(slack, "2017-10-05T17:29")
    for _ in range(2):
        assert "Status: upcoming" in text_of(ask(slack, "agenda 5"))
    set_clock(slack, "2017-10-05T17:30")
    assert "Status: held" in text_of(ask(slack, "agenda 5"))
