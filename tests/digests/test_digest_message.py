"""The digest email on the wire: what the email package itself would write, correct MIME."""

import datetime as dt
import email
import re
from email import policy
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.message import _folded, build_message
from digests.transport import SMTP_POLICY, _dot_stuffed

NOW = dt.datetime(2017, 10, 9, 7, 0, tzinfo=dt.UTC)
READERS = [("Recipient 1", "r1@example.org"), ("Zoë <Ö&Brien>", "zoe@example.org"),
           ("Smith, John", "john@example.org"), ("Eve <boss@example.org>", "eve@example.org"),
           ("A very long name that goes on " * 4, "long@example.org"), ("", "bare@example.org")]


def digest_to(name: str, address: str):
    return build_message(
        sender="E-waste Coalition <secretariat@example.org>", reply_to="help@example.org",
        to=(name, address), subject="E-waste Coalition — week 41: 3 deadlines, next meeting Thu",
        text="Hello é\n" + "x" * 200 + "\n.\nFrom here\ntrailing space \n",
        html="<p style=\"color: red;\">héllo &amp; = —</p>\n" * 40,
        period="2017-W41", list_id="E-waste Coalition digest <digest.example.org>",
        unsubscribe_url="https://desk.example.org/unsubscribe?token=" + "t" * 60, now=NOW)


@pytest.mark.parametrize(("name", "address"), READERS)
@pytest.mark.parametrize("wire", [SMTP_POLICY, None], ids=["smtp", "default"])
def test_message_bytes_are_what_the_email_package_writes(name, address, wire):
    msg = digest_to(name, address)
    assert msg.as_bytes(policy=wire) == Message.as_bytes(msg, policy=wire)


@pytest.mark.parametrize(("name", "address"), READERS)
def test_message_on_the_wire_is_well_formed_and_reads_back(name, address):
    raw = digest_to(name, address).as_bytes(policy=SMTP_POLICY)
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["To"].addresses[0].addr_spec == address  # a name never changes the address
    assert parsed["To"].addresses[0].display_name == " ".join(name.split())
    assert parsed["Subject"] == "E-waste Coalition — week 41: 3 deadlines, next meeting Thu"
    text = parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")  # CRLF on the wire
    assert text == "Hello é\n" + "x" * 200 + "\n.\nFrom here\ntrailing space \n"
    assert parsed.get_body(("html",)).get_content().count("héllo &amp; = —") == 40
    assert parsed["List-Unsubscribe"].endswith("<mailto:help@example.org?subject=unsubscribe>")


def test_message_is_built_as_the_mime_classes_build_it():
    msg = digest_to("Zoë", "zoe@example.org")
    standard = MIMEMultipart("alternative", boundary=msg.get_boundary())
    assert msg.items()[:2] == standard.items()
    for part, subtype in zip(msg.get_payload(), ["plain", "html"], strict=True):
        expected = MIMENonMultipart("text", subtype, charset="utf-8")
        expected["Content-Transfer-Encoding"] = "quoted-printable"
        assert part.items() == expected.items()


def test_envelope_recipient_is_the_address_built_for_until_the_to_header_changes():
    msg = digest_to("Smith, John", "john@example.org")
    assert msg.recipients() == ["john@example.org"]
    del msg["To"]
    msg["To"] = "Other <other@example.org>, third@example.org"
    assert msg.recipients() == ["other@example.org", "third@example.org"]


@settings(max_examples=500, deadline=None)
@given(name=st.sampled_from(["To", "Subject", "List-Unsubscribe", "X-Long-Header-Name-Here"]),
       value=st.text(st.sampled_from(list("ab<>@.:/?=_ ;,\t\x01") + [" "] * 4), max_size=250),
       wire=st.sampled_from([SMTP_POLICY, policy.compat32]))
def test_header_folding_by_shape_is_compat32s(name, value, wire):
    assert _folded(wire, name, value) == wire.fold_binary(name, value).decode()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40) | st.lists(st.sampled_from([b".", b"\r\n", b"a", b"\n"]))
       .map(b"".join))
def test_dot_stuffing_is_smtplibs(data):
    expected = re.sub(rb"(?m)^\.", b"..", data)  # smtplib._quote_periods
    expected += (b"" if expected.endswith(b"\r\n") else b"\r\n") + b".\r\n"
    assert _dot_stuffed(data) == expected
