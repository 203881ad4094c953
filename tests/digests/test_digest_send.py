import datetime as dt
import email
from email import policy

import httpx
import pytest
from sqlmodel import Session, select

from coalition.config import load_config
from digests.delivery import send_period
from digests.period import parse_period_key
from digests.transport import OutboxTransport, make_transport
from store.engine import unit_of_work
from store.models import DigestDelivery, Person
from tests.conftest import LiveServer, runtime_for
from tests.smtp_server import smtp_config

MONDAY = dt.datetime(2017, 10, 8, 22, 0, tzinfo=dt.UTC)  # Monday 9 October 2017, 00:00 Geneva
W41 = "2017-W41"


def subscribed_emails(engine) -> set[str]:
    with Session(engine) as session:
        return {p.email for p in session.exec(select(Person).where(
            Person.digest_subscribed.is_(True), Person.retired_at.is_(None)))}


def send(engine, config, period=W41, now=MONDAY, **kw):
    transport = make_transport(config)
    try:
        return send_period(engine=engine, config=config, now=now, transport=transport,
                           period=parse_period_key(period, config.coalition.timezone),
                           backoff=0.01, **kw)
    finally:
        transport.close()


def test_every_subscribed_member_gets_one_well_formed_digest_and_a_rerun_sends_nothing(
        example_engine, smtp):
    config = smtp_config(smtp.port)
    report = send(example_engine, config)
    members = subscribed_emails(example_engine)
    assert report.this_run["sent"] == len(members) == len(smtp.messages)
    assert sorted(smtp.recipients) == sorted(members)
    message = next(m for m in smtp.messages if "tatiana.terekhova" in m["To"])
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"].startswith("E-waste Coalition — week 41: ")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<https://desk.example.org/unsubscribe?token=" in message["List-Unsubscribe"]
    assert message["Message-ID"].startswith("<digest-2017-W41-")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # the coalition's next meeting, as `ask "next meeting"` and the App Home name it
    assert "6th IMG E-waste meeting" in text and "6th IMG E-waste meeting" in html
    assert "December 2017 (date to be confirmed)" in text
    assert 'style="' in html  # CSS inlined for mail clients
    assert "FOR THE SECRETARIAT" not in text  # a focal point gets no admin section
    secretariat = next(m for m in smtp.messages if "garam.bel" in m["To"])
    assert "Work stream without a lead: Systematic sharing of knowledge (ws2)" in \
        secretariat.get_body(("plain",)).get_content()

    again = send(example_engine, config)
    assert again.this_run == {} and len(smtp.messages) == len(members)
    with Session(example_engine) as session:
        replies = {d.server_reply for d in session.exec(select(DigestDelivery))}
    assert all(r.startswith("250 2.0.0 queued as") for r in replies)


def test_each_message_is_marked_sending_alone_before_the_server_has_it(example_engine, smtp):
    """The 'sending' mark is committed while the server answers MAIL FROM, and the next
    message is composed while it takes the DATA: still one 'sending' at a time, and always
    the one the server is getting."""
    seen = []

    def check(envelope):
        with Session(example_engine) as session:
            sending = session.exec(select(Person.email).join(
                DigestDelivery, DigestDelivery.person_id == Person.id).where(
                DigestDelivery.status == "sending")).all()
        seen.append((envelope.rcpt_tos, sending))

    smtp.on_data = check
    report = send(example_engine, smtp_config(smtp.port))
    assert report.this_run["sent"] == len(seen) == len(subscribed_emails(example_engine))
    assert all(sending == rcpt_tos for rcpt_tos, sending in seen), seen


def test_when_the_sending_mark_fails_nothing_reaches_the_server(smtp):
    """`before_data` (the 'sending' commit) runs while the server answers MAIL FROM; if it
    fails, the transaction is dropped and the connection stays good for the next one."""
    from digests.message import build_message
    from digests.transport import SmtpTransport

    msg = build_message(sender="A <a@example.org>", reply_to="", to=("B", "b@example.org"),
                        subject="Hi", text="t", html="<p>h</p>", period=W41,
                        list_id="L <l.example.org>", unsubscribe_url="https://x/u?t=1",
                        now=MONDAY)
    transport = SmtpTransport(host="127.0.0.1", port=smtp.port, security="none")

    def store_down():
        raise RuntimeError("the store is unavailable")

    waited = []
    try:
        with pytest.raises(RuntimeError):
            transport.send(msg, before_data=store_down, while_waiting=lambda: waited.append(1))
        assert smtp.messages == [] and waited == []
        assert transport.send(msg, while_waiting=lambda: waited.append(1)).startswith("250")
    finally:
        transport.close()
    assert len(smtp.messages) == 1 and waited == [1]


