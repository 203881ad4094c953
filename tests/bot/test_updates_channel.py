"""The updates channel as Slack really sends it: retries after a failure, text PostgreSQL
refuses, edits in the shape bolt-python's own fixtures use, files and /me messages."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from store.models import MemberUpdate, Organisation, SlackEvent
from tests.bot.conftest import TATIANA, UPDATES
from tests.bot.test_slack_events import _wait, post
from tests.conftest import LogRecorder

SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def _updates(slack) -> list[MemberUpdate]:
    with Session(slack.runtime.engine) as session:
        return list(session.exec(select(MemberUpdate).order_by(MemberUpdate.posted_at)))


def _seen(slack, event_id: str) -> bool:
    with Session(slack.runtime.engine) as session:
        return session.exec(select(SlackEvent).where(SlackEvent.event_id == event_id)
                            ).first() is not None


def _brs(slack) -> int:
    with Session(slack.runtime.engine) as session:
        return session.exec(select(Organisation.id).where(Organisation.acronym == "BRS")).one()


def _refuse_updates(engine) -> None:
    """The store refuses every new member update, as a constraint or trigger would."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE memberupdate ADD CONSTRAINT refused "
                              "CHECK (false) NOT VALID"))
        else:
            conn.execute(text("CREATE TRIGGER refused BEFORE INSERT ON memberupdate "
                              "BEGIN SELECT RAISE(ABORT, 'refused'); END"))


def _accept_updates(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE memberupdate DROP CONSTRAINT refused"
                          if engine.dialect.name == "postgresql" else "DROP TRIGGER refused"))


def test_an_update_that_failed_leaves_its_event_unseen_so_slacks_retry_is_stored(slack):
    engine = slack.runtime.engine
    event = post(TATIANA, "BRS published the technical guidelines", "1507280000.000500")
    _refuse_updates(engine)
    with LogRecorder() as log:
        assert slack.event(event, event_id="Ev0RETRY").status_code == 200
        _wait(lambda: any("Slack listener follow failed" in line for line in log.lines))
    assert not _seen(slack, "Ev0RETRY") and _updates(slack) == []
    _accept_updates(engine)
    for retry in ("1", "2"):  # Slack retries: the first stores the update, the second nothing
        assert slack.event(event, event_id="Ev0RETRY", headers={
            "X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_error"}).status_code == 200
        _wait(lambda: _seen(slack, "Ev0RETRY"))
    time.sleep(0.3)
    (update,) = _updates(slack)
    assert update.text == "BRS published the technical guidelines"
    assert update.organisation_id == _brs(slack)


def test_text_postgresql_refuses_is_cleaned_not_fatal(slack):
    slack.event(post(TATIANA, "BRS\x00 launched\ud800 the toolkit", "1507280000.000600"),
                event_id="Ev0NUL")
    _wait(lambda: len(_updates(slack)) == 1)
    assert _updates(slack)[0].text == "BRS launched\ufffd the toolkit"
    slack.event({"type": "message", "subtype": "message_changed", "channel": UPDATES,
                 "ts": "1507280100.000100", "message": {
                     "type": "message", "user": TATIANA, "ts": "1507280000.000600",
                     "text": "BRS launched the toolkit\x00 (in French too)"}},
                event_id="Ev0NULEDIT")
    _wait(lambda: _updates(slack)[0].edited_at is not None)
    assert _updates(slack)[0].text == "BRS launched the toolkit (in French too)"


@SQLITE_ONLY  # how events are read; storing them runs on both
def test_an_edit_known_only_by_the_previous_messages_ts_is_followed(slack):
    """bolt-python's fixtures (and Slack, for some clients) give the edited message no `ts`:
    only `previous_message.ts` names the message that changed."""
    slack.event(post(TATIANA, "UNITAR report out", "1610262360.000600"), event_id="Ev0ORIG")
    _wait(lambda: len(_updates(slack)) == 1)
    slack.event({
        "type": "message", "subtype": "message_changed", "hidden": True, "channel": UPDATES,
        "channel_type": "channel", "ts": "1610262363.000700", "event_ts": "1610262363.000700",
        "message": {"type": "message", "text": "UNITAR report out (edited)", "user": TATIANA,
                    "team": "T0001", "edited": {"user": TATIANA, "ts": "1610262363.000000"}},
        "previous_message": {"type": "message", "text": "UNITAR report out", "user": TATIANA,
                             "ts": "1610262360.000600", "team": "T0001"}}, event_id="Ev0EDITED")
    _wait(lambda: _updates(slack)[0].edited_at is not None)
    assert _updates(slack)[0].text == "UNITAR report out (edited)"


@SQLITE_ONLY  # how events are read; storing them runs on both
def test_a_file_and_a_me_message_are_the_posters_organisations_updates(slack):
    slack.event(post(TATIANA, "Our e-waste guidance, in English", "1507280000.000700",
                     subtype="file_share", files=[{"id": "F1", "title": "Guidance.pdf"}]),
                event_id="Ev0FILE")
    slack.event(post(TATIANA, "", "1507280000.000800", subtype="file_share",
                     files=[{"id": "F2", "title": "Annex.xlsx"}]), event_id="Ev0BAREFILE")
    slack.event(post(TATIANA, "is in Geneva all week", "1507280000.000900",
                     subtype="me_message"), event_id="Ev0ME")
    slack.event(post(TATIANA, "joined the channel", "1507280000.001000",
                     subtype="channel_join"), event_id="Ev0JOIN")
    _wait(lambda: len(_updates(slack)) == 3)
    time.sleep(0.3)
    updates = _updates(slack)
    assert [u.text for u in updates] == ["Our e-waste guidance, in English", "Annex.xlsx",
                                         "is in Geneva all week"]
    assert {u.organisation_id for u in updates} == {_brs(slack)}
