"""worker.speedups changes how feedparser gets its results, never the results."""

import copy
import time
import warnings

import feedparser
import pytest
from feedparser.util import FeedParserDict

from tests.worker.feed_server import CORPUS, generated_feed
from worker import speedups


@pytest.fixture
def restore_speedups():
    was = speedups.installed()
    yield
    speedups.install() if was else speedups.uninstall()


def plain(value):
    """A parse result as plain data, types included, exceptions by type and message."""
    if isinstance(value, dict):
        return (type(value).__name__, {k: plain(v) for k, v in dict.items(value)})
    if isinstance(value, list | tuple) and not isinstance(value, time.struct_time):
        return [plain(v) for v in value]
    if isinstance(value, BaseException):
        return (type(value).__name__, str(value))
    if isinstance(value, time.struct_time):
        return tuple(value)
    return value


def parse_both_ways(body: bytes, **options):
    results = []
    for install in (speedups.uninstall, speedups.install):
        install()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parsed = feedparser.parse(body, **options)
            # what callers read through the aliases, with the warnings they raise
            read = [parsed.get(k) for k in ("channel", "items")] + [
                (e.get("guid"), e.get("description"), e.get("date"), e.get("updated_parsed"),
                 e.get("category"), e.get("enclosures"), e.get("license"), "url" in e,
                 "updated" in e, e.get("link"), copy.deepcopy(e))
                for e in parsed.entries]
        results.append((plain(parsed), plain(read), [str(w.message) for w in caught]))
    return results


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the feed corpus is not at {CORPUS} "
                    "(shared/ beside the repository)")
@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.xml")), ids=lambda p: p.name)
def test_every_corpus_feed_parses_to_the_same_result(path, restore_speedups):
    body = path.read_bytes()
    for options in ({}, {"sanitize_html": False, "resolve_relative_uris": False}):
        original, fast = parse_both_ways(body, **options)
        assert fast == original


def test_generated_feed_and_deepcopy_match(restore_speedups):
    original, fast = parse_both_ways(generated_feed(3, items=20))
    assert fast == original
    assert original[0][1]["entries"][0][1]["title"] == "Generated 3 item 0: circular economy news"


def test_deepcopy_keeps_aliases_sharing_and_instance_attributes(restore_speedups):
    speedups.install()
    inner = FeedParserDict(term="ewaste")
    outer = FeedParserDict({"description": "raw key kept by the constructor", "a": inner,
                            "b": inner, "n": [1, {"x": 2}]})
    outer.__dict__["note"] = "attribute"
    copied = copy.deepcopy(outer)
    assert type(copied) is FeedParserDict and copied is not outer
    # set through __setitem__, as the generic deepcopy does: the alias becomes its target key
    assert dict(copied)["summary"] == "raw key kept by the constructor"
    assert copied["a"] is copied["b"] and copied["a"] is not inner
    assert copied["n"] == [1, {"x": 2}] and copied["n"] is not outer["n"]
    assert copied.__dict__ == {"note": "attribute"}
    speedups.uninstall()
    generic = copy.deepcopy(outer)
    assert plain(generic) == plain(copied) and generic.__dict__ == copied.__dict__


def test_install_and_uninstall(restore_speedups):
    speedups.uninstall()
    assert not speedups.installed() and "__deepcopy__" not in FeedParserDict.__dict__
    speedups.install()
    speedups.install()
    assert speedups.installed()
    with pytest.raises(KeyError):
        FeedParserDict()["missing"]
    assert FeedParserDict(summary="s")["description"] == "s"