def test_a_name_never_changes_the_address_mail_goes_to(example_engine, smtp):
    with unit_of_work(example_engine) as session:
        for email_, name in [("eve@example.org", "Eve <boss@example.org>"),
                             ("john@example.org", "Smith, John"),
                             ("zoe@example.org", "Zoë \"Z\" <Ö&Brien>")]:
            session.add(Person(email=email_, name=name, unsubscribe_token=f"t-{email_}"))
    report = send(example_engine, smtp_config(smtp.port))
    assert report.this_run["sent"] == len(smtp.messages)
    assert sorted(smtp.recipients) == sorted(subscribed_emails(example_engine))
    eve = next(m for m in smtp.messages if "eve@example.org" in m["To"])
    assert eve["To"].addresses[0].display_name == "Eve <boss@example.org>"
    assert "Your weekly digest, Eve &lt;boss@example.org&gt;." in \
        eve.get_body(("html",)).get_content()


def test_claims_take_pending_deliveries_in_order_once_and_leave_out_the_excluded(
        example_engine):
    from digests.delivery import claim, prepare

    period = parse_period_key(W41, "Europe/Zurich")
    with Session(example_engine) as session:
        digest_id = prepare(session=session, period=period, now=MONDAY).id
        session.commit()
    first = claim(engine=example_engine, digest_id=digest_id, now=MONDAY, limit=3)
    second = claim(engine=example_engine, digest_id=digest_id, now=MONDAY, limit=3,
                   exclude={first[-1] + 1})
    assert len(first) == len(second) == 3 and max(first) < first[-1] + 1 < min(second)
    with Session(example_engine) as session:
        rows = {d.id: d for d in session.exec(select(DigestDelivery))}
    assert all(rows[i].status == "claimed" and rows[i].attempts == 1 for i in first + second)
    assert rows[first[-1] + 1].status == "pending"


def test_dropped_connection_reconnects_and_sends_the_rest(example_engine, smtp):
    """The server drops the line once the 5th message's DATA is complete, before keeping it.
    The client cannot tell this from a drop after keeping it (tests/digests/
    test_digest_faults.py): that delivery is ambiguous, with no copy and not sent again; the
    rest go over a new connection."""
    smtp.drop_after = 4
    report = send(example_engine, smtp_config(smtp.port))
    members = subscribed_emails(example_engine)
    assert report.this_run == {"sent": len(members) - 1, "ambiguous": 1}
    [lost] = report.ambiguous
    assert smtp.count_for(lost) == 0
    assert all(smtp.count_for(m) == 1 for m in members - {lost})
    assert send(example_engine, smtp_config(smtp.port)).this_run == {}
    assert smtp.count_for(lost) == 0


def test_451_is_retried_and_550_fails_only_that_member(example_engine, smtp):
    smtp.tempfail_next = 2
    smtp.refuse = {"marit.nilses@example.org"}
    report = send(example_engine, smtp_config(smtp.port))
    members = subscribed_emails(example_engine)
    assert report.this_run["failed"] == 1
    assert report.this_run["sent"] == len(members) - 1
    assert smtp.count_for("marit.nilses@example.org") == 0
    with Session(example_engine) as session:
        failed = session.exec(select(DigestDelivery).where(
            DigestDelivery.status == "failed")).one()
        assert "550" in failed.error


