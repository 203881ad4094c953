"""Forged and stale requests, rate limits, and any text at all."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.desk import SORRY
from coalition.runtime import Runtime
from coalition.web import create_app
from store.engine import make_engine, unit_of_work
from store.migrate import upgrade
from store.models import MemberUpdate, SlackEvent
from store.sync import sync_file
from tests.bot.conftest import TATIANA, UPDATES, USERS, Slack, slack_env, text_of
from tests.bot.slack_stub import SlackAPI
from tests.bot.test_slack_commands import known
from tests.conftest import EXAMPLE, NOW, LiveServer


@pytest.fixture(scope="module")
def fuzz_slack(tmp_path_factory):
    """One server for the thousand examples, on SQLite with the example synced."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.db'}")
    upgrade(engine)
    with unit_of_work(engine) as session:
        sync_file(session=session, path=EXAMPLE, now=NOW)
    with SlackAPI(users=dict(USERS)) as api:
        runtime = Runtime(slack_env(api), now="2017-10-06T10:00")
        runtime.__dict__["engine"] = engine
        with LiveServer(create_app(runtime)) as server:
            client = Slack(server.url, api, runtime)
            known(client, TATIANA)
            yield client
            client.http.close()
    engine.dispose()


def _update_event() -> dict:
    return {"type": "message", "channel": UPDATES, "user": TATIANA, "ts": "1507280000.000100",
            "text": "a forged update", "channel_type": "channel"}


def _nothing_stored(slack) -> None:
    time.sleep(0.3)  # the lazy listeners would have run by now
    with Session(slack.runtime.engine) as session:
        assert session.exec(select(MemberUpdate)).all() == []
        assert session.exec(select(SlackEvent)).all() == []
    assert [c.method for c in slack.api.calls] == []


def test_a_forged_signature_gets_401_and_nothing_is_stored(slack):
    assert slack.event(_update_event(), secret="not-the-signing-secret").status_code == 401
    assert slack.command("update forged", secret="guessed").status_code == 401
    _nothing_stored(slack)


def test_a_stale_timestamp_gets_401_and_nothing_is_stored(slack):
    six_minutes_ago = int(time.time()) - 6 * 60
    assert slack.event(_update_event(), timestamp=six_minutes_ago).status_code == 401
    assert slack.command("lead ws1", timestamp=six_minutes_ago).status_code == 401
    _nothing_stored(slack)


def test_a_rate_limited_web_api_call_is_retried_after_retry_after(slack):
    slack.api.failures["chat.postEphemeral"] = [(429, {"Retry-After": "1"})]
    started = time.monotonic()
    slack.event({"type": "app_mention", "user": TATIANA, "text": "<@UBOT> lead ws1",
                 "ts": "1507280000.000200", "channel": "C0GENERAL"})
    (reply,) = slack.api.wait_for("chat.postEphemeral")
    assert slack.api.attempts["chat.postEphemeral"] == 2
    assert time.monotonic() - started >= 1.0
    assert "UNITAR" in text_of(reply.args)


@settings(max_examples=1000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(["agenda", "deadlines", "lead", "who", "news", "meetings",
                              "ws", "org", "mine", "next", "5", "0", "999", "-1", "ws1",
                              "BRS", "<@UBOT>", "?", "’", "%", "_", "help", "for", "of",
                              "work stream", "meeting", "deadline", "edit", "done"]),
             max_size=6).map(" ".join)))
def test_no_command_text_gets_a_server_error_or_an_apology(fuzz_slack, text):
    response = fuzz_slack.command(text)
    assert response.status_code == 200, (text, response.status_code)
    body = json.loads(response.text) if response.text else {}
    assert SORRY not in body.get("text", ""), text


def test_the_fuzzed_answers_posted_later_were_no_apologies_either(fuzz_slack):
    time.sleep(0.5)
    assert not [c for c in fuzz_slack.api.of("response_url")
                if SORRY in c.args.get("text", "")]
