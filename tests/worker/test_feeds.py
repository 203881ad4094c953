"""Feed ingestion against a local HTTP server: the real-world corpus and hostile feeds."""

import datetime as dt
import logging
import resource

import pytest
from sqlmodel import Session, func, select

from coalition.config import load_config
from store.engine import unit_of_work
from store.models import Feed, FeedEntry
from tests.worker.feed_server import CORPUS, FeedServer
from worker.ingest import POOL_FROM, poll_feeds
from worker.parsers import ParserPool

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
HOSTILE = ["/bomb", "/xxe", "/html", "/huge", "/gzipbomb", "/drip", "/loop", "/gone", "/busy",
           "/broken", "/nope", "/badenc", "/crash"]


def config(**env):
    return load_config(None, env={"COALITION_FEEDS_ALLOW_PRIVATE": "true",
                                  "COALITION_FEEDS_TIMEOUT_SECONDS": "4", **env})


def follow(engine, urls):
    with unit_of_work(engine) as session:
        for url in urls:
            session.add(Feed(url=url, origin="cli"))


def feeds(engine) -> dict[str, Feed]:
    with Session(engine) as session:
        return {f.url: f for f in session.exec(select(Feed))}


def entry_count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count(FeedEntry.id))).one()


@pytest.fixture(scope="module")
def server():
    with FeedServer() as s:
        yield s


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the feed corpus is not at {CORPUS} "
                    "(shared/ beside the repository)")
def test_every_corpus_feed_is_ingested_and_unchanged_repolls_add_nothing(engine, server):
    names = sorted(p.name for p in CORPUS.glob("*.xml"))
    follow(engine, [f"{server.url}/corpus/{n}" for n in names])
    first = poll_feeds(engine=engine, config=config(), now=NOW)
    assert first.polled == len(names) == 57
    stored = entry_count(engine)
    assert stored > 1000
    by_url = feeds(engine)
    assert all(f.status in ("ok", "warning") for f in by_url.values()), \
        {u: f.last_error for u, f in by_url.items() if f.status not in ("ok", "warning")}
    for _ in range(2):
        again = poll_feeds(engine=engine, config=config(), now=NOW, everything=True)
        assert again.added == 0 and again.updated == 0
        assert again.unchanged == len(names)  # 304: no parsing
    assert entry_count(engine) == stored


@pytest.mark.parametrize("parse_in", ["threads", "processes"])
def test_hostile_feeds_end_in_readable_errors_and_the_rest_of_the_poll_completes(engine,
                                                                                  server,
                                                                                  parse_in):
    urls = [server.url + p for p in HOSTILE] + [f"{server.url}/gen/1"]
    follow(engine, urls)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with ParserPool() as pool:
        report = poll_feeds(engine=engine, config=config(), now=NOW,
                            parsers=pool if parse_in == "processes" else None)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert pool.peak_rss_mb < 300
    assert report.polled == len(urls)
    by_url = feeds(engine)
    assert by_url[f"{server.url}/gen/1"].status == "ok"
    errors = {p: by_url[server.url + p].last_error for p in HOSTILE}
    assert "XML entities" in errors["/bomb"] and "XML entities" in errors["/xxe"]
    assert "not a feed" in errors["/html"]
    assert "larger than 10,000,000 bytes" in errors["/huge"]
    assert "larger than 10,000,000 bytes" in errors["/gzipbomb"]
    assert "gave up" in errors["/drip"] or "timed out" in errors["/drip"]
    assert "redirects" in errors["/loop"]
    assert by_url[server.url + "/gone"].status == "retired"
    busy = by_url[server.url + "/busy"]
    assert "429" in busy.last_error and busy.next_poll_at >= NOW + dt.timedelta(hours=2)
    assert "HTTP 500" in errors["/broken"] and "HTTP 404" in errors["/nope"]
    assert by_url[server.url + "/badenc"].status in ("ok", "warning")  # a safe parse
    assert "feedparser failed on this document: TypeError" in errors["/crash"]
    with Session(engine) as session:
        texts = " ".join(e.title + e.summary_html for e in session.exec(select(FeedEntry)))
    assert "root:" not in texts and "lollol" not in texts
    assert grown_mb < 150


def test_private_addresses_are_refused_unless_allowed(engine, server):
    follow(engine, [f"{server.url}/gen/2"])
    poll_feeds(engine=engine, config=config(COALITION_FEEDS_ALLOW_PRIVATE="false"), now=NOW)
    feed = feeds(engine)[f"{server.url}/gen/2"]
    assert "resolves to 127.0.0.1, a loopback address: refused" in feed.last_error
    assert entry_count(engine) == 0


