"""OPML import and export through the real `coalition feeds` commands."""

import json

from tests.conftest import EXAMPLE, ROOT, run_cli
from worker.opml import OpmlFeed, read_opml, write_opml

MEMBER_FEEDS = ROOT / "examples" / "member-feeds.opml"

FEED_READER_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>My subscriptions</title></head><body>
  <outline text="E-waste" title="E-waste">
    <outline text="Policy">
      <outline type="rss" text="Basel news" xmlUrl="https://example.org/basel.xml"
               category="/treaties,/chemicals"/>
    </outline>
    <outline type="rss" text="Circular" xmlUrl="https://example.org/circular.atom"/>
  </outline>
  <outline type="rss" title="Loose" xmlUrl="https://example.org/loose.rss"/>
  <outline type="rss" title="Loose again" xmlUrl="https://example.org/loose.rss"/>
</body></opml>"""


def test_a_feed_readers_export_gives_each_feed_once_with_its_folders_as_tags():
    feeds = read_opml(FEED_READER_EXPORT)
    assert [(f.url, f.title, f.tags) for f in feeds] == [
        ("https://example.org/basel.xml", "Basel news",
         ["E-waste", "Policy", "treaties", "chemicals"]),
        ("https://example.org/circular.atom", "Circular", ["E-waste"]),
        ("https://example.org/loose.rss", "Loose", []),
    ]
    assert {f.kind for f in feeds} == {"news"}


def test_written_opml_reads_back_the_same_feeds():
    import datetime as dt

    feeds = [OpmlFeed("https://example.org/a.xml", "A & B <news>", "member", "BRS", ["x", "y"]),
             OpmlFeed("https://example.org/b.xml?x=1&y=2", "", "publication", "", [])]
    data = write_opml(feeds, title="t", now=dt.datetime(2017, 10, 6, tzinfo=dt.UTC))
    back = read_opml(data)
    assert [(f.url, f.title, f.kind, f.organisation, f.tags) for f in back] == [
        ("https://example.org/a.xml", "A & B <news>", "member", "BRS", ["x", "y"]),
        ("https://example.org/b.xml?x=1&y=2", "", "publication", "", [])]


def _listed(env) -> list[dict]:
    result = run_cli("feeds", "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _synced(store_url, tmp_path) -> dict:
    env = {"COALITION_STORE_URL": store_url}
    if not store_url.startswith("sqlite"):
        assert run_cli("db", "upgrade", env=env).returncode == 0
    assert run_cli("sync", str(EXAMPLE), env=env, cwd=tmp_path).returncode == 0
    return env


def test_import_follows_the_member_feeds_once_and_export_round_trips(store_url, tmp_path):
    env = _synced(store_url, tmp_path)
    first = run_cli("feeds", "import-opml", str(MEMBER_FEEDS), env=env)
    assert first.returncode == 0, first.stderr
    assert "4 feeds, 4 newly followed" in first.stdout
    again = run_cli("feeds", "import-opml", str(MEMBER_FEEDS), env=env)
    assert "4 feeds, 0 newly followed" in again.stdout
    listed = {f["url"]: f for f in _listed(env)}
    assert len(listed) == 4
    assert listed["https://www.unep.org/rss.xml"]["status"] == "new"
    assert listed["https://www.unep.org/rss.xml"]["title"] == "UN Environment Programme"

    exported = tmp_path / "export.opml"
    result = run_cli("feeds", "export-opml", "--out", str(exported), env=env)
    assert result.returncode == 0, result.stderr
    feeds = {f.url: f for f in read_opml(exported.read_bytes())}
    assert set(feeds) == set(listed)
    assert feeds["https://www.unep.org/rss.xml"].organisation == "UNEP"
    assert feeds["https://www.unep.org/rss.xml"].tags == ["Members"]
    assert feeds["https://www.weforum.org/agenda/feed"].tags == ["Partners"]
    stdout = run_cli("feeds", "export-opml", env=env)
    assert {f.url for f in read_opml(stdout.stdout.encode())} == set(listed)


def test_a_bad_opml_file_is_refused_whole_with_a_clear_message(store_url, tmp_path):
    env = _synced(store_url, tmp_path)
    bomb = tmp_path / "bomb.opml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">'
                    '<!ENTITY b "&a;&a;&a;">]><opml><body><outline text="&b;" '
                    'xmlUrl="https://example.org/x"/></body></opml>')
    result = run_cli("feeds", "import-opml", str(bomb), env=env)
    assert result.returncode == 2 and "entities" in result.stderr and "Traceback" not in \
        result.stderr
    sneaky = tmp_path / "sneaky.opml"
    sneaky.write_text('<opml version="2.0"><body>'
                      '<outline xmlUrl="https://example.org/fine.xml"/>'
                      '<outline xmlUrl="file:///etc/passwd"/></body></opml>')
    result = run_cli("feeds", "import-opml", str(sneaky), env=env)
    assert result.returncode == 2
    assert "file:///etc/passwd" in result.stderr and "nothing was imported" in result.stderr
    notopml = tmp_path / "page.html"
    notopml.write_text("<html><body>hello</body></html>")
    result = run_cli("feeds", "import-opml", str(notopml), env=env)
    assert result.returncode == 2 and "not an OPML document" in result.stderr
    unknown = tmp_path / "unknown-org.opml"
    unknown.write_text('<opml version="2.0"><body><outline xmlUrl="https://example.org/a" '
                       'coalitionOrganisation="NOPE"/></body></opml>')
    result = run_cli("feeds", "import-opml", str(unknown), env=env)
    assert result.returncode == 2 and "no organisation 'NOPE'" in result.stderr
    assert _listed(env) == []
