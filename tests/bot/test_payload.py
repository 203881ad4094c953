"""Reading a verified Slack body (`bot.payload`), Socket Mode's check, and whose workspace a
user is of: the rules alone."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest, BoltResponse

from bot.app import check_socket_mode_payload
from bot.identity import SlackProfile, Workspace
from bot.payload import PayloadError, clean, parse

FORM = "application/x-www-form-urlencoded"


def test_a_command_is_read_from_its_form_whatever_its_text_says():
    body = urlencode({"command": "/coalition", "text": "who payload", "user_id": "U1"})
    assert parse(body, FORM)["text"] == "who payload"


def test_an_interaction_is_read_from_its_payload_field():
    body = urlencode({"payload": json.dumps({"type": "block_actions", "actions": [
        {"action_id": "share_in_channel", "value": "lead ws1"}]})})
    assert parse(body, f"{FORM}; charset=utf-8")["actions"][0]["value"] == "lead ws1"


def test_text_no_store_keeps_is_cleaned_everywhere_in_the_body():
    body = json.dumps({"type": "event_callback", "event": {
        "type": "message", "text": "a\x00b\ud800c", "files": [{"title": "x\x00.pdf"}]}})
    event = parse(body, "application/json")["event"]
    assert event["text"] == "ab\ufffdc" and event["files"][0]["title"] == "x.pdf"
    assert clean("plain") == "plain"


@pytest.mark.parametrize("body, content_type, why", [
    ("{", "application/json", "not valid JSON"),
    ("[]", "application/json", "not an object"),
    ('{"a": ' * 50 + "1" + "}" * 50, "application/json", "nested deeper"),
    ("x", "text/plain", "unexpected content type"),
    ('{"type": "event_callback", "event": {"type": "message", "ts": "soon"}}',
     "application/json", "event.ts"),
    ('{"type": "event_callback", "event": null}', "application/json", "event"),
    ('{"type": "block_actions", "actions": [{"value": 5}]}', "application/json", "value"),
    ('{"type": "view_submission", "view": {"callback_id": "meeting_form"}}',
     "application/json", "type"),
    ('{"type": "workflow_step_edit", "callback_id": "x"}', "application/json", "retired"),
    ('{"type": "interactive_message", "callback_id": "x"}', "application/json", "actions"),
    ("payload=%7B", FORM, "not valid JSON"),
])
def test_bodies_slack_never_sends_are_refused_saying_why(body, content_type, why):
    with pytest.raises(PayloadError, match=why):
        parse(body, content_type)


def test_socket_mode_payloads_are_cleaned_and_checked_like_http_ones():
    good = BoltRequest(body={"type": "event_callback", "event": {
        "type": "message", "text": "hi\x00"}}, mode="socket_mode")
    assert check_socket_mode_payload(good, BoltResponse(status=200), lambda: "next") == "next"
    assert good.body["event"]["text"] == "hi"
    bad = BoltRequest(body={"type": "event_callback", "event": []}, mode="socket_mode")
    refused = check_socket_mode_payload(bad, BoltResponse(status=200), lambda: "next")
    assert refused.status == 400


@pytest.mark.parametrize("profile, ours", [
    (SlackProfile("U1", "a@x.org", "", team_id="T0001"), True),
    (SlackProfile("U1", "a@x.org", "", team_id="T0OTHER"), False),
    (SlackProfile("U1", "a@x.org", "", team_id=""), False),
    (SlackProfile("U1", "a@x.org", "", team_id="T0GRID2", enterprise_id="E1"), True),
    (SlackProfile("U1", "a@x.org", "", team_id="T0GRID2", enterprise_id="E2"), False),
])
def test_an_email_counts_only_for_users_of_our_workspace_or_grid(profile, ours):
    assert Workspace("T0001", "E1").includes(profile) is ours
    assert Workspace("T0001").includes(profile) is (profile.team_id == "T0001")