def test_entries_are_sanitized_matched_to_work_streams_and_backlog_kept_out(example_engine,
                                                                           server):
    follow(example_engine, [f"{server.url}/gen/3", f"{server.url}/moved"])
    poll_feeds(engine=example_engine, config=config(), now=NOW)
    with Session(example_engine) as session:
        entries = session.exec(select(FeedEntry)).all()
    assert len(entries) == 10
    summary = entries[0].summary_html
    assert "<script" not in summary and "<img" not in summary and "<p>" in summary
    assert all("communication" in e.work_streams for e in entries)  # "circular economy"
    assert all(e.backlog for e in entries)  # 2017 items on a 2026 first poll
    moved = feeds(example_engine)
    assert f"{server.url}/gen/7" in moved and f"{server.url}/moved" not in moved


def test_failures_back_off_and_flag_the_feed_after_repeated_errors(engine, server):
    follow(engine, [f"{server.url}/broken"])
    when, statuses = NOW, []
    for _ in range(5):
        poll_feeds(engine=engine, config=config(), now=when, everything=True)
        statuses.append(feeds(engine)[f"{server.url}/broken"].status)
        when += dt.timedelta(hours=1)
    assert statuses == ["error"] * 4 + ["failing"]
    feed = feeds(engine)[f"{server.url}/broken"]
    assert feed.error_count == 5 and "HTTP 500" in feed.last_error
    assert feed.next_poll_at - feed.last_polled_at == dt.timedelta(days=1)  # capped


def test_every_feed_is_polled_in_batches_and_failures_are_recorded_together(engine, server):
    """`--all` claims `batch` feeds at a time until none is left (it used to stop at the
    first thousand); the failures of a poll are written in one transaction, not one each."""
    from sqlalchemy import event

    good = [f"{server.url}/gen/{n}" for n in range(300, 307)]
    bad = [f"{server.url}/nope/{n}" for n in range(12)]
    follow(engine, good + bad)
    commits = []

    def committed(connection):
        commits.append(connection)

    event.listen(engine, "commit", committed)
    try:
        report = poll_feeds(engine=engine, config=config(), now=NOW)
    finally:
        event.remove(engine, "commit", committed)
    assert (report.polled, report.failed, report.added) == (19, 12, 35)
    assert len(commits) <= 5, len(commits)  # sources, claim, stored feeds, failures
    again = poll_feeds(engine=engine, config=config(), now=NOW, everything=True, batch=3)
    assert (again.polled, again.unchanged, again.failed) == (19, 7, 12)
    assert all(f.last_polled_at == NOW and f.status == ("ok" if url in good else "error")
               for url, f in feeds(engine).items())


def test_pollers_sharing_a_store_claim_disjoint_feeds(engine, server):
    from store.feeds import claim_feeds as claim_due_feeds

    follow(engine, [f"{server.url}/gen/{n}" for n in range(10, 20)])
    first = claim_due_feeds(engine, NOW, limit=6)
    second = claim_due_feeds(engine, NOW)
    assert len(first) == 6 and len(second) == 4
    assert not {f[0] for f in first} & {f[0] for f in second}
    assert claim_due_feeds(engine, NOW) == []  # all claimed: not due for a third poller
    assert len(claim_due_feeds(engine, NOW + dt.timedelta(minutes=11))) == 10  # claims lapse


def test_a_feed_that_stalls_or_kills_its_parser_costs_that_feed_only(engine, server):
    urls = [f"{server.url}/big", f"{server.url}/crash"] + \
        [f"{server.url}/gen/{n}" for n in range(30, 34)]
    follow(engine, urls)
    with ParserPool(size=2, timeout=0.5) as pool:
        report = poll_feeds(engine=engine, config=config(), now=NOW, parsers=pool)
    assert report.polled == 6 and report.failed == 2 and report.added == 4 * 5
    by_url = feeds(engine)
    assert "the parser took longer than 0.5 s on this feed: stopped" in \
        by_url[f"{server.url}/big"].last_error
    assert "feedparser failed" in by_url[f"{server.url}/crash"].last_error
    assert all(by_url[u].status == "ok" for u in urls[2:])


def test_small_polls_parse_in_the_poller_and_big_ones_in_parser_processes(engine, server):
    def children_cpu() -> float:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return used.ru_utime + used.ru_stime

    follow(engine, [f"{server.url}/gen/{n}" for n in range(100, 100 + POOL_FROM - 1)])
    before = children_cpu()
    assert poll_feeds(engine=engine, config=config(), now=NOW).added == 5 * (POOL_FROM - 1)
    assert children_cpu() == before  # no process was started
    follow(engine, [f"{server.url}/gen/{n}" for n in range(200, 200 + POOL_FROM)])
    assert poll_feeds(engine=engine, config=config(), now=NOW).added == 5 * POOL_FROM
    assert children_cpu() > before  # parser processes ran, and were waited for


