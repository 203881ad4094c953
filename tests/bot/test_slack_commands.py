"""The slash command through the real HTTP endpoint, on the E-waste example."""

from __future__ import annotations

import json

from tests.bot.conftest import HOSSEIN, STRANGER, TATIANA, text_of


def ack_json(response) -> dict:
    assert response.status_code == 200, response.text
    return json.loads(response.text) if response.text else {}


def test_lead_ws1_answers_brs_and_unitar_through_the_response_url_first_then_in_the_ack(slack):
    first = slack.command("lead ws1")
    assert ack_json(first) == {}  # Tatiana is not known by her Slack id yet: users.info first
    (reply,) = slack.api.wait_for("response_url")
    assert reply.args["response_type"] == "ephemeral"
    assert "BRS" in text_of(reply.args) and "UNITAR" in text_of(reply.args)
    assert [c.args["user"] for c in slack.api.of("users.info")] == [TATIANA]
    second = ack_json(slack.command("lead ws1"))  # now remembered: answered in the ack
    assert second["response_type"] == "ephemeral"
    assert "Lead:* Basel, Rotterdam" in text_of(second) or "BRS" in text_of(second)
    assert len(slack.api.of("users.info")) == 1
