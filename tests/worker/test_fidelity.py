"""Feeds true to their source: feedparser-style fixtures (tests/worker/fixtures/) served by the
local feed server and polled for real: plain titles, absolute links, summary and content both
kept, long summaries cut without breaking their markup, entries that keep their identity when
their GUIDs rotate."""

import datetime as dt

import nh3
import pytest
from sqlmodel import Session, func, select

from coalition.config import load_config
from store.engine import unit_of_work
from store.models import Feed, FeedEntry, MemberUpdate, Organisation
from tests.worker.feed_server import FeedServer
from worker.ingest import poll_feeds
from worker.parse import SUMMARY_CHARS, parse_feed

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
CONFIG = load_config(None, env={"COALITION_FEEDS_ALLOW_PRIVATE": "true"})


@pytest.fixture(scope="module")
def server():
    with FeedServer() as s:
        yield s


def follow(engine, url: str, **values) -> None:
    with unit_of_work(engine) as session:
        session.add(Feed(url=url, origin="cli", **values))


def entries(engine, url: str) -> dict[str, FeedEntry]:
    with Session(engine) as session:
        return {e.title: e for e in session.exec(
            select(FeedEntry).join(Feed, Feed.id == FeedEntry.feed_id).where(Feed.url == url))}


def test_links_resolve_against_the_address_the_feed_was_found_at(engine, server):
    """No xml:base: relative links (the entry's and those inside its summary) resolve
    against the document's final address, after the redirect, not the address followed."""
    url = f"{server.url}/redirect?to=/site/blog/rss_relative.xml"
    follow(engine, url)
    assert poll_feeds(engine=engine, config=CONFIG, now=NOW).added == 2
    stored = entries(engine, url)
    base = f"{server.url}/site/blog/"
    assert stored["First"].link == base + "post-1.html"
    assert stored["Second"].link == base + "perma/2"  # a permalink GUID, no <link>
    summary = stored["First"].summary_html
    for href in (f"{server.url}/about", f"{server.url}/site/up.html",
                 base + "rss_relative.xml#top", "https://other.example/x?a=1&amp;b=2"):
        assert f'href="{href}"' in summary
    assert "javascript" not in summary and summary.count("href=") == 4


def test_xml_base_decides_over_the_document_address(engine, server):
    url = f"{server.url}/fixtures/atom_xml_base.xml"
    follow(engine, url)
    poll_feeds(engine=engine, config=CONFIG, now=NOW)
    one, two = entries(engine, url)["One"], entries(engine, url)["Two"]
    assert one.link == "http://base.example/news/2024/one.html"  # entry base relative to feed's
    assert one.summary_html == ('<a href="http://base.example/news/2024/s.html" '
                                'rel="noopener nofollow">the snippet</a>')
    assert one.content_html == ('<p>The <a href="http://base.example/content/c.html" '
                                'rel="noopener nofollow">full</a> text.</p>')
    assert two.link == "http://base.example/two"
    assert 'href="http://base.example/news/x"' in two.content_html  # xhtml content
    assert two.summary_html == two.content_html  # no summary: the content is the snippet


def test_content_location_gives_the_base_and_summary_and_content_are_both_kept(engine, server):
    url = f"{server.url}/fixtures/rss_content_location.xml?content-location=/mirror/feeds/x.xml"
    follow(engine, url)
    poll_feeds(engine=engine, config=CONFIG, now=NOW)
    item = entries(engine, url)["Mirrored item"]
    assert item.link == f"{server.url}/mirror/feeds/item.html"
    assert item.summary_html == (f'<a href="{server.url}/mirror/feeds/more.html" '
                                 'rel="noopener nofollow">more</a>')
    assert item.content_html == (f'<p>Full text with <a href="{server.url}/mirror/full.html" '
                                 'rel="noopener nofollow">a link</a> and no script.</p>')


