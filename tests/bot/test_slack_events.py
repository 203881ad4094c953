"""Mentions, direct messages, the updates channel and the App Home, as Slack sends them."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from bot.home import TOGGLE_DIGEST
from store.models import Deadline, MemberUpdate, Person, SlackEvent
from tests.bot.conftest import STRANGER, TATIANA, UPDATES, text_of
from tests.bot.test_slack_commands import ask


def mention(text: str, user: str = TATIANA, ts: str = "1507280000.000100") -> dict:
    return {"type": "app_mention", "user": user, "text": text, "ts": ts,
            "channel": "C0GENERAL", "event_ts": ts}


def post(user: str, text: str, ts: str, channel: str = UPDATES, **extra) -> dict:
    return {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
            "event_ts": ts, "channel_type": "channel", **extra}


def test_a_mention_gets_the_same_answer_as_the_command_to_the_asker_alone(slack):
    assert slack.event(mention("<@UBOT> who leads work stream 2?")).status_code == 200
    (reply,) = slack.api.wait_for("chat.postEphemeral")
    assert reply.args["user"] == TATIANA and reply.args["channel"] == "C0GENERAL"
    assert "No lead yet" in text_of(reply.args)
    command = ask(slack, "lead ws2")
    assert reply.args["text"] == command["text"]
    assert reply.token == "xoxb-test-token"
    slack.event(mention("<@UBOT> agenda for meeting 5"))
    agenda = slack.api.wait_for("chat.postEphemeral", 2)[-1]
    assert "3. Brief overview of the draft Work Plan 2017/18" in text_of(agenda.args)


def test_a_direct_message_is_answered_in_the_conversation(slack):
    slack.event({"type": "message", "channel": "D0TATIANA", "channel_type": "im",
                 "user": TATIANA, "text": "lead ws1", "ts": "1507280000.000200"})
    (reply,) = slack.api.wait_for("chat.postMessage")
    assert reply.args["channel"] == "D0TATIANA"
    assert "BRS" in text_of(reply.args) and "UNITAR" in text_of(reply.args)
    # the bot's own messages (and other bots') are not questions
    slack.event({"type": "message", "channel": "D0TATIANA", "channel_type": "im",
                 "user": "UBOT", "bot_id": "BBOT", "text": "lead ws1",
                 "ts": "1507280000.000300"})
    slack.event({"type": "message", "channel": "D0TATIANA", "channel_type": "im",
                 "user": TATIANA, "text": "agenda 5", "ts": "1507280000.000400"})
    replies = slack.api.wait_for("chat.postMessage", 2)
    assert "5th IMG" in text_of(replies[1].args) and len(replies) == 2


def test_updates_channel_messages_are_stored_once_and_follow_edits_and_deletions(slack):
    event = post(TATIANA, "BRS launched the e-waste toolkit", "1507280000.000500")
    for retry in (None, "1", "2"):  # Slack retries with the same event id
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} \
            if retry else {}
        assert slack.event(event, event_id="Ev0UPDATE1", headers=headers).status_code == 200
    slack.event(post(TATIANA, "a reply in the thread", "1507280000.000600",
                     thread_ts="1507280000.000500"), event_id="Ev0REPLY")
    slack.event(post(STRANGER, "hello from nobody we know", "1507280000.000700"),
                event_id="Ev0STRANGER")
    engine = slack.runtime.engine
    _wait(lambda: _count(engine, SlackEvent) == 2)  # the thread reply is not an update
    _wait(lambda: _count(engine, MemberUpdate) == 2)
    with Session(engine) as session:
        rows = session.exec(select(MemberUpdate).order_by(MemberUpdate.posted_at)).all()
        brs = session.exec(select(Person).where(Person.slack_user_id == TATIANA)).one()
    assert [r.text for r in rows] == ["BRS launched the e-waste toolkit",
                                      "hello from nobody we know"]
    assert rows[0].organisation_id == brs.organisation_id and rows[1].organisation_id is None
    assert rows[0].source_id == f"{UPDATES}:1507280000.000500"
    assert rows[0].posted_at.isoformat().startswith("2017-10-06T08:53:20")

    slack.event({"type": "message", "subtype": "message_changed", "channel": UPDATES,
                 "ts": "1507280100.000100", "message": {
                     "type": "message", "user": TATIANA, "ts": "1507280000.000500",
                     "text": "BRS launched the e-waste toolkit (English and French)"}},
                event_id="Ev0EDIT")
    _wait(lambda: _update(engine).edited_at is not None)
    assert _update(engine).text.endswith("(English and French)")
    slack.event({"type": "message", "subtype": "message_deleted", "channel": UPDATES,
                 "ts": "1507280200.000100", "deleted_ts": "1507280000.000500"},
                event_id="Ev0DELETE")
    _wait(lambda: _update(engine).deleted_at is not None)


def test_app_home_shows_the_next_meeting_deadlines_and_a_digest_toggle(slack):
    with Session(slack.runtime.engine) as session:
        tatiana = session.exec(select(Person).where(
            Person.email == "tatiana.terekhova@example.org")).one()
        session.add(Deadline(key="action-brs-1", title="Circulate the ToR comments",
                             due_on=dt.date(2017, 10, 20), owner_person_id=tatiana.id,
                             kind="action", origin="minutes"))
        session.commit()
    slack.event({"type": "app_home_opened", "user": TATIANA, "channel": "D0TATIANA",
                 "tab": "home", "event_ts": "1507280000.000800"})
    (published,) = slack.api.wait_for("views.publish")
    assert published.args["user_id"] == TATIANA
    home = published.args["view"]
    text = text_of(home)
    assert home["type"] == "home"
    assert "6th IMG E-waste meeting" in text  # the next IMG meeting after 6 October 2017
    assert "Circulate the ToR comments — due 2017-10-20" in text
    assert "Next deadlines for BRS" in text and "Your open action items" in text
    (toggle,) = [b["accessory"] for b in home["blocks"] if "accessory" in b]
    assert (toggle["action_id"], toggle["value"]) == (TOGGLE_DIGEST, "off")
    slack.interact({"type": "block_actions", "user": {"id": TATIANA}, "team": {"id": "T0001"},
                    "api_app_id": "A0APP", "container": {"type": "view", "view_id": "V1"},
                    "trigger_id": "t.3", "view": {"id": "V1", "type": "home"},
                    "actions": [{**toggle, "type": "button", "block_id": "b",
                                 "action_ts": "1507280000.000900"}]})
    republished = slack.api.wait_for("views.publish", 2)[-1]
    assert "You do not receive the weekly digest" in text_of(republished.args["view"])
    with Session(slack.runtime.engine) as session:
        assert not session.exec(select(Person).where(
            Person.slack_user_id == TATIANA)).one().digest_subscribed


def _count(engine, model) -> int:
    with Session(engine) as session:
        return len(session.exec(select(model)).all())


def _update(engine) -> MemberUpdate:
    with Session(engine) as session:
        return session.exec(select(MemberUpdate).where(
            MemberUpdate.source_id == f"{UPDATES}:1507280000.000500")).one()


def _wait(condition, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the bot did not get there in time"
        time.sleep(0.02)
