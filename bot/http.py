"""`/slack/events` on `coalition serve`: events, commands and interactivity in HTTP mode.

Anyone on the internet can post here, so the request is verified before anything reads its
body: the timestamp must be an integer within five minutes of now and the v0 signature must
match the raw bytes (slack_sdk's `SignatureVerifier`); otherwise 401. Only then is the body
parsed (`bot.payload`): a verified body Slack would never send gets 400. Bolt takes it from
there, in Starlette's thread pool, so one slow request never holds up the others (or
`/healthz`). The body's size and the time it may take to arrive are bounded before this
(`coalition.edge`).
"""

from __future__ import annotations

import json
import re

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.payload import PayloadError, parse

PATH = "/slack/events"

# int() would also take " 12", "1_0", "1.5"-free Arabic-Indic digits; Slack sends ASCII digits.
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


def verified_text(verifier: SignatureVerifier, body: bytes, headers) -> str | None:
    """The body as text when Slack signed it, within the five-minute window; else None.

    Slack signs UTF-8 text: a body that is not UTF-8 cannot carry a signature we can check
    (`SignatureVerifier` reads the body as UTF-8) and is refused like an unsigned one."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not _TIMESTAMP.match(timestamp) or not _SIGNATURE.match(signature):
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if verifier.is_valid(text, timestamp, signature) else None


def bolt_endpoint(app: App, signing_secret: str):
    verifier = SignatureVerifier(signing_secret)

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        text = verified_text(verifier, body, request.headers)
        if text is None:
            return PlainTextResponse("The request is not signed by Slack.", status_code=401)
        try:
            payload = parse(text, request.headers.get("content-type", ""))
        except PayloadError as e:
            return PlainTextResponse(f"Not a Slack request: {e}"[:300], status_code=400)
        bolt_request = BoltRequest(body=json.dumps(payload, ensure_ascii=False), headers={
            **dict(request.headers.items()), "content-type": "application/json"})
        bolt_response = await run_in_threadpool(app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)
    return endpoint


def routes(runtime, *, app: App | None = None, path: str = PATH) -> list[Route]:
    """The Slack route when `[slack] enabled` (SLACK_SIGNING_SECRET set); none otherwise."""
    config = runtime.config
    secret = config.secrets.slack_signing_secret
    if not (config.slack.enabled and secret):
        return []
    if app is None:
        from bot.app import create_bolt_app

        app = create_bolt_app(runtime)
    return [Route(path, bolt_endpoint(app, secret), methods=["POST"])]
