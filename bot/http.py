"""`/slack/events` on `coalition serve`: events, commands and interactivity in HTTP mode.

Requests go through slack_bolt's Starlette adapter (`to_bolt_request`/`to_starlette_response`)
and Bolt checks the signature and the 5-minute timestamp window. The adapter's own handler
calls the synchronous Bolt app on the event loop; here it runs in Starlette's thread pool, so
one slow request never holds up the others (or `/healthz`).
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PATH = "/slack/events"


def bolt_endpoint(app: App):
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        bolt_response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)
    return endpoint


def routes(runtime, *, app: App | None = None, path: str = PATH) -> list[Route]:
    """The Slack route when `[slack] enabled` (SLACK_SIGNING_SECRET set); none otherwise."""
    config = runtime.config
    if app is None:
        if not (config.slack.enabled and config.secrets.slack_signing_secret):
            return []
        from bot.app import create_bolt_app

        app = create_bolt_app(runtime)
    return [Route(path, bolt_endpoint(app), methods=["POST"])]
