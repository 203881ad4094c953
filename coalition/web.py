"""The HTTP side: one Starlette app that each part adds its routes to.

Stateless: everything it knows is in the store, so any number of `coalition serve` processes
can share one PostgreSQL behind a load balancer. Handlers that touch the store are plain
functions: Starlette runs them in its thread pool, off the event loop. Every request passes
the edge first (`coalition.edge`: size and time limits, query guard, the one error handler).
"""

from __future__ import annotations

import re
import time

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.http import routes as slack_routes
from coalition.edge import BodyLimit, ErrorBoundary, QueryGuard, deadline_protocol
from coalition.runtime import Runtime
from digests.http import routes as digest_routes
from worker.health import Health, Unrecorded, check

_WORK_STREAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")  # a work stream's key


def create_app(runtime: Runtime, extra_routes: list[BaseRoute] | None = None, *,
               unrecorded: Unrecorded | None = None) -> Starlette:
    """The app; `unrecorded` is the scheduled jobs' record when they run in this process."""
    from coalition.metrics import CONTENT_TYPE, Metrics

    def health() -> Health:
        return check(runtime.engine, now=runtime.now(),
                     unrecorded=unrecorded.snapshot() if unrecorded else None)

    def healthz(_request: Request) -> JSONResponse:
        report = health()
        return JSONResponse({
            "status": "ok" if report.ok else "error", "store": report.store,
            "problems": report.problems,
            "jobs": {job.name: {
                "last_success": str(job.last_success_at) if job.last_success_at else None,
                "failing": bool(job.last_error), "error": job.last_error[:300],
                "recorded": not job.unrecorded,
                "lease": {"owner": job.lease_owner, "until": str(job.lease_until),
                          "holder_gone": job.holder_gone} if job.lease_owner else None,
            } for job in report.jobs}}, status_code=200 if report.ok else 503)

    def calendar(request: Request) -> Response:
        from digests.calendar import build_calendar
        from store.engine import unit_of_work

        work_stream = request.query_params.get("ws") or None
        if work_stream is not None and not _WORK_STREAM.match(work_stream):
            return PlainTextResponse("ws: expected a work stream's key, e.g. ws1",
                                     status_code=400)
        with unit_of_work(runtime.engine) as session:
            cal = build_calendar(session=session, now=runtime.now(),
                                 name=runtime.config.coalition.name, work_stream=work_stream)
        return Response(cal.to_ical(), media_type="text/calendar; charset=utf-8")

    metrics = Metrics(runtime.engine, health=health)

    def metrics_endpoint(_request: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    routes: list[BaseRoute] = [Route("/healthz", healthz), Route("/calendar.ics", calendar),
                               Route("/metrics", metrics_endpoint)]
    routes += digest_routes(runtime)
    routes += slack_routes(runtime)
    routes += extra_routes or []
    server = runtime.config.server
    return Starlette(routes=routes, middleware=[  # the first is the outermost
        Middleware(ErrorBoundary),
        Middleware(_Timing, histogram=metrics.command_latency),
        Middleware(QueryGuard),
        Middleware(BodyLimit, max_bytes=server.max_body_bytes),
    ])


def server_config(app, config, **options):
    """uvicorn's configuration for `app` with the `[server]` limits: a request must arrive
    within `request_timeout_seconds`; an idle keep-alive connection closes after 5 seconds
    (or that timeout, if shorter); headers are at most 16 KiB (h11's incomplete-event
    limit)."""
    import uvicorn
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    timeout = config.server.request_timeout_seconds
    return uvicorn.Config(app, http=deadline_protocol(AutoHTTPProtocol, timeout),
                          timeout_keep_alive=min(5, timeout),
                          h11_max_incomplete_event_size=16 * 1024, **options)


class _Timing:
    """Time every request (by route, so the label set stays small) for /metrics."""

    def __init__(self, app, histogram):
        self.app, self.histogram = app, histogram

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            path = scope.get("path", "")
            label = path if path in ("/slack/events", "/healthz", "/calendar.ics", "/metrics",
                                     "/unsubscribe") else "/digest" if path.startswith(
                                         "/digest/") else "other"
            self.histogram.labels(label).observe(time.perf_counter() - started)
