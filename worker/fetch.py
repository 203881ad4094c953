"""Fetching a feed politely and defensively with httpx.

Every hop of a redirect is resolved and checked (`worker.guard`), then connected to by the
checked address (Host header and TLS server name kept), so DNS tricks cannot reach private,
loopback or link-local addresses unless `[feeds] allow_private`. Only http and https are
fetched here: the operator's local files are read by `worker.local`. The body is capped while
streaming (after decompression, so a gzip bomb stops at the cap) and the whole fetch has a
deadline, so a server that drips a byte a second cannot hold a poll.
"""

from __future__ import annotations

import functools
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from coalition.errors import OperationError
from worker.guard import checked_address


class FetchError(OperationError):
    """The feed could not be fetched; the message says what to check."""

    def __init__(self, message: str, *, retry_after: float | None = None, gone: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.gone = gone


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10_000_000
    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_redirects: int = 5
    allow_private: bool = False
    user_agent: str = "CoalitionDesk/0.1"


@dataclass
class Fetched:
    status: int  # 200, or 304 when unchanged
    body: bytes
    headers: dict[str, str]
    url: str  # where it was finally found
    moved_to: str | None  # a permanent redirect: the feed's new address
    parsed: object = None  # filled by the poller once parsed


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for the process: building one (loading the CA bundle) takes 40 ms."""
    return httpx.create_ssl_context()


def make_transport() -> httpx.HTTPTransport:
    """What `fetch` sends through: httpx's transport (a connection pool) used directly, with
    no proxy or certificate settings from the environment. `fetch` does what an
    `httpx.Client` would add (redirects, each hop checked; headers; timeouts) itself: the
    client's layers cost more CPU than the exchange of a conditional GET with a 304."""
    return httpx.HTTPTransport(verify=tls_context(), trust_env=False)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def fetch(url: str, *, limits: Limits, etag: str = "", last_modified: str = "",
          transport: httpx.HTTPTransport | None = None) -> Fetched:
    """GET the feed, following at most `limits.max_redirects` redirects, each hop checked."""
    own = transport is None
    transport = transport or make_transport()
    deadline = time.monotonic() + limits.timeout
    moved_to = None
    permanent = True
    try:
        for _hop in range(limits.max_redirects + 1):
            response = _get(transport, url, limits, deadline, etag, last_modified)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"{url}: redirect without a Location")
                permanent = permanent and response.status in (301, 308)
                url = urljoin(url, location)
                moved_to = url if permanent else moved_to
                continue
            response.moved_to = moved_to
            return response
        raise FetchError(f"more than {limits.max_redirects} redirects (a redirect loop?)")
    finally:
        if own:
            transport.close()


def _get(transport: httpx.HTTPTransport, url: str, limits: Limits, deadline: float, etag: str,
         last_modified: str) -> Fetched:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: only http and https feeds can be fetched")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = checked_address(parts.hostname, port, allow_private=limits.allow_private)
    host_for_url = f"[{address}]" if ":" in address else address
    target = urlunsplit((parts.scheme, f"{host_for_url}:{port}", parts.path or "/",
                         parts.query, ""))
    headers = {"User-Agent": limits.user_agent, "Host": parts.netloc.rsplit("@", 1)[-1],
               "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                         "text/xml;q=0.8, */*;q=0.5", "Accept-Encoding": "gzip, deflate"}
    if parts.scheme == "https":
        # Connections are pooled by the address connected to, and TLS checks the hostname
        # only when a connection is made: a kept https connection could carry another
        # hostname's request on the same address unchecked. So none is kept.
        headers["Connection"] = "close"
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(f"gave up after {limits.timeout:.0f} s")
    read = min(remaining, limits.timeout)
    request = httpx.Request("GET", target, headers=headers, extensions={
        "timeout": {"connect": min(remaining, limits.connect_timeout), "read": read,
                    "write": read, "pool": read},
        "sni_hostname": parts.hostname})
    try:
        response = transport.handle_request(request)
        response.request = request
        try:
            return _read(response, url, limits, deadline)
        finally:
            response.close()
    except httpx.TimeoutException as e:
        raise FetchError(f"{url}: timed out ({type(e).__name__})") from e
    except httpx.HTTPError as e:
        raise FetchError(f"{url}: {type(e).__name__}: {e}") from e


def _read(response: httpx.Response, url: str, limits: Limits, deadline: float) -> Fetched:
    """The response as what `fetch` returns, or the FetchError it amounts to."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308) or status == 304:
        _drain(response, deadline)
        return Fetched(status, b"", dict(response.headers), url, None)
    if status == 410:
        raise FetchError(f"{url}: 410 Gone, the feed was removed", gone=True)
    if status in (429, 503):
        raise FetchError(f"{url}: {status} {response.reason_phrase}",
                         retry_after=_retry_after(response.headers.get("retry-after")))
    if status >= 400:
        raise FetchError(f"{url}: HTTP {status} {response.reason_phrase}")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limits.max_bytes:
            raise FetchError(f"{url}: larger than {limits.max_bytes:,} bytes: refused")
        if time.monotonic() > deadline:
            raise FetchError(f"{url}: too slow, gave up after {limits.timeout:.0f} s")
    return Fetched(status, bytes(body), dict(response.headers), url, None)


def _drain(response: httpx.Response, deadline: float, limit: int = 65_536) -> None:
    """Read a short body (a 304's or a redirect's) to its end, so the connection is kept alive
    for the next feed; a long or slow one is left, and its connection closed."""
    read = 0
    for chunk in response.iter_raw():
        read += len(chunk)
        if read > limit or time.monotonic() > deadline:
            return
