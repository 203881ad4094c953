"""Which stored entry a polled entry is: the identity rule on its own."""

import datetime as dt

from store.entries import StoredEntry
from worker.entries import same_entries
from worker.parse import ParsedEntry

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
SINCE = NOW - dt.timedelta(days=30)


def parsed(identity: str, link: str = "", content_hash: str = "") -> ParsedEntry:
    return ParsedEntry(identity=identity, guid=identity, link=link, title="t", summary_html="",
                       content_html="", author="", published_at=None,
                       content_hash=content_hash or f"hash-{identity}")


def stored(id_: int, identity: str, link: str = "", content_hash: str = "",
           seen: dt.datetime = NOW) -> StoredEntry:
    return StoredEntry(id_, 1, identity, link, content_hash or f"hash-{identity}", seen)


def matched(pairs) -> dict[str, int | None]:
    return {p.identity: s.id if s else None for p, s in pairs}


def test_the_same_identity_is_the_same_entry_however_old():
    old = stored(1, "a", seen=NOW - dt.timedelta(days=400))
    assert matched(same_entries([parsed("a")], [old], since=SINCE)) == {"a": 1}


def test_a_new_guid_with_a_known_link_is_that_entry_within_the_window():
    known = [stored(1, "old-guid", "https://example.org/1"),
             stored(2, "older", "https://example.org/2", seen=NOW - dt.timedelta(days=31))]
    polled = [parsed("new-1", "https://example.org/1"), parsed("new-2", "https://example.org/2")]
    assert matched(same_entries(polled, known, since=SINCE)) == {"new-1": 1, "new-2": None}


def test_without_a_link_of_its_own_the_title_and_text_decide():
    known = [stored(1, "g1", "", "same-text"), stored(2, "g2", "https://example.org/", "home-a")]
    polled = [parsed("n1", "", "same-text"), parsed("n2", "https://example.org/", "home-a"),
              parsed("n3", "https://example.org/", "home-b")]  # two share the home page
    assert matched(same_entries(polled, known, since=SINCE)) == {"n1": 1, "n2": 2, "n3": None}


def test_a_stored_entry_is_one_entry_of_the_document_at_most():
    known = [stored(1, "a", "https://example.org/1")]
    polled = [parsed("a", "https://example.org/other"), parsed("b", "https://example.org/1")]
    assert matched(same_entries(polled, known, since=SINCE)) == {"a": 1, "b": None}


def test_the_first_of_repeated_identities_counts_once():
    pairs = same_entries([parsed("a", "https://x/1"), parsed("a", "https://x/2")], [],
                         since=SINCE)
    assert [(p.link, s) for p, s in pairs] == [("https://x/1", None)]


def test_no_window_means_guids_alone():
    known = [stored(1, "old-guid", "https://example.org/1")]
    assert matched(same_entries([parsed("new", "https://example.org/1")], known, since=None)) \
        == {"new": None}
