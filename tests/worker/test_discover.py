"""Feed discovery on its own: what a page names, in which order, and what is no page."""

import pytest

from tests.worker.feed_server import FeedServer
from worker.discover import FeedLink, discover, header_links, page_links
from worker.fetch import Limits

LIMITS = Limits(allow_private=True, timeout=5)


@pytest.fixture(scope="module")
def server():
    with FeedServer() as s:
        yield s


def test_a_page_names_its_feeds_header_first_then_its_head_in_order(server):
    found = discover(f"{server.url}/page", limits=LIMITS)
    assert found.page and found.feeds == [
        FeedLink(f"{server.url}/feeds/from-header.atom", "From the header"),
        FeedLink(f"{server.url}/news/feed.rss", "Example & news (RSS)"),  # against <base>
        FeedLink(f"{server.url}/comments.atom", "Comments")]  # the same feed again: once


@pytest.mark.parametrize("path", ["/gen/81", "/feed-as-html", "/fixtures/atom_titles.xml"])
def test_a_feed_is_itself_even_when_the_server_calls_it_html(server, path):
    found = discover(server.url + path, limits=LIMITS)
    assert (found.url, found.page, found.feeds) == (server.url + path, False, [])


def test_a_page_without_feed_links_names_none(server):
    found = discover(f"{server.url}/page-without-feeds", limits=LIMITS)
    assert found.page and found.feeds == []


def test_link_headers_and_heads_keep_only_web_feed_links():
    assert header_links('<https://a.example/f.xml>; rel="alternate"; type="application/'
                        'rss+xml"; title="A, with a comma", <javascript:x>; rel=alternate; '
                        'type="application/rss+xml", </p.json>; rel="alternate"; '
                        'type="application/feed+json"', "https://a.example/") == \
        [FeedLink("https://a.example/f.xml", "A, with a comma")]
    page = (b'<html><head><link rel="alternate feed" type="Application/Atom+XML" '
            b'href=" /a.atom "><link rel="alternate" type="application/rss+xml" '
            b'href="data:text/xml,x"></head></html>')
    assert page_links(page, "https://b.example/x/") == [FeedLink("https://b.example/a.atom")]
