"""https feeds against a local TLS server with a certificate from a test CA (trustme).

Connections are pooled by the address connected to, and TLS checks the hostname only when a
connection is made, so no https connection is kept: each fetch makes, and verifies, its own.
"""

import ssl
from http.server import BaseHTTPRequestHandler

import pytest

from tests.worker.feed_server import FeedServer, generated_feed
from worker import fetch as fetching
from worker.fetch import FetchError, Limits, fetch, make_transport

trustme = pytest.importorskip("trustme", reason="trustme makes the test CA (pip install trustme)")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client says close

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1  # one handler per TCP (and TLS) connection

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.connection_headers.append(self.headers.get("Connection", ""))
        body = generated_feed(1)
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def tls_server(ca, hostname: str) -> FeedServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(hostname).configure_cert(context)
    server = FeedServer(Handler, tls=context)
    server.httpd.connections, server.httpd.connection_headers = 0, []
    return server


@pytest.fixture
def ca(monkeypatch):
    ca = trustme.CA()
    client = ssl.create_default_context()
    ca.configure_trust(client)
    monkeypatch.setattr(fetching, "tls_context", lambda: client)
    return ca


LIMITS = Limits(allow_private=True, timeout=10)


def test_each_https_fetch_makes_and_verifies_its_own_connection(ca):
    with tls_server(ca, "localhost") as server, make_transport() as transport:
        for _ in range(3):
            fetched = fetch(f"https://localhost:{server.port}/feed", limits=LIMITS,
                            transport=transport)
            assert fetched.status == 200 and b"Generated 1" in fetched.body
        assert server.httpd.connections == 3
        assert server.httpd.connection_headers == ["close"] * 3


def test_a_certificate_for_another_hostname_is_refused(ca):
    with tls_server(ca, "feeds.example.org") as server, \
            pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
        fetch(f"https://localhost:{server.port}/feed", limits=LIMITS)
