"""Feeds that are local files: the demo's offline samples, or a feed another tool writes."""

import datetime as dt
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import Session, select

from coalition.config import ConfigError, load_config
from store.engine import unit_of_work
from store.models import Feed, FeedEntry
from tests.conftest import ROOT
from worker.fetch import FetchError, Limits, fetch
from worker.following import FollowError, follow
from worker.ingest import poll_feeds
from worker.local import read_local

NOW = dt.datetime(2017, 10, 1, 8, 0, tzinfo=dt.UTC)
SAMPLE = ROOT / "examples" / "feeds" / "coalition-news.xml"


def entries(engine) -> list[FeedEntry]:
    with Session(engine) as session:
        return list(session.exec(select(FeedEntry).order_by(FeedEntry.id)))


def test_a_local_feed_is_read_then_unchanged_until_the_file_changes(engine, tmp_path):
    feed_file = tmp_path / "news.xml"
    feed_file.write_bytes(SAMPLE.read_bytes())
    with unit_of_work(engine) as session:
        follow(session=session, url=feed_file.as_uri(), origin="cli", now=NOW,
               interval_minutes=60, allow_files=True)
    config = load_config(None, env={})
    first = poll_feeds(engine=engine, config=config, now=NOW)
    assert (first.added, first.failed) == (4, 0)
    again = poll_feeds(engine=engine, config=config, now=NOW, everything=True)
    assert (again.unchanged, again.added) == (1, 0)  # like a 304: not parsed again

    changed = SAMPLE.read_text().replace("agenda circulated", "agenda and papers circulated")
    feed_file.write_text(changed)
    os.utime(feed_file, ns=(1, 1))  # a different modification time, whatever the clock
    third = poll_feeds(engine=engine, config=config, now=NOW, everything=True)
    assert (third.added, third.updated) == (0, 1)
    assert "agenda and papers circulated" in entries(engine)[0].title

    feed_file.unlink()
    fourth = poll_feeds(engine=engine, config=config, now=NOW, everything=True)
    assert fourth.failed == 1
    with Session(engine) as session:
        feed = session.exec(select(Feed)).one()
    assert "cannot read the feed file" in feed.last_error and str(feed_file) in feed.last_error


def test_a_local_file_over_the_size_cap_is_refused(tmp_path):
    big = tmp_path / "big.xml"
    big.write_bytes(b"<rss>" + b" " * 5000 + b"</rss>")
    with pytest.raises(FetchError, match="larger than 2,048 bytes"):
        read_local(big.as_uri(), limits=Limits(max_bytes=2048))


def test_config_sources_may_name_a_file_relative_to_the_config(engine, tmp_path):
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "news.xml").write_bytes(SAMPLE.read_bytes())
    file = tmp_path / "coalition.toml"
    file.write_text('[[feeds.sources]]\nurl = "file:feeds/news.xml"\nkind = "publication"\n')
    report = poll_feeds(engine=engine, config=load_config(file, env={}), now=NOW)
    assert report.added == 4
    with Session(engine) as session:
        feed = session.exec(select(Feed)).one()
    assert feed.url == (tmp_path / "feeds" / "news.xml").resolve().as_uri()
    assert (feed.origin, feed.kind) == ("config", "publication")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[feeds.sources]]\nurl = "ftp://example.org/feed"\n')
    with pytest.raises(ConfigError, match=r"\[feeds\] sources.0.url: expected a feed address"):
        load_config(bad, env={})


def test_only_the_operator_can_follow_a_file_and_no_redirect_leads_to_one(engine):
    with unit_of_work(engine) as session, pytest.raises(FollowError, match="local files"):
        follow(session=session, url="file:///etc/passwd", origin="opml", now=NOW,
               interval_minutes=60)

    class ToFile(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), ToFile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/feed"
        with pytest.raises(FetchError, match="only http and https"):
            fetch(url, limits=Limits(allow_private=True))
    finally:
        server.shutdown()
