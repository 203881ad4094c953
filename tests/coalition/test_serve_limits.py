"""`coalition serve` in a process of its own, as deployed: a 50 MB body does not grow its
memory, and connections that never finish their request are closed while `/healthz` answers.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.coalition.test_service import free_port, start, wait_healthy

TIMEOUT = 1.0  # [server] request_timeout_seconds for these tests
MB = 1024 * 1024


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("serve")
    port = free_port()
    proc = start(["serve", "--port", str(port)], {
        "COALITION_LOG_FORMAT": "json", "COALITION_STORE_URL": f"sqlite:///{workdir}/s.db",
        "COALITION_SERVER_REQUEST_TIMEOUT_SECONDS": str(TIMEOUT),
        "COALITION_SLACK_ENABLED": "true", "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s" * 32, "SLACK_API_URL": "http://127.0.0.1:9/api/"}, workdir)
    try:
        assert wait_healthy(f"http://127.0.0.1:{port}/healthz", proc).status_code == 200
        yield proc, port
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
        assert "Traceback" not in stderr and "Exception in ASGI" not in stderr, stderr[-3000:]


def _peak_rss(pid: int) -> int:
    """The process's peak resident memory so far, in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc")


def _reset_peak(pid: int) -> None:
    """Start the peak from the current memory (Linux: clear_refs 5), when we may."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def _send_50mb(port: int, head: bytes, chunk: bytes, count: int, tail: bytes = b"") -> bytes:
    """Send `head`, `count` chunks and `tail` while reading what the server answers, until
    it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        reply = bytearray()

        def read():
            try:
                while data := sock.recv(65536):
                    reply.extend(data)
            except OSError:
                pass

        reader = threading.Thread(target=read)
        reader.start()
        try:
            sock.sendall(head)
            for _ in range(count):
                sock.sendall(chunk)
            sock.sendall(tail)
        except OSError:  # refused and closed before the end: the server read no more
            pass
        reader.join(20)
        return bytes(reply)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_a_50_mb_unsigned_body_is_refused_without_the_memory_growing(serve):
    proc, port = serve
    for _ in range(3):  # warm: the routes, the store, the Slack app have all answered once
        httpx.post(f"http://127.0.0.1:{port}/slack/events", content=b"{}")
        httpx.get(f"http://127.0.0.1:{port}/healthz")
    _reset_peak(proc.pid)
    before = _peak_rss(proc.pid)
    piece = b"[" * MB
    declared = _send_50mb(port, b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
                          b"application/json\r\nContent-Length: %d\r\n\r\n" % (50 * MB),
                          piece, 50)
    chunked = _send_50mb(port, b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                         b"%x\r\n%s\r\n" % (len(piece), piece), 50, b"0\r\n\r\n")
    grown = _peak_rss(proc.pid) - before
    print(f"peak RSS growth for two 50 MB bodies: {grown / MB:.1f} MB")
    assert grown < 50 * MB, f"the server's peak memory grew by {grown / MB:.1f} MB"
    assert declared == b"" or declared.startswith(b"HTTP/1.1 413 ")  # a reset may hide it
    assert chunked.startswith(b"HTTP/1.1 413 "), chunked[:200]
    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200


def _closed_at(sock: socket.socket, deadline: float) -> float | None:
    """When the server closed the socket (monotonic time); None if still open at deadline."""
    sock.settimeout(max(deadline - time.monotonic(), 0.01))
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return None
    except OSError:
        pass
    return time.monotonic()


def test_half_open_connections_are_closed_within_the_timeout_while_healthz_answers(serve):
    _, port = serve
    opened = time.monotonic()
    sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
    for i, sock in enumerate(sockets):
        match i % 4:
            case 0:
                pass  # connects, says nothing
            case 1:
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Le")
            case 2:  # headers in, a tenth of the body
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             b"application/json\r\nContent-Length: 100\r\n\r\n" + b"{" * 10)
            case 3:  # a complete request, then an idle keep-alive connection
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    sockets.append(socket.create_connection(("127.0.0.1", port)))  # a byte at a time
    try:
        started = time.monotonic()
        for _ in range(3):
            answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            assert answer.status_code == 200
            sockets[-1].sendall(b"G")
            time.sleep(TIMEOUT / 4)
        assert time.monotonic() - started < TIMEOUT * 3  # /healthz was not held up
        limit = opened + TIMEOUT + 2.0
        still_open = [i for i, sock in enumerate(sockets) if _closed_at(sock, limit) is None]
        assert not still_open, f"{len(still_open)} of 61 connections still open: {still_open}"
    finally:
        for sock in sockets:
            sock.close()
