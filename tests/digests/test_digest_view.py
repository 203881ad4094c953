"""The digest you see is the digest that was sent: "view in browser" shows the very message
(same subject, same items) whatever the store and the clock say since; one week for everyone."""

import datetime as dt
import re

import httpx
from sqlmodel import Session, select

from coalition.web import create_app
from digests.delivery import send_period
from digests.operator import resend
from digests.period import parse_period_key
from digests.transport import make_transport
from store.engine import unit_of_work
from store.models import Deadline, DigestDelivery, Feed, FeedEntry, Person
from tests.conftest import LiveServer, runtime_for
from tests.smtp_server import smtp_config

W41 = "2017-W41"
MONDAY = dt.datetime(2017, 10, 9, 7, 0, tzinfo=dt.UTC)  # 09:00 in Geneva


def send(engine, config, period=W41, now=MONDAY):
    transport = make_transport(config)
    try:
        return send_period(engine=engine, config=config, now=now, transport=transport,
                           period=parse_period_key(period, config.coalition.timezone),
                           backoff=0.01)
    finally:
        transport.close()


def received(smtp, address: str):
    [message] = [m for m in smtp.messages if address in str(m["To"])]
    return message


def html_of(message) -> str:
    """The HTML part as sent (its line ends are CRLF on the wire)."""
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def view_link(message) -> str:
    text = text_of(message)
    return re.search(r"View in browser: (\S+)", text).group(1)


def test_view_in_browser_shows_the_message_that_was_sent_whatever_changed_since(
        example_engine, smtp):
    config = smtp_config(smtp.port)
    send(example_engine, config)
    readers = ["sophie.ravier@example.org", "garam.bel@example.org",
               "tatiana.terekhova@example.org"]
    sent = {a: received(smtp, a) for a in readers}
    # The world moves on: a deadline is done, news arrives, the clock is weeks later.
    with unit_of_work(example_engine) as session:
        for d in session.exec(select(Deadline).where(Deadline.status == "open")):
            d.status = "done"
            session.add(d)
        feed = Feed(url="https://news.example.org/feed", title="News")
        session.add(feed)
        session.flush()
        session.add(FeedEntry(feed_id=feed.id, identity="x" * 64, title="Later news",
                              link="x", published_at=MONDAY + dt.timedelta(days=9),
                              first_seen_at=MONDAY + dt.timedelta(days=9)))
    runtime = runtime_for(example_engine, config)
    runtime._now = "2017-12-20"
    with LiveServer(create_app(runtime)) as server:
        for message in sent.values():
            link = view_link(message).replace("https://desk.example.org", server.url)
            page = httpx.get(link)
            assert page.status_code == 200
            assert page.text == html_of(message)
            assert f"<title>{message['Subject']}</title>" in page.text
        assert "Later news" not in page.text and "week 41" in page.text


def test_a_digest_not_sent_yet_is_not_shown(example_engine, smtp):
    config = smtp_config(smtp.port)
    smtp.refuse = {"sophie.ravier@example.org"}
    send(example_engine, config)
    from digests.tokens import sign

    with Session(example_engine) as session:
        person = session.exec(select(Person).where(
            Person.email == "sophie.ravier@example.org")).one()
        delivery = session.exec(select(DigestDelivery).where(
            DigestDelivery.person_id == person.id)).one()
    token = sign(person.unsubscribe_token, config.secrets.unsubscribe_secret)
    with LiveServer(create_app(runtime_for(example_engine, config))) as server:
        page = httpx.get(f"{server.url}/digest/{delivery.id}", params={"token": token})
    assert page.status_code == 404 and "could not be delivered" in page.text


def test_resend_sends_the_kept_message_again_not_a_new_one(example_engine, smtp):
    config = smtp_config(smtp.port, COALITION_EMAIL_SMTP_TIMEOUT="0.5")
    address = "tatiana.terekhova@example.org"
    smtp.fault(address, "keep-then-drop")
    send(example_engine, config)
    first = received(smtp, address)
    with unit_of_work(example_engine) as session:  # later, the item is no longer open
        for d in session.exec(select(Deadline).where(Deadline.status == "open")):
            d.status = "done"
            session.add(d)
        delivery = session.exec(select(DigestDelivery).join(
            Person, DigestDelivery.person_id == Person.id).where(Person.email == address)).one()
        assert delivery.status == "ambiguous"
    transport = make_transport(config)
    try:
        outcome = resend(engine=example_engine, config=config, delivery_id=delivery.id,
                         period=parse_period_key(W41, "Europe/Zurich"), transport=transport,
                         now=MONDAY + dt.timedelta(days=2), backoff=0.01)
    finally:
        transport.close()
    assert outcome == "sent" and smtp.count_for(address) == 2  # asked for, explicitly
    second = [m for m in smtp.messages if address in str(m["To"])][1]
    assert second["Message-ID"] == first["Message-ID"] and second["Subject"] == first["Subject"]
    assert html_of(second) == html_of(first)


def test_one_week_for_every_reader_times_in_their_own_timezone(example_engine, smtp):
    """Monday 00:30 in Geneva is still Sunday of week 40 in New York: the 2017-W41 digest
    says week 41 for every reader."""
    monday_early = dt.datetime(2017, 10, 8, 22, 30, tzinfo=dt.UTC)
    send(example_engine, smtp_config(smtp.port), now=monday_early)
    for message in smtp.messages:
        assert message["Subject"].startswith("E-waste Coalition — week 41: "), message["To"]
        assert text_of(message).startswith("E-waste Coalition — week 41\n")
    ny = received(smtp, "sophie.ravier@example.org")
    assert "Times are in America/New_York." in text_of(ny)
    # and the week before, the 5th IMG meeting (Thursday 15:30 in Geneva) at 09:30 for her
    send(example_engine, smtp_config(smtp.port), period="2017-W40",
         now=dt.datetime(2017, 10, 1, 22, 30, tzinfo=dt.UTC))
    [w40] = [m for m in smtp.messages if "sophie.ravier" in str(m["To"])
             and "-2017-W40-" in m["Message-ID"]]
    assert w40["Subject"].startswith("E-waste Coalition — week 40: ")
    assert "Thursday 05 October 2017, 09:30 (America/New_York)" in text_of(w40)


def test_resend_takes_over_only_an_ambiguous_or_failed_delivery(example_engine, smtp):
    """Checked in the statement that takes it over: a delivery sent meanwhile (by another
    operator's resend, say) is not sent again."""
    import pytest

    from digests.operator import NotResendable

    config = smtp_config(smtp.port)
    send(example_engine, config)
    with Session(example_engine) as session:
        delivery = session.exec(select(DigestDelivery)).first()
    transport = make_transport(config)
    try:
        with pytest.raises(NotResendable):
            resend(engine=example_engine, config=config, delivery_id=delivery.id,
                   period=parse_period_key(W41, "Europe/Zurich"), transport=transport,
                   now=MONDAY, backoff=0.01)
    finally:
        transport.close()
    assert len(smtp.messages) == 13
