"""A digest worth opening: the reader's own items first, old overdue items folded into one
line per owner, a subject that says what is new for this reader, and news in the example."""

import datetime as dt

from sqlmodel import Session, select

from coalition.config import load_config
from digests.compose import compose, subject
from digests.content import Shared, build_digest
from digests.delivery import load_shared
from digests.message import body
from digests.period import parse_period_key
from store.engine import unit_of_work
from store.models import Deadline, DeadlineOwner, Organisation, Person
from tests.conftest import ROOT

W41 = parse_period_key("2017-W41", "Europe/Zurich")
MONDAY = dt.datetime(2017, 10, 9, 7, 0, tzinfo=dt.UTC)


def reader(engine, email: str) -> Person:
    with Session(engine) as session:
        return session.exec(select(Person).where(Person.email == email)).one()


def shared(engine, now=MONDAY) -> Shared:
    with Session(engine) as session:
        return Shared.load(session, now=now, since=now - dt.timedelta(days=7),
                           coalition="E-waste Coalition", week=41)


def test_overdue_items_older_than_the_limit_are_folded_into_one_line_per_owner(
        example_engine):
    sophie = reader(example_engine, "sophie.ravier@example.org")
    content = build_digest(person=sophie, shared=shared(example_engine))
    # EMG's five open items of the 2017 work plan: due March, June, July, August, August
    assert [d.due for d in content.deadlines] == ["June-August 17", "January- August 17"]
    assert [(o.owner, o.count, o.yours) for o in content.older_overdue] == [("EMG", 3, False)]
    config = load_config(None, env={})
    text = body(compose(person=sophie, shared=shared(example_engine), config=config, period=W41,
                        now=MONDAY, delivery_id=1), "plain")
    assert "- and 3 older overdue items of EMG\n" in text
    assert text.count("OVERDUE:") == 2
    everything = build_digest(person=sophie, shared=shared(example_engine),
                              stale_overdue_weeks=52)
    assert len(everything.deadlines) == 5 and everything.older_overdue == []


def test_the_readers_own_items_come_first(example_engine):
    """For BRS: its own and its work streams' items first (overdue first among them), then
    the others'; the subject counts the reader's own apart."""
    with unit_of_work(example_engine) as session:
        org = {o.acronym: o.id for o in session.exec(select(Organisation))}
        for key, owner, days in [("emg-soon", "EMG", 3), ("itu-soon", "ITU", 5),
                                 ("brs-later", "BRS", 20), ("brs-late", "BRS", -10),
                                 ("ilo-late", "ILO", -12)]:
            deadline = Deadline(key=key, title=key, owner_organisation_id=org[owner],
                                due_on=MONDAY.date() + dt.timedelta(days=days))
            session.add(deadline)
            session.flush()
            session.add(DeadlineOwner(deadline_id=deadline.id, organisation_id=org[owner]))
    tatiana = reader(example_engine, "tatiana.terekhova@example.org")  # BRS
    content = build_digest(person=tatiana, shared=shared(example_engine))
    emg_overdue = ["wp2017-f-system-wide-approach", "wp2017-g-presentation"]
    assert [d.key for d in content.deadlines] == [
        "brs-late", "brs-later",  # BRS's own: overdue first
        *emg_overdue, "ilo-late", "emg-soon", "itu-soon"]  # the others', by due date
    assert [d.yours for d in content.deadlines] == [True, True] + [False] * 5
    assert subject(content, "E-waste Coalition") == (
        "E-waste Coalition — week 41: 1 action item for you, 1 deadline for you, "
        "IMG meeting Dec, 2 more deadlines")
    itu = build_digest(person=reader(example_engine, "mario.castro@example.org"),
                       shared=shared(example_engine))
    assert [d.key for d in itu.deadlines][0] == "itu-soon"
    assert subject(itu, "E-waste Coalition") == (
        "E-waste Coalition — week 41: 1 deadline for you, IMG meeting Dec, 2 more deadlines")


def test_nothing_new_says_so_and_a_news_limit_of_0_leaves_news_out(example_engine):
    sophie = reader(example_engine, "sophie.ravier@example.org")
    content = build_digest(person=sophie, shared=shared(example_engine), news_limit=0)
    assert content.news == [] and content.more_news == 0
    assert subject(content, "E-waste Coalition") == "E-waste Coalition — week 41: IMG meeting Dec"


def test_the_example_w41_digest_shows_the_sample_feeds_news(example_engine):
    """As `coalition demo` reads them (on 1 October) and then `digest send --period
    2017-W41 --now 2017-10-09`: the sample feeds are dated in the example's weeks."""
    from worker.following import follow
    from worker.ingest import poll_feeds

    config = load_config(None, env={})
    demo_day = dt.datetime(2017, 9, 30, 22, 0, tzinfo=dt.UTC)
    with unit_of_work(example_engine) as session:
        for path in sorted((ROOT / "examples" / "feeds").glob("*.xml")):
            follow(session=session, url=path.resolve().as_uri(), origin="demo", now=demo_day,
                   interval_minutes=60, allow_files=True)
    assert poll_feeds(engine=example_engine, config=config, now=demo_day).added == 6
    sophie = reader(example_engine, "sophie.ravier@example.org")
    with Session(example_engine) as session:
        week = load_shared(session=session, config=config, period=W41,
                           now=dt.datetime(2017, 10, 8, 22, 0, tzinfo=dt.UTC))
    message = compose(person=sophie, shared=week, config=config, period=W41, now=MONDAY,
                      delivery_id=1)
    assert message.digest_copy.subject == "E-waste Coalition — week 41: IMG meeting Dec, 6 news"
    text = body(message, "plain")
    assert "NEWS AND PUBLICATIONS" in text
    assert "5th IMG E-waste meeting on 5 October: agenda circulated" in text
