"""Who may do the secretariat's work, proven through the real endpoint with signed requests.

Tatiana Terekhova is a KNOWN focal point: in the store with role focal_point, matched by the
email Slack gives for her and remembered under her Slack id. She is refused every secretariat
path: the slash subcommands, the same words in a direct message or a mention, a "Share in
channel" button whose value says them, a reply in a meeting reminder's thread, and a replayed
submission of each secretariat form (the very views Slack opened for the secretariat). A
retired person is nobody; a user of another workspace with the secretariat's email is not the
secretariat.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time

import pytest
from sqlmodel import Session, select

from bot.blocks import SHARE_ACTION
from store.models import Deadline, Meeting, MeetingNote, MemberUpdate, Person, SentReminder
from tests.bot.conftest import HOSSEIN, TATIANA, text_of
from tests.bot.test_slack_commands import ask, known

SECRETARIAT_WORK = ["sync", "note 5.1 Conclusion: agreed by all", "note 2 Next step: BRS to act",
                    "deadline done tor-ws1-ws2-draft", "deadline add",
                    "deadline edit tor-ws1-ws2-draft", "meeting add", "meeting edit img-5",
                    "minutes 5"]
REFUSED = "only the secretariat can"
OTHER = "UOTHERTEAM"  # a Slack Connect user whose workspace gives him the secretariat's email
_ts = (f"1507290000.{n:06d}" for n in itertools.count(100))
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def _person(slack, email: str) -> Person:
    with Session(slack.runtime.engine) as session:
        return session.exec(select(Person).where(Person.email == email)).one()


def _store_is_untouched(slack) -> None:
    """Nothing the secretariat's work would change has changed."""
    time.sleep(0.3)  # lazy listeners that would have written have run by now
    with Session(slack.runtime.engine) as session:
        assert session.exec(select(MeetingNote)).all() == []
        deadline = session.exec(select(Deadline).where(Deadline.key == "tor-ws1-ws2-draft")).one()
        assert deadline.status == "open"
        assert deadline.title == "Distribute draft Terms of Reference for Work Stream 1 and 2"
        meeting = session.exec(select(Meeting).where(Meeting.key == "img-5")).one()
        assert meeting.title == "5th IMG E-waste meeting"
        assert session.exec(select(Meeting).where(Meeting.origin == "slack")).all() == []
        assert session.exec(select(Deadline).where(Deadline.origin == "slack")).all() == []
    assert not [c for c in slack.api.calls if c.method in (
        "views.open", "files.completeUploadExternal", "conversations.open")]


@pytest.fixture
def focal_point(slack):
    """Tatiana, known: matched by her email at her first question, remembered by her id."""
    known(slack, TATIANA)
    tatiana = _person(slack, "tatiana.terekhova@example.org")
    assert (tatiana.role, tatiana.slack_user_id, tatiana.retired_at) == (
        "focal_point", TATIANA, None)
    assert [c.args["user"] for c in slack.api.of("users.info")] == [TATIANA]
    return slack


