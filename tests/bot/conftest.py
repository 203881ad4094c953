"""The Slack app on a real server: `coalition serve`'s Starlette app under uvicorn, a stand-in
Slack Web API, and requests signed as Slack signs them."""

from __future__ import annotations

import itertools

import httpx
import pytest

from coalition.config import load_config
from coalition.runtime import Runtime
from coalition.web import create_app
from tests.bot.slack_stub import SlackAPI, command_body, event_body, interaction_body, sign
from tests.conftest import EXAMPLE, LiveServer

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TATIANA, HOSSEIN, STRANGER = "UTATIANA", "UHOSSEIN", "USTRANGER"
UPDATES = "CUPDATES"
USERS = {
    TATIANA: {"email": "Tatiana.Terekhova@example.org", "tz": "Europe/Zurich"},
    HOSSEIN: {"email": "hossein.fadaei@example.org", "tz": "Europe/Zurich"},
    STRANGER: {"email": "someone@elsewhere.example", "tz": "America/New_York"},
}


class Slack:
    """Sends signed requests to the bot's `/slack/events` and reads what it posted back."""

    def __init__(self, url: str, api: SlackAPI, runtime: Runtime):
        self.http = httpx.Client(base_url=url, timeout=30)
        self.api = api
        self.runtime = runtime
        self._n = itertools.count(1)

    def post(self, body: str, content_type: str, *, secret: str = SECRET,
             timestamp: int | None = None, headers: dict | None = None) -> httpx.Response:
        signed = sign(secret, body, timestamp)
        return self.http.post("/slack/events", content=body.encode(), headers={
            "Content-Type": content_type, **signed, **(headers or {})})

    def command(self, text: str, *, user: str = TATIANA, **kw) -> httpx.Response:
        body = command_body(text, user=user, response_url=self.api.response_url(
            f"c{next(self._n)}"), trigger_id=f"trigger.{next(self._n)}")
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def event(self, event: dict, *, event_id: str | None = None, **kw) -> httpx.Response:
        body = event_body(event, event_id=event_id or f"Ev{next(self._n):08d}")
        return self.post(body, "application/json", **kw)

    def interact(self, payload: dict, **kw) -> httpx.Response:
        return self.post(interaction_body(payload), "application/x-www-form-urlencoded", **kw)


def slack_env(api: SlackAPI, **env):
    """The bot's configuration, as the environment gives it, pointed at the stand-in API."""
    return load_config(env={
        "COALITION_SLACK_ENABLED": "true", "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api.api_url,
        "COALITION_SLACK_UPDATES_CHANNEL": UPDATES,
        "COALITION_COALITION_DATA": str(EXAMPLE), **env})


@pytest.fixture
def slack(example_engine):
    """The bot on a live server with the example synced, today 6 October 2017 in Geneva."""
    with SlackAPI(users=dict(USERS)) as api:
        runtime = Runtime(slack_env(api), now="2017-10-06T10:00")
        runtime.__dict__["engine"] = example_engine
        with LiveServer(create_app(runtime)) as server:
            client = Slack(server.url, api, runtime)
            yield client
            client.http.close()


def text_of(payload: dict) -> str:
    """Everything a person reads in a message: the blocks' text (and the fallback)."""
    parts = [payload.get("text", "")]
    for block in payload.get("blocks") or []:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)