def test_titles_are_plain_text_for_entries_and_feeds(engine, server):
    rss, atom = f"{server.url}/fixtures/html_titles.xml", f"{server.url}/fixtures/atom_titles.xml"
    follow(engine, rss)
    follow(engine, atom)
    poll_feeds(engine=engine, config=CONFIG, now=NOW)
    assert sorted(entries(engine, rss)) == sorted([
        "Bold & brave", "Budget approved", "Report out", "Photo essay", "Meeting moved",
        "Fish & Chips — a menu", "AT&T <3 linked", "Line one line two"])
    assert sorted(entries(engine, atom)) == sorted([
        "Why <video> & <audio> matter",  # Atom type="text": what looks like markup is text
        "x & y", "An xhtml title"])
    with Session(engine) as session:
        titles = {f.url: f.title for f in session.exec(select(Feed))}
    assert titles[rss] == "Coalition news" and titles[atom] == "Typed titles"


def test_a_long_summary_is_cut_between_tags_never_inside_an_attribute(engine, server):
    """The old cut at 20,000 characters after sanitizing landed inside `<a href="...`, and
    that anchor swallowed the rest of the digest's HTML."""
    lead = "word " * ((SUMMARY_CHARS - 40) // 5)
    anchor = '<a href="https://example.org/' + "x" * 200 + '">the link</a>'
    body = f"<p>{lead}{anchor} and more text after it.</p>" + "<p>tail</p>" * 50
    cleaned = f"<p>{lead}" + anchor.replace('">', '" rel="noopener nofollow">')
    assert len(cleaned) > SUMMARY_CHARS > len(f"<p>{lead}") + 20  # the cut is in the href
    feed = (f'<rss version="2.0"><channel><title>Long</title><item><title>Long one</title>'
            f"<guid>long-1</guid><description><![CDATA[{body}]]></description></item>"
            f"</channel></rss>").encode()
    summary = parse_feed(feed, {}, "https://example.org/feed").entries[0].summary_html
    assert len(summary) <= SUMMARY_CHARS
    assert summary.endswith("…</p>") and "<a" not in summary  # the anchor did not fit: left out
    assert nh3.clean(summary, tags={"p", "a"}, link_rel=None) == summary  # nothing left open


def test_rotating_guids_add_nothing_and_member_updates_do_not_multiply(example_engine, server):
    """The feed gives every entry a new GUID at each poll: entries with a link of their own
    are known by it, those without (none, or a home page two share) by title and text."""
    url = f"{server.url}/rotating"
    with Session(example_engine) as session:
        brs = session.exec(select(Organisation.id).where(Organisation.acronym == "BRS")).one()
    follow(example_engine, url, kind="member", organisation_id=brs)
    served = server.httpd.hits.get("/rotating", 0)  # the server is shared by the backends
    first = poll_feeds(engine=example_engine, config=CONFIG, now=NOW)
    assert (first.added, first.failed) == (8, 0)
    for hours in (1, 2, 3):
        again = poll_feeds(engine=example_engine, config=CONFIG, everything=True,
                           now=NOW + dt.timedelta(hours=hours))
        assert (again.polled, again.unchanged, again.added, again.updated) == (1, 0, 0, 0)
    assert server.httpd.hits["/rotating"] - served == 4  # four documents, four sets of GUIDs
    with Session(example_engine) as session:
        assert session.exec(select(func.count(FeedEntry.id))).one() == 8
        assert session.exec(select(func.count(MemberUpdate.id)).where(
            MemberUpdate.source == "feed")).one() == 8
        seen = {e.seen_at for e in session.exec(select(FeedEntry))}
    assert seen == {NOW + dt.timedelta(hours=3)}  # each found in the last poll


def test_without_an_identity_window_guids_alone_decide(engine, server):
    url = f"{server.url}/rotating"
    follow(engine, url)
    config = load_config(None, env={"COALITION_FEEDS_ALLOW_PRIVATE": "true",
                                    "COALITION_FEEDS_IDENTITY_WINDOW_DAYS": "0"})
    assert poll_feeds(engine=engine, config=config, now=NOW).added == 8
    assert poll_feeds(engine=engine, config=config, now=NOW, everything=True).added == 8
