"""A subscription is the person's own choice: a re-sync of the data file never brings an
unsubscribed person back, and someone who unsubscribes after the period was prepared (even
while its messages are going out) is not mailed."""

import datetime as dt

import httpx
from sqlalchemy import update
from sqlmodel import Session, select

from coalition.config import load_config
from coalition.web import create_app
from digests.delivery import prepare, send_period
from digests.period import parse_period_key
from digests.tokens import sign
from digests.transport import make_transport
from store.engine import unit_of_work
from store.models import DigestDelivery, Person
from store.sync import sync_file
from tests.conftest import EXAMPLE, NOW, LiveServer, runtime_for
from tests.smtp_server import smtp_config

W41 = parse_period_key("2017-W41", "Europe/Zurich")
MONDAY = dt.datetime(2017, 10, 9, 7, 0, tzinfo=dt.UTC)
NELSON = "nelson.manda@example.org"
KEY = "k" * 32


def person(engine, email: str = NELSON) -> Person:
    with Session(engine) as session:
        return session.exec(select(Person).where(Person.email == email)).one()


def send(engine, config, **kw):
    transport = make_transport(config)
    try:
        return send_period(engine=engine, config=config, now=MONDAY, period=W41,
                           transport=transport, backoff=0.01, **kw)
    finally:
        transport.close()


def sync(engine, path, days: int) -> str:
    with unit_of_work(engine) as session:
        return sync_file(session=session, path=path, now=NOW + dt.timedelta(days=days)
                         ).summary()


def test_a_resync_never_resubscribes_someone_who_unsubscribed(example_engine, tmp_path, smtp):
    config = load_config(None, env={"COALITION_SECRET_KEY": KEY})
    with LiveServer(create_app(runtime_for(example_engine, config))) as server:
        done = httpx.post(f"{server.url}/unsubscribe",
                          params={"token": sign(person(example_engine).unsubscribe_token,
                                                KEY)},
                          data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and not person(example_engine).digest_subscribed

    assert sync(example_engine, EXAMPLE, 1) == "no changes"
    assert not person(example_engine).digest_subscribed
    text = EXAMPLE.read_text()
    block = text[text.index(f'email = "{NELSON}"'):]
    block = block[:block.index("[[people]]")]
    renamed = tmp_path / "renamed.toml"  # renamed, and `digest = true` written out
    renamed.write_text(text.replace(block, block.replace(
        'name = "Nelson Manda"', 'name = "Nelson K. Manda"\ndigest = true')))
    assert "updated 1 people" in sync(example_engine, renamed, 2)
    assert (person(example_engine).name, person(example_engine).digest_subscribed) == \
        ("Nelson K. Manda", False)
    removed = tmp_path / "removed.toml"  # gone from the file (retired), then back
    removed.write_text(text.replace("[[people]]\n" + block, "")
                       .replace(f'  "{NELSON}",\n', ""))
    assert "1 people" in sync(example_engine, removed, 3).split("retired")[1]
    assert "updated" in sync(example_engine, EXAMPLE, 4)
    back = person(example_engine)
    assert back.retired_at is None and not back.digest_subscribed

    report = send(example_engine, smtp_config(smtp.port))
    assert smtp.count_for(NELSON) == 0 and report.this_run == {"sent": 12}


def test_unsubscribing_after_the_period_was_prepared_is_honoured(example_engine, smtp):
    with Session(example_engine) as session:
        prepare(session=session, period=W41, now=MONDAY)
        session.commit()
    with example_engine.begin() as conn:
        conn.execute(update(Person).where(Person.email == NELSON)
                     .values(digest_subscribed=False))
    report = send(example_engine, smtp_config(smtp.port))
    assert smtp.count_for(NELSON) == 0 and report.this_run == {"sent": 12, "skipped": 1}


def test_unsubscribing_while_the_messages_go_out_is_honoured(example_engine, smtp):
    """The batch's people were read when it was claimed; NELSON (later in the batch)
    unsubscribes while the first message is with the server. The 'sending' mark checks the
    subscription in the same statement: his message never starts."""
    seen = []

    def unsubscribe_on_first(envelope):
        if not seen:
            with example_engine.begin() as conn:
                conn.execute(update(Person).where(Person.email == NELSON)
                             .values(digest_subscribed=False))
        seen.append(envelope.rcpt_tos)

    smtp.on_data = unsubscribe_on_first
    report = send(example_engine, smtp_config(smtp.port))
    assert smtp.count_for(NELSON) == 0
    assert report.this_run == {"sent": 12, "skipped": 1}
    with Session(example_engine) as session:
        skipped = session.exec(select(DigestDelivery).where(
            DigestDelivery.status == "skipped")).one()
    assert skipped.person_id == person(example_engine).id
    assert skipped.error == "unsubscribed before sending"
