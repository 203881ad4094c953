"""The Bolt app, built by a factory (never at import time).

`process_before_response=True`: Bolt answers Slack's HTTP request as soon as a listener's
`ack` function returns, and runs the listener's `lazy` functions (Web API calls, slow work)
in its thread pool afterwards. The same listeners serve Socket Mode unchanged. (Without it,
Bolt's HTTP mode polls for the ack every 10 ms, which costs every request that much.)
"""

from __future__ import annotations

import logging

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot import listeners
from bot.cache import AnswerCache
from bot.desk import SORRY, Desk
from bot.identity import Identities
from bot.payload import PayloadError, checked

log = logging.getLogger("coalition.bot")

SLACK_API = "https://slack.com/api/"


def make_client(config, *, token: str | None = None) -> WebClient:
    """The Web API client: `[slack] api_url` (or SLACK_API_URL) as base URL; retries on 429
    (honouring Retry-After) and on connection errors."""
    base_url = config.slack.api_url or SLACK_API
    return WebClient(
        token=token if token is not None else config.secrets.slack_bot_token,
        base_url=base_url.rstrip("/") + "/", timeout=10,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3),
                        ConnectionErrorRetryHandler(max_retry_count=2)])


def create_bolt_app(runtime, *, client: WebClient | None = None) -> App:
    config = runtime.config
    secret = config.secrets.slack_signing_secret
    client = client or make_client(config)
    # HTTP requests are verified (and their bodies checked) at the edge, `bot.http`, before
    # Bolt sees them; Socket Mode's come over Slack's authenticated WebSocket.
    app = App(client=client, signing_secret=secret or None, request_verification_enabled=False,
              token_verification_enabled=False, process_before_response=True, logger=log)
    app.middleware(check_socket_mode_payload)
    desk = Desk(runtime=runtime,
                identities=Identities(default_timezone=config.coalition.timezone),
                answers=AnswerCache())
    listeners.register(app, desk)
    app.error(report_error)
    return app


def check_socket_mode_payload(req, resp, next):
    """Socket Mode's payloads, cleaned and checked as `bot.http` does HTTP's."""
    if req.mode == "socket_mode":
        try:
            req.body = checked(req.body)
        except PayloadError as e:
            log.warning("Socket Mode: not a Slack payload, ignored (%s)", str(e)[:200])
            return BoltResponse(status=400, body="")
    return next()


def report_error(error: Exception, body: dict, logger: logging.Logger) -> BoltResponse:
    """The one error handler: log with the traceback; the asker gets an apology, not a 500."""
    logger.error("Slack request failed (%s)", _what(body), exc_info=error)
    if body.get("type") == "view_submission":
        return BoltResponse(status=200, body="")
    return BoltResponse(status=200, body=SORRY if body.get("command") else "")


def _what(body: dict) -> str:
    if body.get("command"):
        return f"command {body['command']}"
    event = body.get("event") or {}
    return f"{body.get('type', 'request')} {event.get('type', '')}".strip()
