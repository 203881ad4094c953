"""Benchmark: feed ingestion on the captured corpus plus 500 generated feeds, served locally.

Prints JSON; each figure is a ratio against a floor measured in the same run:
- first poll (fetch, parse, sanitize, store) vs bare `feedparser.parse` of the same bytes
  with feedparser's default settings (target <= 0.5);
- an unchanged re-poll (conditional GET, 304s) vs our first poll (target <= 0.1);
- 500 feeds each answering after 200 ms, vs fetching them one after another (target < 0.1).

    python bench/ingest.py [--generated 500]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402

from coalition.config import load_config  # noqa: E402
from store.engine import make_engine, unit_of_work  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Feed  # noqa: E402
from tests.worker.feed_server import CORPUS, Handler, generated_feed  # noqa: E402
from worker.ingest import poll_feeds  # noqa: E402


class DelayedHandler(Handler):
    delay = 0.0

    def do_GET(self):
        time.sleep(self.delay)
        super().do_GET()


def serve(delay: float = 0.0):
    handler = type("H", (DelayedHandler,), {"delay": delay})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    httpd.request_queue_size = 1024
    httpd.hits = {}
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def bare_parse_seconds(bodies: list[bytes]) -> float:
    saved = feedparser.SANITIZE_HTML, feedparser.RESOLVE_RELATIVE_URIS
    feedparser.SANITIZE_HTML, feedparser.RESOLVE_RELATIVE_URIS = True, True  # its defaults
    try:
        t0 = time.perf_counter()
        for body in bodies:
            feedparser.parse(body)
        return time.perf_counter() - t0
    finally:
        feedparser.SANITIZE_HTML, feedparser.RESOLVE_RELATIVE_URIS = saved


def store_with(urls: list[str], tmp: str, name: str):
    engine = make_engine(f"sqlite:///{tmp}/{name}.db")
    upgrade(engine)
    with unit_of_work(engine) as session:
        for url in urls:
            session.add(Feed(url=url, origin="cli"))
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=500)
    args = parser.parse_args()
    config = load_config(None, env={"COALITION_FEEDS_ALLOW_PRIVATE": "true"})
    import datetime as dt

    now = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    names = sorted(p.name for p in CORPUS.glob("*.xml"))
    bodies = [(CORPUS / n).read_bytes() for n in names]
    bodies += [generated_feed(i, items=20) for i in range(args.generated)]
    bare = bare_parse_seconds(bodies)

    httpd, url = serve()
    urls = [f"{url}/corpus/{n}" for n in names]
    urls += [f"{url}/gen/{i}" for i in range(args.generated)]
    with tempfile.TemporaryDirectory() as tmp:
        engine = store_with(urls, tmp, "first")
        t0 = time.perf_counter()
        first = poll_feeds(engine=engine, config=config, now=now)
        ours_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = poll_feeds(engine=engine, config=config, now=now, everything=True)
        ours_again = time.perf_counter() - t0
        httpd.shutdown()

        slow, slow_url = serve(delay=0.2)
        slow_urls = [f"{slow_url}/gen/{i}" for i in range(args.generated)]
        engine = store_with(slow_urls[:10], tmp, "sequential")
        sequential_config = load_config(None, env={"COALITION_FEEDS_ALLOW_PRIVATE": "true",
                                                   "COALITION_FEEDS_CONCURRENCY": "1"})
        t0 = time.perf_counter()
        poll_feeds(engine=engine, config=sequential_config, now=now)
        sequential = (time.perf_counter() - t0) / 10 * len(slow_urls)
        engine = store_with(slow_urls, tmp, "concurrent")
        t0 = time.perf_counter()
        poll_feeds(engine=engine, config=config, now=now)
        concurrent = time.perf_counter() - t0
        slow.shutdown()
    print(json.dumps({
        "benchmark": "ingest",
        "feeds": len(urls), "entries_added": first.added, "failed": first.failed,
        "bare_feedparser_parse_seconds": round(bare, 3),
        "ours_first_poll_seconds": round(ours_first, 3),
        "ratio_first_poll_to_bare_parse": round(ours_first / bare, 3),
        "target_first_poll_ratio": 0.5,
        "ours_unchanged_repoll_seconds": round(ours_again, 3),
        "unchanged_304": again.unchanged,
        "ratio_repoll_to_first_poll": round(ours_again / ours_first, 3),
        "target_repoll_ratio": 0.1,
        "delayed_200ms_sequential_seconds_estimated_from_10": round(sequential, 2),
        "delayed_200ms_concurrent_seconds": round(concurrent, 2),
        "ratio_concurrent_to_sequential": round(concurrent / sequential, 3),
        "target_concurrent_ratio": 0.1,
        "rss2email": "not measured yet: the comparison needs rss2email installed in the "
                     "benchmark's own environment (see README)",
    }, indent=2))


if __name__ == "__main__":
    main()
