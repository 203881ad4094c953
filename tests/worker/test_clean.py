"""The text rules on their own: plain titles, sanitized HTML with absolute links, cutting HTML
without breaking it."""

import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.clean import (
    ELLIPSIS,
    absolute_links,
    plain_text,
    safe_link,
    sanitize,
    truncate_html,
)


def well_formed(html: str) -> bool:
    """Whether parsing `html` as a browser does and writing it out again changes nothing:
    no tag, attribute or entity cut open, every element closed."""
    return nh3.clean(html, tags={"a", "p", "br", "b", "ul", "li", "blockquote"},
                     attributes={"a": {"href", "title"}}, link_rel="noopener nofollow") == html


@pytest.mark.parametrize(("raw", "plain"), [
    ("<b>&amp;</b>", "&"),
    ("AT&amp;amp;T", "AT&amp;T"),  # decoded once: the second &amp; was the publisher's text
    ("<script>alert(1)</script>Budget", "Budget"),
    ("<style>b{}</style><iframe src=x>frame text</iframe>Shown", "Shown"),
    ('<a href="x" onclick="steal()">link</a> <img src=x onerror=alert(1)>', "link"),
    ('<meta http-equiv="Refresh" content="0;url=https://evil.example/">Moved', "Moved"),
    ("One<br>two<p>three</p>four", "One two three four"),
    ("  many\n\t spaces&nbsp;and\u00a0 more  ", "many spaces and more"),
    ("a < b > c", "a < b > c"),
    ("Caf\u00e9 \x07bell\x00", "Caf\u00e9 bell"),
])
def test_titles_become_plain_text(raw, plain):
    assert plain_text(raw) == plain


def test_text_declared_plain_keeps_what_looks_like_markup():
    assert plain_text("Why <video>   &amp; not", markup=False) == "Why <video> &amp; not"


def test_sanitized_html_keeps_links_and_formatting_and_resolves_relative_links():
    html = ('<p onclick="x()">See <a href="/a?x=1&amp;y=2">a</a> <a href="b.html" title="t">b'
            '</a> <a href="mailto:s@example.org">mail</a> <a href="javascript:alert(1)">j</a>'
            '<script>x()</script><img src="https://t.example/p.gif"></p>')
    assert sanitize(html, "text/html", "https://example.org/news/feed.xml") == (
        '<p>See <a href="https://example.org/a?x=1&amp;y=2" rel="noopener nofollow">a</a> '
        '<a href="https://example.org/news/b.html" title="t" rel="noopener nofollow">b</a> '
        '<a href="mailto:s@example.org" rel="noopener nofollow">mail</a> '
        '<a rel="noopener nofollow">j</a></p>')
    assert sanitize("1 < 2 & <b>", "text/plain") == "1 &lt; 2 &amp; &lt;b&gt;"


def test_links_that_would_not_resolve_to_the_web_are_left_as_they_were():
    cleaned = '<a href="rel.html" rel="noopener nofollow">x</a>'
    assert absolute_links(cleaned, "file:///srv/feeds/feed.xml") == cleaned
    assert absolute_links(cleaned, "https://example.org/") == \
        '<a href="https://example.org/rel.html" rel="noopener nofollow">x</a>'


@pytest.mark.parametrize(("link", "stored"), [
    ("https://example.org/a", "https://example.org/a"), ("HTTP://example.org/", "HTTP://example.org/"),
    ("/relative", "/relative"), ("javascript:alert(1)", ""), (" data:text/html,x", ""),
    ("mailto:x@example.org", ""), ("file:///etc/passwd", ""),
])
def test_an_entry_link_is_web_or_relative(link, stored):
    assert safe_link(link) == stored


def test_a_cut_never_lands_inside_a_tag_an_attribute_or_an_entity():
    cleaned = ('<p>Intro text <a href="https://example.org/a-long-address" '
               'rel="noopener nofollow">the link</a> then &amp; more words here</p>')
    for limit in range(len(ELLIPSIS) + 1, len(cleaned)):
        cut = truncate_html(cleaned, limit)
        assert len(cut) <= limit
        assert well_formed(cut)
        assert "&am" not in cut.replace("&amp;", "")
    assert truncate_html(cleaned, len(cleaned)) == cleaned
    assert truncate_html(cleaned, 40) == "<p>Intro text…</p>"  # the anchor does not fit
    anchor = '<a href="https://example.org/a-long-address" rel="noopener nofollow">'
    assert truncate_html(cleaned, 14 + len(anchor) + 4 + 1 + 8) == \
        f"<p>Intro text {anchor}the…</a></p>"  # cut in the anchor's text, at a word
    assert truncate_html(cleaned, 1) == ""


_FRAGMENTS = st.lists(st.one_of(
    st.text(alphabet=" abc&<>\"'é", min_size=1, max_size=12),
    st.sampled_from(["<p>", "</p>", "<b>", "</b>", "<br>", "<ul><li>", "</li></ul>",
                     '<a href="https://example.org/x?a=1&b=2" title="a > b">', "</a>",
                     "<script>x()</script>", "&amp;", "&nbsp;", "<blockquote>"])),
    max_size=40)


@settings(max_examples=300, deadline=None)
@given(_FRAGMENTS, st.integers(min_value=0, max_value=400))
def test_any_sanitized_html_cut_anywhere_stays_well_formed_and_within_its_limit(parts, limit):
    cleaned = sanitize("".join(parts))
    cut = truncate_html(cleaned, limit)
    assert len(cut) <= max(limit, 0) or cut == cleaned
    assert well_formed(cut)
