"""One rendering per distinct digest content, each reader's own values filled in: byte for byte
what rendering the digest for that reader alone gives."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from coalition.config import load_config
from digests.compose import compose, links, render, subject
from digests.content import Shared, build_digest
from digests.message import body
from digests.period import period_at
from digests.personal import RenderCache
from digests.transport import SMTP_POLICY
from store.engine import make_engine, unit_of_work
from store.migrate import upgrade
from store.models import Person
from store.sync import sync_file
from tests.conftest import EXAMPLE

NOW = dt.datetime(2017, 10, 9, 7, 0, tzinfo=dt.UTC)
NAMES = ["Recipient 1", "Zoë <Ö&Brien>", 'Dr "Max" O\'Neil & <b>Sons</b>', "漢字 名前",
         "a\u00a0b &amp; c", "Smith, John", "  spaced   out ", "", "Ünïcødé 😀 <&>"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The example's shared data and people; a base URL with an '&' to escape in links."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.db'}")
    upgrade(engine)
    with unit_of_work(engine) as session:
        sync_file(session=session, path=EXAMPLE, now=NOW)
    config = load_config(None, env={"COALITION_EMAIL_BASE_URL": "https://desk.example.org/a&b",
                                    "COALITION_SECRET_KEY": "k" * 32})
    with Session(engine) as session:
        shared = Shared.load(session, now=NOW, since=NOW - dt.timedelta(days=7),
                             coalition=config.coalition.name)
        people = list(session.exec(select(Person).order_by(Person.id)))
    engine.dispose()
    return config, shared, people


def reader(like: Person, name: str, email: str, n: int) -> Person:
    """Someone in the same organisation, role and timezone as `like`: the same content."""
    return Person(id=like.id, email=email, name=name, title=like.title,
                  organisation_id=like.organisation_id, role=like.role, timezone=like.timezone,
                  unsubscribe_token=f"token-{n}-{like.unsubscribe_token}")


def both(config, shared, person, renders):
    content = build_digest(person=person, shared=shared)
    view_url, unsubscribe_url = links(config, person, 1000 + person.id)
    kw = {"subject_line": subject(content, config.coalition.short_name), "view_url": view_url,
          "unsubscribe_url": unsubscribe_url}
    return renders(content, **kw), render(content, **kw)


def test_cached_rendering_is_the_plain_rendering_byte_for_byte_for_every_reader(world):
    config, shared, people = world
    renders = RenderCache(render)
    n = 0
    for like in people:
        for name in NAMES:
            n += 1
            cached, plain = both(config, shared, reader(like, name, f"r{n}@example.org", n),
                                 renders)
            assert cached == plain, (like.email, name)
            assert [type(x) for x in plain] == [str, str]
    assert renders.learned <= len(people)  # each one's readers share one content
    assert (renders.filled, renders.plain) == (n, 0)


def test_the_values_really_are_personal(world):
    config, shared, people = world
    text, html = both(config, shared, reader(people[0], "Zoë <Ö&Brien>", "z@example.org", 1),
                      RenderCache(render))[0]
    assert "Zoë <Ö&Brien>" in text and "Zoë &lt;Ö&amp;Brien&gt;" in html
    assert "z@example.org" in text and "z@example.org" in html
    assert 'href="https://desk.example.org/a&amp;b/unsubscribe?token=' in html


_CACHE = RenderCache(render)  # shared across examples, as across a run's readers


@settings(max_examples=150, deadline=None)
@given(name=st.text(max_size=30), email=st.text(max_size=20), which=st.integers(0, 50))
def test_any_name_and_address_come_out_as_in_the_plain_rendering(world, name, email, which):
    config, shared, people = world
    person = reader(people[which % len(people)], name, email, which)
    cached, plain = both(config, shared, person, _CACHE)
    assert cached == plain


def test_messages_from_the_cache_are_the_plain_messages_byte_for_byte(world):
    """Bodies from the cache carry their quoted-printable form, built from lines encoded
    once: the message on the wire is the one composed without the cache."""
    config, shared, people = world
    period = period_at(NOW, config.coalition.timezone)
    renders = RenderCache(render)
    for n, like in enumerate(people):
        for name in NAMES[:4]:
            person = reader(like, name, f"m{n}@example.org", n)
            kw = {"person": person, "shared": shared, "config": config, "period": period,
                  "now": NOW, "delivery_id": 1000 + n}
            cached = compose(**kw, renders=renders)
            assert cached.as_bytes(policy=SMTP_POLICY) == \
                compose(**kw).as_bytes(policy=SMTP_POLICY)
            assert all(isinstance(p.get_payload(), str) for p in cached.get_payload())
            assert name.translate({ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}) \
                in body(cached, "html")
    assert renders.filled == len(people) * 4 and renders.plain == 0


def test_a_rendering_whose_marks_do_not_come_out_as_plain_values_is_not_cached(world):
    """E.g. a template that changes the name: the check at the first sight of a content sees
    that filling in would differ, and every reader of it gets a plain rendering."""
    config, shared, people = world

    def shouting(content, **kw):
        text, html = render(content, **kw)
        return text.replace(content.person_name, content.person_name.upper()), html

    renders = RenderCache(shouting)
    for n, name in enumerate(["Ada", "Bob"]):
        person = reader(people[0], name, f"{name}@example.org", n)
        content = build_digest(person=person, shared=shared)
        view_url, unsubscribe_url = links(config, person, 7)
        kw = {"subject_line": "s", "view_url": view_url, "unsubscribe_url": unsubscribe_url}
        assert renders(content, **kw) == shouting(content, **kw)
        assert name.upper() in renders(content, **kw)[0]
    assert (renders.learned, renders.filled, renders.plain) == (1, 0, 4)


def test_a_wrong_escaping_would_be_caught_by_the_check(world, monkeypatch):
    """Were the attribute escaping wrong, the probe values would show it: no filling in."""
    import digests.personal

    config, shared, people = world
    monkeypatch.setattr(digests.personal, "_IN_ATTRIBUTE", digests.personal._IN_TEXT)
    renders = RenderCache(render)
    cached, plain = both(config, shared, reader(people[0], "Ada", "ada@example.org", 1), renders)
    assert cached == plain and (renders.filled, renders.plain) == (0, 1)


def test_values_the_html_parser_would_change_are_rendered_plainly(world):
    config, shared, people = world
    renders = RenderCache(render)
    for n, name in enumerate(["Carriage\rReturn", "Nul\x00Byte"]):
        cached, plain = both(config, shared, reader(people[0], name, "c@example.org", n), renders)
        assert cached == plain
    assert (renders.filled, renders.plain) == (0, 2)