def test_a_far_server_gets_concurrent_requests_on_first_polls_and_on_repolls(engine, server):
    """A repoll (every feed has validators) starts with one fetch thread and adds threads while
    fetches wait: a far server still gets several requests at once, 304s included."""
    urls = [f"{server.url}/slow/{n}" for n in range(12)]
    follow(engine, urls)
    server.httpd.most_in_flight = 0
    assert poll_feeds(engine=engine, config=config(), now=NOW).added == 5 * len(urls)
    assert server.httpd.most_in_flight > 4  # all threads started at once
    server.httpd.most_in_flight = 0
    report = poll_feeds(engine=engine, config=config(), now=NOW, everything=True)
    assert report.unchanged == len(urls) and report.failed == 0
    assert server.httpd.most_in_flight > 1  # one thread to start, more as 304s waited
    assert all(feed.etag for feed in feeds(engine).values())


def test_unchanged_feeds_are_recorded_together_and_a_failing_one_is_fine_again(engine, server,
                                                                                caplog):
    urls = [f"{server.url}/gen/{n}" for n in range(40, 45)]
    follow(engine, urls)
    poll_feeds(engine=engine, config=config(), now=NOW)
    etags = {url: feed.etag for url, feed in feeds(engine).items()}
    with unit_of_work(engine) as session:
        feed = session.exec(select(Feed).where(Feed.url == urls[0])).one()
        feed.status, feed.error_count, feed.last_error = "failing", 7, "HTTP 500"
        session.add(feed)
    later = NOW + dt.timedelta(hours=2)
    with caplog.at_level(logging.WARNING, logger="coalition.feeds"):
        report = poll_feeds(engine=engine, config=config(), now=later)
    assert report.unchanged == 5 and report.failed == 0
    assert "one by one" not in caplog.text  # in one statement, not feed by feed
    by_url = feeds(engine)
    assert (by_url[urls[0]].status, by_url[urls[0]].error_count, by_url[urls[0]].last_error) \
        == ("ok", 0, "")
    for url in urls:
        assert by_url[url].etag == etags[url] != ""
        assert by_url[url].last_success_at == by_url[url].last_polled_at == later
        assert by_url[url].next_poll_at == later + dt.timedelta(minutes=60)


def test_a_304_that_names_new_validators_is_recorded_with_them(engine, server):
    urls = [f"{server.url}/new-etag", f"{server.url}/gen/46"]
    follow(engine, urls)
    poll_feeds(engine=engine, config=config(), now=NOW)
    assert feeds(engine)[urls[0]].etag == '"v1"'  # the 200 (a fresh store sends no validator)
    later = NOW + dt.timedelta(hours=2)
    assert poll_feeds(engine=engine, config=config(), now=later).unchanged == 2
    by_url = feeds(engine)
    sent = f'"v{server.httpd.hits["/new-etag"]}"'  # what the last 304 named
    assert sent != '"v1"' and by_url[urls[0]].etag == sent
    assert by_url[urls[1]].etag.startswith('"')
    assert all(f.next_poll_at == later + dt.timedelta(minutes=60) and f.status == "ok"
               for f in by_url.values())


def test_a_feed_moved_onto_a_followed_address_is_retired_as_a_duplicate(engine, server):
    """/moved now redirects for good to /gen/7, which is followed already: the duplicate is
    retired (addresses are unique), not failed at every poll, and /gen/7 goes on."""
    urls = [f"{server.url}/moved", f"{server.url}/gen/7", f"{server.url}/gen/8"]
    follow(engine, urls)
    report = poll_feeds(engine=engine, config=config(), now=NOW)
    assert report.failed == 0 and report.added == 10
    by_url = feeds(engine)
    assert by_url[urls[0]].status == "retired" and by_url[urls[0]].retired_at == NOW
    assert f"moved permanently to {urls[1]}, which is already followed" in \
        by_url[urls[0]].last_error
    assert by_url[urls[1]].status == by_url[urls[2]].status == "ok"
    later = NOW + dt.timedelta(hours=2)
    again = poll_feeds(engine=engine, config=config(), now=later)
    assert (again.polled, again.unchanged, again.failed) == (2, 2, 0)


def test_a_feed_that_cannot_be_stored_is_recorded_and_the_others_are_stored(engine, server):
    """The store refuses /gen/9's entries (a trigger stands for any database error): its
    batch is stored again feed by feed, and only it fails."""
    urls = [f"{server.url}/gen/{n}" for n in (9, 10, 11)]
    follow(engine, urls)
    refuse = "https://example.org/9/"
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_entry() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON feedentry FOR EACH ROW "
                f"WHEN (strpos(NEW.link, '{refuse}') = 1) EXECUTE FUNCTION refuse_entry()")
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON feedentry "
                f"WHEN instr(NEW.link, '{refuse}') = 1 BEGIN SELECT RAISE(ABORT, 'refused'); END")
    report = poll_feeds(engine=engine, config=config(), now=NOW)
    assert report.failed == 1 and report.added == 10
    by_url = feeds(engine)
    assert "storing failed" in by_url[urls[0]].last_error
    assert by_url[urls[1]].status == by_url[urls[2]].status == "ok"
