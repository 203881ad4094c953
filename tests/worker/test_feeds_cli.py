"""`coalition feeds` commands through the real CLI: the list for people and for programs,
`show`, `poll URL` whatever the backoff, and discovery in `add`."""

import datetime as dt
import json
import re

import pytest
from sqlmodel import Session, select

from store.engine import make_engine, unit_of_work
from store.migrate import upgrade
from store.models import Feed, FeedEntry
from tests.conftest import run_cli
from tests.worker.feed_server import FeedServer

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-9]|9[0-7]|38;)")
LONG_ERROR = ("feeds.example.org resolves to 10.1.2.3, a private address: refused "
              "([feeds] allow_private) after the server moved to the coalition's intranet")


@pytest.fixture(scope="module")
def server():
    with FeedServer() as s:
        yield s


@pytest.fixture
def store(tmp_path):
    """(environment for the CLI, engine) on a fresh SQLite store."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    yield {"COALITION_STORE_URL": url, "COALITION_FEEDS_ALLOW_PRIVATE": "true",
           "COALITION_COALITION_TIMEZONE": "UTC"}, engine
    engine.dispose()


def add_feeds(engine, *feeds: Feed) -> None:
    with unit_of_work(engine) as session:
        for feed in feeds:
            session.add(feed)


def feed_rows(engine) -> dict[str, Feed]:
    with Session(engine) as session:
        return {f.url: f for f in session.exec(select(Feed))}


def test_the_list_is_a_table_for_people_and_json_for_programs(store):
    env, engine = store
    add_feeds(engine,
              Feed(url="https://a.example/feed", title="Alpha news", status="ok",
                   last_success_at=NOW, next_poll_at=NOW + dt.timedelta(hours=1)),
              Feed(url="https://b.example/rss", title="Beta", status="error", error_count=2,
                   last_error=LONG_ERROR, next_poll_at=NOW + dt.timedelta(hours=4)),
              Feed(url="https://c.example/atom", status="warning",
                   last_error="parsed with a warning: mismatched tag"))
    with unit_of_work(engine) as session:
        feed_id = session.exec(select(Feed.id).where(Feed.title == "Alpha news")).one()
        session.add(FeedEntry(feed_id=feed_id, identity="e1", published_at=NOW,
                              first_seen_at=NOW))
    table = run_cli("feeds", "list", env={**env, "COLUMNS": "72"})
    assert table.returncode == 0, table.stderr
    text = table.stdout
    assert not COLOUR.search(text) and "\x1b[" not in text  # not a terminal: plain text
    assert max(map(len, text.splitlines())) <= 72
    header = text.splitlines()[0].split()
    assert header[:2] == ["Feed", "Status"] and "Entries" in header and "Next" in header
    assert "Alpha news" in text and "https://a.example/feed" in text
    alpha = text.splitlines()[1:3]  # title, then address; each date over two lines
    assert alpha[0].split()[:4] == ["Alpha", "news", "ok", "1"] and "2026-11-24" in alpha[0]
    assert alpha[1].split() == ["https://a.example/feed", "09:00", "10:00"]
    assert "Times in UTC." in text and "error (2x)" in text and "warning" in text
    assert "Beta (error (2x)):" in text
    words = re.findall(r"\S+", text)
    assert all(word in words for word in LONG_ERROR.split()), text  # wrapped, never cut

    listed = run_cli("feeds", "list", "--json", env=env)
    rows = {r["url"]: r for r in json.loads(listed.stdout)}
    assert {"url", "title", "kind", "status", "entries", "last_success", "last_error",
            "error_count", "next_poll"} <= set(rows["https://a.example/feed"])
    assert (rows["https://a.example/feed"]["entries"], rows["https://b.example/rss"]["status"],
            rows["https://b.example/rss"]["last_error"]) == (1, "error", LONG_ERROR)
    assert rows["https://a.example/feed"]["last_success"] == NOW.isoformat()

    forced = run_cli("feeds", "list", env={**env, "FORCE_COLOR": "1"})
    assert COLOUR.search(forced.stdout)  # a terminal gets colour...
    no_colour = run_cli("feeds", "list", env={**env, "FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not COLOUR.search(no_colour.stdout)  # ...unless NO_COLOR says not


def test_show_lists_a_feeds_entries_as_they_were_read(store, server):
    from coalition.config import load_config
    from worker.ingest import poll_feeds

    env, engine = store
    url = f"{server.url}/fixtures/atom_xml_base.xml"
    add_feeds(engine, Feed(url=url, origin="cli"))
    poll_feeds(engine=engine, config=load_config(None, env={
        "COALITION_FEEDS_ALLOW_PRIVATE": "true"}), now=NOW)
    shown = run_cli("feeds", "show", url, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Based" in shown.stdout and "ok, 2 entries stored" in shown.stdout
    assert "2024-05-02 00:00  Two" in shown.stdout  # the newest first, in the timezone
    assert "link: http://base.example/news/2024/one.html" in shown.stdout
    assert 'summary: <a href="http://base.example/news/2024/s.html"' in shown.stdout
    assert 'content: <p>The <a href="http://base.example/content/c.html"' in shown.stdout
    data = json.loads(run_cli("feeds", "show", url, "--json", env=env).stdout)
    assert data["feed"]["url"] == url and data["feed"]["entries"] == 2
    one = next(e for e in data["entries"] if e["title"] == "One")
    assert one["link"] == "http://base.example/news/2024/one.html"
    assert one["published"] == "2024-05-01T00:00:00+00:00"
    assert one["summary"].startswith('<a href="http://base.example/news/2024/s.html"')
    assert one["content"].startswith('<p>The <a href="http://base.example/content/c.html"')
    missing = run_cli("feeds", "show", "https://nowhere.example/feed", env=env)
    assert missing.returncode == 2 and missing.stderr.startswith("error: not following")


def test_poll_url_polls_that_feed_now_whatever_its_backoff(store, server):
    """The feed failed (allow_private was off) and backs off for hours; the cause fixed,
    `feeds poll URL` reads it at once, while a plain poll leaves it waiting."""
    env, engine = store
    url, other = f"{server.url}/gen/60", f"{server.url}/gen/61"
    later = NOW + dt.timedelta(days=365 * 10)  # no clock of this test reaches it
    add_feeds(engine, Feed(url=url, status="error", error_count=3, last_error=LONG_ERROR,
                           next_poll_at=later),
              Feed(url=other, next_poll_at=later))
    due = run_cli("feeds", "poll", env=env)
    assert "0 feeds polled" in due.stdout and feed_rows(engine)[url].status == "error"
    now = run_cli("feeds", "poll", url, env=env)
    assert now.returncode == 0, now.stderr
    assert "1 feeds polled: 5 entries added" in now.stdout and f"{url}: ok" in now.stdout
    rows = feed_rows(engine)
    assert (rows[url].status, rows[url].error_count, rows[url].last_error) == ("ok", 0, "")
    assert rows[other].last_polled_at is None  # only the one asked for

    add_feeds(engine, Feed(url=f"{server.url}/broken", next_poll_at=later))
    broken = run_cli("feeds", "poll", f"{server.url}/broken", env=env)
    assert broken.returncode == 1 and f"{server.url}/broken: error (" in broken.stdout
    unknown = run_cli("feeds", "poll", "https://nowhere.example/feed", env=env)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") <= 2
    assert unknown.stderr.startswith("error: not following 'https://nowhere.example/feed'")
    both = run_cli("feeds", "poll", url, "--all", env=env)
    assert both.returncode == 2 and "not both" in both.stderr


def test_adding_a_web_page_follows_the_feed_it_names_and_lists_the_others(store, server):
    env, engine = store
    added = run_cli("feeds", "add", f"{server.url}/page", env=env)
    assert added.returncode == 0, added.stderr
    chosen = f"{server.url}/feeds/from-header.atom"  # the Link header comes first
    assert f"is a web page naming 3 feeds; following {chosen} (From the header)" in \
        added.stdout
    assert f"  {server.url}/news/feed.rss (Example & news (RSS))" in added.stdout  # <base>
    assert f"  {server.url}/comments.atom (Comments)" in added.stdout
    assert "in-the-body" not in added.stdout and "style.css" not in added.stdout
    assert list(feed_rows(engine)) == [chosen]

    none = run_cli("feeds", "add", f"{server.url}/page-without-feeds", env=env)
    assert none.returncode == 2 and "is a web page that names no feed" in none.stderr
    assert "Traceback" not in none.stderr and list(feed_rows(engine)) == [chosen]

    feed = run_cli("feeds", "add", f"{server.url}/gen/70", env=env)
    assert feed.stdout.strip() == f"following {server.url}/gen/70"  # a feed is itself

    down = "http://127.0.0.1:9/feed.xml"  # nothing listens on port 9 (discard)
    offline = run_cli("feeds", "add", down, env=env)
    assert offline.returncode == 0 and f"following {down}" in offline.stdout
    assert offline.stderr.startswith(f"warning: could not read {down} now")
    assert down in feed_rows(engine)