@SQLITE_ONLY  # the listeners' checks; the store's part runs on both
def test_a_known_focal_point_is_refused_every_secretariat_path_in_chat(focal_point):
    """The slash subcommands; the same words in a direct message and in a mention; a "Share
    in channel" button whose value says them."""
    slack = focal_point
    for text in SECRETARIAT_WORK:
        assert REFUSED in text_of(ask(slack, text)), text
    for n, text in enumerate(SECRETARIAT_WORK, start=1):
        slack.event({"type": "message", "channel": "D0TATIANA", "channel_type": "im",
                     "user": TATIANA, "text": text, "ts": next(_ts)})
        (*_, reply) = slack.api.wait_for("chat.postMessage", n)
        assert REFUSED in text_of(reply.args), text
        slack.event({"type": "app_mention", "channel": "C0GENERAL", "user": TATIANA,
                     "text": f"<@UBOT> {text}", "ts": next(_ts)})
        (*_, said) = slack.api.wait_for("chat.postEphemeral", n)
        assert REFUSED in text_of(said.args), text
    before = len(slack.api.of("response_url"))
    for n, text in enumerate(SECRETARIAT_WORK, start=1):
        assert slack.interact({
            "type": "block_actions", "user": {"id": TATIANA}, "team": {"id": "T0001"},
            "api_app_id": "A0APP", "container": {"type": "message", "is_ephemeral": True},
            "trigger_id": f"t.{n}", "channel": {"id": "C0GENERAL"},
            "response_url": slack.api.response_url(f"share{n}"),
            "actions": [{"type": "button", "action_id": SHARE_ACTION, "block_id": "b",
                         "value": text, "action_ts": next(_ts)}]}).status_code == 200
        shared, deleted = slack.api.wait_for("response_url", before + 2 * n)[-2:]
        assert deleted.args.get("delete_original") is True
        assert REFUSED in text_of(shared.args), text
    _store_is_untouched(slack)


@SQLITE_ONLY  # the listeners' checks; the store's part runs on both
def test_a_reply_in_a_meeting_reminders_thread_is_a_note_only_from_the_secretariat(
        focal_point):
    slack = focal_point
    engine = slack.runtime.engine
    with Session(engine) as session:
        session.add(SentReminder(key="meeting:img-5:day-before", channel="CREMIND",
                                 message_ts="1507100000.000100",
                                 sent_at=dt.datetime(2017, 10, 4, 8, tzinfo=dt.UTC)))
        session.commit()

    def reply(user: str, text: str):
        slack.event({"type": "message", "channel": "CREMIND", "channel_type": "channel",
                     "user": user, "text": text, "ts": next(_ts),
                     "thread_ts": "1507100000.000100"})

    reply(TATIANA, "1 Conclusion: a focal point's words are not the minutes.")
    reply(HOSSEIN, "2 Conclusion: the secretariat's are.")
    (said,) = slack.api.wait_for("chat.postEphemeral")
    assert said.args["user"] == HOSSEIN
    time.sleep(0.3)
    with Session(engine) as session:
        notes = [n.text for n in session.exec(select(MeetingNote))]
    assert notes == ["the secretariat's are."]


def _views_opened_for_the_secretariat(slack) -> list[dict]:
    """The forms Slack opened for Hossein (secretariat): add and edit, meeting and deadline."""
    known(slack, HOSSEIN)
    views = []
    for n, text in enumerate(["meeting add", "meeting edit img-5", "deadline add",
                              "deadline edit tor-ws1-ws2-draft"], start=1):
        slack.command(text, user=HOSSEIN)
        views.append(slack.api.wait_for("views.open", n)[-1].args["view"])
    return views


_VALUES = {"meeting_form": {"key": "img-99", "title": "A meeting nobody called",
                            "starts": "2017-12-01 10:00"},
           "deadline_form": {"key": "rogue-1", "title": "A deadline nobody set",
                             "due": "2017-12-01"}}


def _submit(slack, view: dict, user: str):
    values = dict(_VALUES[view["callback_id"]])
    if view["private_metadata"]:  # editing: no key field
        values.pop("key")
    state = {k: {"value": {"type": "plain_text_input", "value": v}} for k, v in values.items()}
    return slack.interact({"type": "view_submission", "user": {"id": user},
                           "team": {"id": "T0001"}, "api_app_id": "A0APP", "trigger_id": "t.x",
                           "view": {**view, "id": "V1", "state": {"values": state}}})


