"""The HTTP side: one Starlette app that each part adds its routes to.

Stateless: everything it knows is in the store, so any number of `coalition serve` processes
can share one PostgreSQL behind a load balancer. Handlers that touch the store are plain
functions: Starlette runs them in its thread pool, off the event loop.
"""

from __future__ import annotations

import time

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.http import routes as slack_routes
from coalition.runtime import Runtime
from digests.http import routes as digest_routes


def create_app(runtime: Runtime, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    def healthz(_request: Request) -> JSONResponse:
        try:
            with runtime.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                jobs = conn.execute(text(
                    "SELECT name, last_success_at, last_error FROM jobrun ORDER BY name")).all()
        except Exception as e:  # the health check reports, it never raises
            return JSONResponse({"status": "error", "store": str(e)[:200]}, status_code=503)
        return JSONResponse({"status": "ok", "store": "ok", "jobs": {
            name: {"last_success": str(ok) if ok else None, "failing": bool(error)}
            for name, ok, error in jobs}})

    def calendar(request: Request) -> Response:
        from digests.calendar import build_calendar
        from store.engine import unit_of_work

        with unit_of_work(runtime.engine) as session:
            cal = build_calendar(session=session, now=runtime.now(),
                                 name=runtime.config.coalition.name,
                                 work_stream=request.query_params.get("ws") or None)
        return Response(cal.to_ical(), media_type="text/calendar; charset=utf-8")

    from coalition.metrics import CONTENT_TYPE, Metrics

    metrics = Metrics(runtime.engine)

    def metrics_endpoint(_request: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    routes: list[BaseRoute] = [Route("/healthz", healthz), Route("/calendar.ics", calendar),
                               Route("/metrics", metrics_endpoint)]
    routes += digest_routes(runtime)
    routes += slack_routes(runtime)
    routes += extra_routes or []
    app = Starlette(routes=routes)
    app.add_middleware(_Timing, histogram=metrics.command_latency)
    return app


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
