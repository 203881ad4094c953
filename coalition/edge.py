"""The HTTP edge: what every request to `coalition serve` passes before a route sees it.

`coalition serve` is on the public internet, so anyone can send it anything:

- `deadline_protocol`: uvicorn's HTTP protocol with a deadline for a request to arrive, headers
  and body, counted from its first byte (or from the connection's opening). uvicorn has none:
  its `timeout_keep_alive` covers only the idle time between requests, and an ASGI middleware
  runs only once the headers are in (uvicorn issue #157, "--timeout-request-start"), so a
  client sending half a request would hold its connection for ever.
- `BodyLimit`: 413 as soon as `Content-Length` or the bytes read pass the limit; the rest is
  never kept.
- `QueryGuard`: 400 for a control character in the query string (a CR would reach the
  calendar's name, a header of its own).
- `ErrorBoundary`: the one place the unexpected ends: logged with the traceback and a request
  id, answered 500 with that id and nothing else. Every response carries `X-Request-ID`.
"""

from __future__ import annotations

import logging
import re
import uuid
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect

log = logging.getLogger("coalition.http")


def deadline_protocol(base: type, timeout: float) -> type:
    """`base` (a uvicorn HTTP protocol class) closing connections whose request has not
    arrived in full within `timeout` seconds."""

    class RequestDeadline(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._deadline = None
            self._waiting_since = None  # the cycle that was current when the clock started

        def connection_made(self, transport):
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._deadline is None:  # the first byte of the next request
                self._arm()
            super().data_received(data)
            cycle = self.cycle
            if cycle is not None and cycle is not self._waiting_since and not cycle.more_body:
                self._disarm()  # the request is in: the route takes its time

        def connection_lost(self, exc):
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._waiting_since = self.cycle
            self._deadline = self.loop.call_later(timeout, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                log.info("closed a connection from %s: no complete request within %gs",
                         _peer(self.client), timeout)
                self.transport.close()

    RequestDeadline.__name__ = f"RequestDeadline{base.__name__}"
    return RequestDeadline


def _peer(client) -> str:
    return f"{client[0]}:{client[1]}" if client else "?"


class _TooLarge(Exception):
    pass


async def _plain(send, status: int, text: str, *, close: bool = False) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"),
               (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


class BodyLimit:
    """413 for a body over `max_bytes`, never kept in memory.

    A declared Content-Length over the limit is answered before a byte of the body is read,
    and the connection closed. A body that passes the limit while it is read (chunked) is
    answered 413 at that point and the rest is dropped as it arrives (by uvicorn, once the
    response is sent), within the request deadline: closing a connection whose client is
    still sending resets it, and the client would never read the 413."""

    def __init__(self, app, *, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracked(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if started:
                raise
            await self._refuse(send, close=False)

    async def _refuse(self, send, *, close: bool = True) -> None:
        await _plain(send, 413, f"The request body is over {self.max_bytes} bytes.",
                     close=close)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class QueryGuard:
    """400 for a control character in a query value or name, as the routes would read it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if query and any(_CONTROL.search(k) or _CONTROL.search(v) for k, v in parse_qsl(
                query.decode("latin-1"), keep_blank_values=True)):
            await _plain(send, 400, "The address has a control character in its query.")
            return
        await self.app(scope, receive, send)


_GIVEN_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")


class ErrorBoundary:
    """Every response gets an `X-Request-ID` (a proxy's own, if it sent a sane one); an
    exception escaping a route is logged with it and answered 500 with it, never with a
    traceback. A client that went away mid-request is no error."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given.decode() if given and _GIVEN_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def with_id(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        except ClientDisconnect:
            log.info("%s %s: the client went away (request id %s)", scope.get("method"),
                     scope.get("path"), request_id)
        except Exception:
            log.exception("%s %s failed (request id %s)", scope.get("method"),
                          scope.get("path"), request_id, extra={"request_id": request_id})
            if not started:
                await _plain(with_id, 500, f"Internal error (request id {request_id}); it "
                             "has been logged.")