@SQLITE_ONLY  # the listeners' checks; the store's part runs on both
def test_a_replayed_submission_of_each_secretariat_form_is_refused(focal_point):
    slack = focal_point
    views = _views_opened_for_the_secretariat(slack)
    assert sorted((v["callback_id"], v["private_metadata"]) for v in views) == [
        ("deadline_form", ""), ("deadline_form", "tor-ws1-ws2-draft"),
        ("meeting_form", ""), ("meeting_form", "img-5")]
    slack.api.calls.clear()
    for view in views:
        refused = _submit(slack, view, TATIANA)
        assert refused.status_code == 200
        assert json.loads(refused.text) == {"response_action": "errors", "errors": {
            "title": "Only the secretariat can save this."}}, view["callback_id"]
    _store_is_untouched(slack)
    for view in views:  # the very same submissions from the secretariat are saved
        assert _submit(slack, view, HOSSEIN).text == ""
    assert _person(slack, "hossein.fadaei@example.org").role == "secretariat"
    with Session(slack.runtime.engine) as session:
        assert session.exec(select(Meeting.title).where(Meeting.key == "img-5")).one() == \
            "A meeting nobody called"


def _retire(slack, email: str) -> None:
    with Session(slack.runtime.engine) as session:
        person = session.exec(select(Person).where(Person.email == email)).one()
        person.retired_at = dt.datetime(2017, 10, 6, 9, tzinfo=dt.UTC)
        session.add(person)
        session.commit()


def test_a_retired_person_is_no_longer_recognised(slack):
    views = _views_opened_for_the_secretariat(slack)
    known(slack, TATIANA)
    assert "Next deadlines for BRS" in text_of(ask(slack, "deadlines mine"))
    _retire(slack, "hossein.fadaei@example.org")
    _retire(slack, "tatiana.terekhova@example.org")
    slack.api.calls.clear()
    refused = text_of(ask(slack, "sync", HOSSEIN))
    assert REFUSED in refused and "Hossein Fadaei" not in refused  # nor listed as who can
    assert "don't know who you are" in text_of(ask(slack, "update we moved", HOSSEIN))
    assert "don't know your organisation" in text_of(ask(slack, "deadlines mine"))
    assert "don't know who you are" in text_of(ask(slack, "subscribe"))
    for view in views:
        assert json.loads(_submit(slack, view, HOSSEIN).text)["response_action"] == "errors"
    _store_is_untouched(slack)
    with Session(slack.runtime.engine) as session:
        assert session.exec(select(MemberUpdate)).all() == []


def test_a_slack_account_held_by_a_retired_row_moves_to_the_person_now_matched(slack):
    """Tatiana moved to another organisation: the data file retired her old address and has
    her new one; Slack gives the new address for the same account."""
    known(slack, TATIANA)
    _retire(slack, "tatiana.terekhova@example.org")
    with Session(slack.runtime.engine) as session:
        session.add(Person(email="tatiana@unitar.example.org", name="Tatiana Terekhova",
                           role="focal_point", unsubscribe_token="x" * 32))
        session.commit()
    slack.api.users[TATIANA] = {"email": "tatiana@unitar.example.org", "tz": "Europe/Zurich"}
    assert "recorded" in text_of(ask(slack, "update hello from my new desk"))
    assert _person(slack, "tatiana@unitar.example.org").slack_user_id == TATIANA
    assert _person(slack, "tatiana.terekhova@example.org").slack_user_id is None


def test_another_workspaces_user_with_the_secretariats_email_is_not_the_secretariat(slack):
    slack.api.users[OTHER] = {"email": "Hossein.Fadaei@example.org", "tz": "Europe/Zurich",
                              "team_id": "T0OTHER"}
    for text in SECRETARIAT_WORK:
        assert REFUSED in text_of(ask(slack, text, OTHER)), text
    assert "don't know who you are" in text_of(ask(slack, "update from elsewhere", OTHER))
    assert _person(slack, "hossein.fadaei@example.org").slack_user_id is None  # not taken
    views = _views_opened_for_the_secretariat(slack)  # the real Hossein, of our workspace
    slack.api.calls.clear()
    for view in views:
        assert json.loads(_submit(slack, view, OTHER).text)["response_action"] == "errors"
    _store_is_untouched(slack)
    assert _person(slack, "hossein.fadaei@example.org").slack_user_id == HOSSEIN

