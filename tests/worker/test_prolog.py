"""The entity pre-check reads the whole prolog, however long, in whatever encoding hides it;
OPML nested too deep is one clear error."""

import pytest

from tests.conftest import run_cli
from tests.worker.feed_server import BILLION_LAUGHS
from worker.opml import MAX_DEPTH, OpmlError, read_opml
from worker.parse import ParseError, parse_feed
from worker.prolog import declares_entities

DTD = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
ROOT = '<rss version="2.0"><channel><title>&lol2;</title></channel></rss>'


@pytest.mark.parametrize("document", [
    BILLION_LAUGHS,
    # a 70 KB comment first: the old check read only the first 64 KB
    f'<?xml version="1.0"?><!-- {"x" * 70_000} -->{DTD}{ROOT}'.encode(),
    f'<?xml version="1.0"?>{"<?pi " + "y" * 100_000 + "?>"}\n{DTD}{ROOT}'.encode(),
    # what would look like the root element, inside a comment or a literal of the DTD
    f'<!DOCTYPE r [<!-- <r> --><!ENTITY lol "lol">]>{ROOT}'.encode(),
    f'<!DOCTYPE r SYSTEM "x<r>y" [<!ENTITY lol "lol">]>{ROOT}'.encode(),
    f'<!DOCTYPE r [<!NOTATION n SYSTEM "<r>"><!ENTITY lol "lol">]>{ROOT}'.encode(),
    f'<!DOCTYPE r [<!ENTITY % p "x"><!ENTITY lol "lol">]>{ROOT}'.encode(),
    # encodings a byte search does not read
    f'<?xml version="1.0" encoding="utf-16"?>{DTD}{ROOT}'.encode("utf-16"),
    f'<?xml version="1.0" encoding="utf-16le"?>{DTD}{ROOT}'.encode("utf-16-le"),
    f'<?xml version="1.0"?>{DTD}{ROOT}'.encode("utf-32"),
    b'<?xml version="1.0" encoding="utf-7"?>' + DTD.replace("<", "+ADw-").encode() +
    ROOT.encode(),
], ids=["billion-laughs", "after-70KB-comment", "after-100KB-pi", "comment-in-subset",
        "literal-in-doctype", "literal-in-notation", "parameter-entity", "utf-16",
        "utf-16le-no-bom", "utf-32", "utf-7"])
def test_documents_declaring_entities_anywhere_in_their_prolog_are_refused(document):
    assert declares_entities(document)
    with pytest.raises(ParseError, match="declares XML entities"):
        parse_feed(document, {})


def test_the_charset_a_server_names_is_read_too():
    document = f'{DTD}{ROOT}'.encode("utf-16-le")
    assert declares_entities(document, {"content-type": "application/xml; charset=UTF-16LE"})


@pytest.mark.parametrize("document", [
    b'<?xml version="1.0"?><!DOCTYPE rss><rss version="2.0"><channel><title>t</title>'
    b"</channel></rss>",
    # past the root element, "<!ENTITY" is text (here in a CDATA section), not a declaration
    b'<rss version="2.0"><channel><title>t</title><item><title>x</title><description>'
    b'<![CDATA[<!ENTITY in the text>]]></description></item></channel></rss>',
])
def test_a_document_that_declares_nothing_is_read(document):
    assert not declares_entities(document)
    assert parse_feed(document, {}).title == "t"


def nested_opml(depth: int) -> bytes:
    return (b'<opml version="2.0"><body>' + b'<outline text="folder">' * depth +
            b'<outline xmlUrl="https://example.org/feed.xml"/>' + b"</outline>" * depth +
            b"</body></opml>")


def test_opml_nested_up_to_the_limit_is_read_and_beyond_it_refused():
    (feed,) = read_opml(nested_opml(MAX_DEPTH - 1))  # the feed itself is at level 50
    assert feed.url == "https://example.org/feed.xml" and len(feed.tags) == 1
    with pytest.raises(OpmlError, match=f"nested more than {MAX_DEPTH} levels deep"):
        read_opml(nested_opml(MAX_DEPTH))


def test_a_thousand_deep_opml_is_one_error_line_and_exit_2(tmp_path):
    deep = tmp_path / "deep.opml"
    deep.write_bytes(nested_opml(1000))
    result = run_cli("feeds", "import-opml", str(deep),
                     env={"COALITION_STORE_URL": f"sqlite:///{tmp_path}/store.db"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {deep}: outlines nested more than 50 levels")
    assert "Traceback" not in result.stderr and result.stderr.count("\n") <= 2
