"""A local HTTP server for feed tests: the real-world corpus, generated and hostile feeds."""

from __future__ import annotations

import functools
import gzip
import hashlib
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.conftest import CORPUS

FIXTURES = Path(__file__).resolve().parent / "fixtures"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title>
<item><title>&lol3;</title></item></channel></rss>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title><item><title>&xxe;</title>
<description>&xxe;</description></item></channel></rss>"""


# feedparser 6.0.14 raises TypeError on a stray </width> (found by fuzzing the corpus)
FEEDPARSER_CRASH = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title>'
                    b"<item><title>a</title></item></width></channel></rss>")


@functools.cache
def generated_feed(n: int, items: int = 5) -> bytes:
    body = "".join(
        f"<item><title>Generated {n} item {i}: circular economy news</title>"
        f"<link>https://example.org/{n}/{i}</link><guid>gen-{n}-{i}</guid>"
        f"<pubDate>Mon, 09 Oct 2017 0{i % 10}:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;Item {i} of feed {n}&lt;script&gt;x()&lt;/script&gt;"
        f"&lt;img src='https://t.example/p.gif'&gt;&lt;/p&gt;</description></item>"
        for i in range(items))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Generated {n}</title>'
            f"{body}</channel></rss>").encode()


def rotating_feed(poll: int) -> bytes:
    """A feed whose GUIDs change at every request (`poll`), its entries otherwise the same:
    five with links of their own, one without a link, two sharing the home page's link."""
    items = [(f"Rotating {i}", f"<link>https://example.org/rot/{i}</link>", f"Text {i}")
             for i in range(5)]
    items += [("No link", "", "The same text at every poll"),
              ("Shared link A", "<link>https://example.org/</link>", "First of two"),
              ("Shared link B", "<link>https://example.org/</link>", "Second of two")]
    body = "".join(f"<item><title>{title}</title>{link}<guid isPermaLink='false'>rot-{poll}-"
                   f"{n}</guid><description>{text}</description></item>"
                   for n, (title, link, text) in enumerate(items))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Rotating</title>'
            f"{body}</channel></rss>").encode()


class Handler(BaseHTTPRequestHandler):
    server_version = "feeds/1"

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _feed(self, body: bytes, content_type: str = "application/xml") -> None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, headers={"ETag": etag})
            return
        self._send(200, body, {"Content-Type": content_type, "ETag": etag})

    def _fixture(self, name: str, headers: dict | None = None) -> None:
        body = (FIXTURES / name).read_bytes()
        self._send(200, body, {"Content-Type": "application/xml", **(headers or {})})

    def do_GET(self):  # noqa: C901 (one route a line)
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        self.server.hits[path] = self.server.hits.get(path, 0) + 1
        if path.startswith("/fixtures/"):  # ?content-location=... adds that header
            headers = {"Content-Location": query["content-location"][0]} \
                if "content-location" in query else {}
            self._fixture(path.removeprefix("/fixtures/"), headers)
        elif path.startswith("/site/"):  # a fixture as if it lived there: /site/DIR/NAME
            self._fixture(path.rsplit("/", 1)[1])
        elif path == "/redirect":  # /redirect?to=URL[&status=301]
            self._send(int(query.get("status", ["302"])[0]),
                       headers={"Location": query["to"][0]})
        elif path == "/page":  # a web page naming feeds in its head and a Link header
            self._send(200, (FIXTURES / "page.html").read_bytes(), {
                "Content-Type": "text/html; charset=utf-8",
                "Link": '</feeds/from-header.atom>; rel="alternate"; '
                        'type="application/atom+xml"; title="From the header", '
                        '</style.css>; rel="stylesheet"'})
        elif path == "/page-without-feeds":
            self._send(200, b"<!doctype html><html><head><title>No feeds</title>"
                       b'<link rel="stylesheet" href="/s.css"></head><body>Hi</body></html>',
                       {"Content-Type": "text/html"})
        elif path == "/feed-as-html":  # a feed a server calls a web page
            self._send(200, generated_feed(80), {"Content-Type": "text/html; charset=utf-8"})
        elif path == "/rotating":
            self._feed(rotating_feed(self.server.hits[path]))
        elif path.startswith("/corpus/"):
            self._feed((CORPUS / path.removeprefix("/corpus/")).read_bytes())
        elif path.startswith("/gen/"):
            self._feed(generated_feed(int(path.removeprefix("/gen/"))))
        elif path.startswith("/slow/"):  # a far server: every answer, 304s too, takes 0.2 s
            with self.server.lock:
                self.server.in_flight += 1
                self.server.most_in_flight = max(self.server.most_in_flight,
                                                  self.server.in_flight)
            time.sleep(0.2)
            with self.server.lock:
                self.server.in_flight -= 1
            self._feed(generated_feed(int(path.removeprefix("/slow/"))))
        elif path == "/new-etag":  # unchanged, but each 304 names a new ETag
            if self.headers.get("If-None-Match"):
                self._send(304, headers={"ETag": f'"v{self.server.hits[path]}"'})
            else:
                self._send(200, generated_feed(50), {"Content-Type": "application/xml",
                                                     "ETag": '"v1"'})
        elif path == "/bomb":
            self._feed(BILLION_LAUGHS)
        elif path == "/xxe":
            self._feed(XXE)
        elif path == "/crash":
            self._feed(FEEDPARSER_CRASH)
        elif path == "/big":  # 6 MB, 20,000 items: seconds of parsing
            self._feed(generated_feed(0, items=20_000))
        elif path == "/ticking":  # a new item at every request: never unchanged
            n = self.server.hits[path]
            self._feed(generated_feed(n, items=3))
        elif path == "/html":
            self._send(200, b"<html><body><h1>Not a feed</h1></body></html>",
                       {"Content-Type": "text/html"})
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.end_headers()
            chunk = b"<!-- " + b"x" * 65536 + b" -->"
            try:
                for _ in range(800):  # about 50 MB
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/gzipbomb":
            body = gzip.compress(b"<rss>" + b" " * 60_000_000, compresslevel=9)
            self._send(200, body, {"Content-Type": "application/xml",
                                   "Content-Encoding": "gzip"})
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.end_headers()
            try:
                for byte in b"<rss version='2.0'><channel><title>slow</title>":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(1)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/loop":
            self._send(302, headers={"Location": "/loop2"})
        elif path == "/loop2":
            self._send(302, headers={"Location": "/loop"})
        elif path == "/moved":
            self._send(301, headers={"Location": "/gen/7"})
        elif path == "/gone":
            self._send(410)
        elif path == "/busy":
            self._send(429, b"slow down", {"Retry-After": "7200"})
        elif path == "/broken":
            self._send(500, b"oops")
        elif path == "/badenc":
            self._feed(b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                       b"<title>Bad \xff\xfe bytes</title><item><title>Caf\xe9</title>"
                       b"<link>https://example.org/cafe</link></item></channel></rss>")
        else:
            self._send(404, b"not found")


class FeedServer:
    """Serves `handler` (by default the feed routes above) on a free port, over TLS with
    `tls` (a server-side SSL context) if given."""

    def __init__(self, handler=Handler, tls: ssl.SSLContext | None = None):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.httpd.daemon_threads = True
        self.httpd.hits = {}
        self.httpd.lock = threading.Lock()
        self.httpd.in_flight = self.httpd.most_in_flight = 0  # requests to /slow/ at once
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