def test_unsubscribed_member_is_left_out_of_the_next_period(example_engine, tmp_path):
    from coalition.web import create_app
    from digests.tokens import sign

    config = load_config(None, env={"COALITION_EMAIL_OUTBOX_DIR": str(tmp_path / "out"),
                                    "COALITION_SECRET_KEY": "k" * 32})
    send(example_engine, config)
    with Session(example_engine) as session:
        person = session.exec(select(Person).where(
            Person.email == "nelson.manda@example.org")).one()
    token = sign(person.unsubscribe_token, "k" * 32)
    with LiveServer(create_app(runtime_for(example_engine, config))) as server, \
            httpx.Client(base_url=server.url) as client:
        assert client.get("/unsubscribe", params={"token": "forged.123"}).status_code == 400
        assert client.get("/unsubscribe", params={"token": person.unsubscribe_token}
                          ).status_code == 400  # unsigned when a key is set: refused
        with Session(example_engine) as session:
            delivery = session.exec(select(DigestDelivery).where(
                DigestDelivery.person_id == person.id)).one()
        view = client.get(f"/digest/{delivery.id}", params={"token": token})
        assert view.status_code == 200 and "Mr. Nelson Manda" in view.text
        assert client.get(f"/digest/{delivery.id + 1}", params={"token": token}
                          ).status_code == 400
        page = client.get("/unsubscribe", params={"token": token})
        assert page.status_code == 200 and "nelson.manda@example.org" in page.text
        for _ in range(2):  # one-click, as RFC 8058 mail clients POST it; idempotent
            done = client.post("/unsubscribe", params={"token": token},
                               data={"List-Unsubscribe": "One-Click"})
            assert done.status_code == 200 and "no longer" in done.text
    before = len(list((tmp_path / "out").iterdir()))
    report = send(example_engine, config, period="2017-W42",
                  now=MONDAY + dt.timedelta(days=7))
    assert report.this_run["sent"] == len(subscribed_emails(example_engine))
    sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in (tmp_path / "out").iterdir()]
    assert len(sent) - before == report.this_run["sent"]
    assert not any("nelson.manda" in m["To"] and "W42" in m["Message-ID"] for m in sent)


def test_outbox_transport_writes_eml_files_atomically(tmp_path):
    from digests.message import build_message

    msg = build_message(sender="A <a@example.org>", reply_to="", to="B <b@example.org>",
                        subject="Hi\r\nBcc: evil@example.org", text="t", html="<p>h</p>",
                        period=W41, list_id="L <l.example.org>",
                        unsubscribe_url="https://x/u?token=1", now=MONDAY)
    reply = OutboxTransport(tmp_path).send(msg)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and reply == f"outbox: {files[0].name}"
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None and parsed["Subject"] == "Hi Bcc: evil@example.org"


@pytest.mark.parametrize("bad", ["2017-41", "2017-W60"])
def test_bad_period_is_a_usage_error(bad):
    with pytest.raises(ValueError):
        parse_period_key(bad, "Europe/Zurich")


def test_a_sender_whose_claim_lapsed_leaves_the_delivery_to_the_one_that_took_it(
        example_engine, tmp_path):
    """A sender slower than `claim_timeout_seconds` finds, when it comes to a delivery of its
    batch, that another sender took it back: it does not send it (no double)."""
    from sqlalchemy import update

    taken: list[int] = []

    class SlowOutbox(OutboxTransport):
        """After the first message, another sender takes the next one back (as `recover`
        and a new claim would once this sender's claim has lapsed)."""

        def send(self, message, **kw):
            reply = super().send(message, **kw)
            if not taken:
                with example_engine.begin() as conn:
                    row = conn.execute(select(DigestDelivery.id).where(
                        DigestDelivery.status == "claimed").order_by(DigestDelivery.id)
                    ).scalars().first()
                    conn.execute(update(DigestDelivery).where(DigestDelivery.id == row)
                                 .values(claimed_by="another-sender:abc"))
                taken.append(row)
            return reply

    config = load_config(None, env={})
    outbox = tmp_path / "out"
    report = send_period(engine=example_engine, config=config, now=MONDAY,
                         transport=SlowOutbox(outbox),
                         period=parse_period_key(W41, config.coalition.timezone))
    assert report.this_run["lost"] == 1
    with Session(example_engine) as session:
        row = session.get(DigestDelivery, taken[0])
        person = session.get(Person, row.person_id)
    assert (row.status, row.claimed_by) == ("claimed", "another-sender:abc")
    sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in outbox.glob("*.eml")]
    assert person.email not in " ".join(str(m["To"]) for m in sent)
    assert len(sent) == report.this_run["sent"] == len(subscribed_emails(example_engine)) - 1
