"""`coalition serve` as a hostile client meets it: any body, header or query string, signed
or not, gets an answer below 500 and leaves no traceback in the log. The server is the real
app under uvicorn, with the Slack bot and the digest links, on the example store."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from coalition.runtime import Runtime
from coalition.web import create_app
from store.engine import make_engine, unit_of_work
from store.migrate import upgrade
from store.sync import sync_file
from tests.bot.conftest import SECRET, USERS, slack_env
from tests.bot.slack_stub import SlackAPI, command_body, sign
from tests.conftest import EXAMPLE, NOW, LiveServer, LogRecorder

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


class Edge:
    def __init__(self, url: str, api: SlackAPI, log: LogRecorder):
        self.url, self.api, self.log = url, api, log
        self.http = httpx.Client(base_url=url, timeout=30)

    def slack(self, body: bytes, headers: dict) -> httpx.Response:
        return self.http.post("/slack/events", content=body, headers=headers)

    def signed(self, body: bytes, content_type: str = "application/json") -> httpx.Response:
        return self.slack(body, {"Content-Type": content_type,
                                 **sign(SECRET, body.decode("utf-8"))})


def _boom(_request):
    raise RuntimeError("a bug in a route")


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('edge') / 'store.db'}")
    upgrade(engine)
    with unit_of_work(engine) as session:
        sync_file(session=session, path=EXAMPLE, now=NOW)
    with SlackAPI(users=dict(USERS)) as api, LogRecorder() as log:
        runtime = Runtime(slack_env(api, COALITION_SECRET_KEY="k" * 32), now="2017-10-06T10:00")
        runtime.__dict__["engine"] = engine
        app = create_app(runtime, [Route("/boom", _boom)])
        with LiveServer(app, config=runtime.config) as server:
            client = Edge(server.url, api, log)
            yield client
            client.http.close()
    engine.dispose()


def _tracebacks(log: LogRecorder, start: int = 0) -> list[str]:
    return [line for line in log.tracebacks()[start:] if "/boom" not in line]


@pytest.fixture
def clean_log(edge):
    """The test's requests leave no traceback in the log (the lazy listeners they start may
    finish later: the last test of the file reads the whole log again)."""
    start = len(edge.log.tracebacks())
    yield
    found = _tracebacks(edge.log, start)
    assert not found, "\n\n".join(found)[:4000]


# The issue's own findings ----------------------------------------------------------------


@pytest.mark.parametrize("body, content_type", [
    (b"not json", "application/json"),
    (b"payload=%7B", "application/x-www-form-urlencoded"),
    (b"\xff\xfe\x00 not utf-8", "application/json"),
    (b"[" * 100_000, "application/json"),
    (b'{"type": "event_callback", "event": {"type": "message"}}', "application/json"),
])
def test_unsigned_bodies_get_401(edge, clean_log, body, content_type):
    assert edge.slack(body, {"Content-Type": content_type}).status_code == 401


@pytest.mark.parametrize("timestamp", ["abc", "1.5", "", "+1", "1_0", "١٢٣", "-5", "9" * 40])
def test_a_timestamp_that_is_not_an_integer_gets_401(edge, clean_log, timestamp):
    body = b'{"type": "url_verification", "challenge": "c"}'
    headers = {**sign(SECRET, body.decode()), "Content-Type": "application/json"}
    headers["X-Slack-Request-Timestamp"] = timestamp
    assert edge.slack(body, {k: v.encode() for k, v in headers.items()}).status_code == 401


@pytest.mark.parametrize("body, content_type", [
    (b"not json", "application/json"),
    (b"payload=%7B", "application/x-www-form-urlencoded"),
    (b"[" * 100_000, "application/json"),
    (b"[1, 2]", "application/json"),
    (b'{"type": "event_callback", "event": "a string"}', "application/json"),
    (b'{"type": "event_callback", "event": {"type": "message", "ts": "soon"}}',
     "application/json"),
    (b'{"type": "block_actions", "actions": []}', "application/json"),
    (b'{"type": "view_submission", "view": {"state": {"values": []}}}', "application/json"),
    (b"<xml/>", "text/xml"),
])
def test_signed_bodies_slack_never_sends_get_400(edge, clean_log, body, content_type):
    response = edge.signed(body, content_type)
    assert response.status_code == 400, response.text
    assert "Traceback" not in response.text


def test_a_signed_challenge_is_answered(edge, clean_log):
    answer = edge.signed(b'{"type": "url_verification", "challenge": "3eZbrw1aBm2"}')
    assert answer.status_code == 200 and answer.json() == {"challenge": "3eZbrw1aBm2"}


def test_a_command_whose_text_says_payload_is_a_command(edge, clean_log):
    """Bolt's own parser reads any form body containing the word "payload" as an empty one."""
    body = command_body("help payload", user="UTATIANA", response_url=edge.api.response_url())
    before = len(edge.api.of("response_url"))
    answer = edge.signed(body.encode(), "application/x-www-form-urlencoded")
    assert answer.status_code == 200
    reply = json.loads(answer.text) if answer.text else \
        edge.api.wait_for("response_url", before + 1)[-1].args
    assert "deadlines [N]" in reply["text"]  # the help, as for any unknown words


@pytest.mark.parametrize("path, status", [
    ("/digest/99999999999999999999999", 404),
    ("/digest/2147483648?token=x", 404),
    ("/digest/0", 404),
    ("/digest/1?token=", 400),
    ("/digest/1?token=" + "a" * 500, 400),
    ("/digest/1?token=%0D%0ASet-Cookie:%20x", 400),
    ("/unsubscribe?token=%00", 400),
    ("/unsubscribe?token=..", 400),
    ("/unsubscribe?token=%C3%A9t%C3%A9", 400),  # not ASCII: hmac.compare_digest refuses it
    ("/digest/1?token=%C3%A9t%C3%A9.0123456789abcdef0123456789abcdef", 400),
    ("/unsubscribe", 400),
    ("/calendar.ics?ws=%0A", 400),
    ("/calendar.ics?ws=%0D", 400),
    ("/calendar.ics?ws=ws1%0DX-EVIL:1", 400),
    ("/calendar.ics?ws=" + "w" * 41, 400),
    ("/calendar.ics?ws=ws1", 200),
    ("/healthz?x=%7F", 400),
])
def test_every_endpoint_checks_its_input(edge, clean_log, path, status):
    response = edge.http.get(path)
    assert response.status_code == status, (path, response.text[:200])
    assert "Traceback" not in response.text


def test_the_unexpected_is_a_logged_500_with_a_request_id_and_no_traceback(edge):
    response = edge.http.get("/boom")
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert request_id in response.text and "RuntimeError" not in response.text
    logged = [line for line in edge.log.lines if request_id in line]
    assert logged and "Traceback" in logged[0] and "a bug in a route" in logged[0]
    given = edge.http.get("/healthz", headers={"X-Request-ID": "lb-7f3a"})
    assert given.headers["x-request-id"] == "lb-7f3a"
    forged = edge.http.get("/healthz", headers={"X-Request-ID": "a b\u00e9".encode()})
    assert forged.headers["x-request-id"] != "a b\u00e9"


# Size ---------------------------------------------------------------------------------


def _raw(port: int, head: bytes, body_chunks=(), read_timeout: float = 10) -> bytes:
    """Send a request on a socket of our own (what httpx will not send), return the reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except OSError:  # the server answered and closed: it reads no more
            pass
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
        return reply


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(edge, clean_log):
    port = int(edge.url.rsplit(":", 1)[1])
    head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 52428800\r\n\r\n")
    reply = _raw(port, head)  # not one byte of the body sent: answered and closed anyway
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"connection: close" in reply.lower()


def test_a_chunked_body_is_cut_off_at_the_limit(edge, clean_log):
    port = int(edge.url.rsplit(":", 1)[1])
    head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b"[" * 65536)
    reply = _raw(port, head + b"".join([chunk] * 40) + b"0\r\n\r\n"  # 2.5 MB, 1 MiB allowed
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"HTTP/1.1 200 " in reply  # the rest was dropped, the connection serves on


def test_a_body_at_the_limit_is_read(edge, clean_log):
    body = b"x" * (1_048_576 - 2) + b"{}"
    assert edge.slack(body, {"Content-Type": "application/json"}).status_code == 401


# Property tests ----------------------------------------------------------------------

_SLACK_WORDS = ["message", "app_mention", "app_home_opened", "event_callback",
                "block_actions", "view_submission", "url_verification", "/coalition",
                "UTATIANA", "UHOSSEIN", "USTRANGER", "CUPDATES", "C0GENERAL", "D0TATIANA", "im",
                "channel", "message_changed", "message_deleted", "file_share", "me_message",
                "bot_message", "1507280000.000100", "1507280000.000200", "meeting_form",
                "deadline_form", "share_in_channel", "toggle_digest", "on", "off", "home",
                "sync", "lead ws1", "deadlines mine", "update hi", "note 5.1 Conclusion: x",
                "deadline done tor-ws1-ws2-draft", "meeting add", "minutes 5", "agenda 5",
                "\x00", "\ud800", "T0001", "Ev0000001", ""]
_KEYS = ["type", "event", "event_id", "event_time", "team_id", "team", "api_app_id", "user",
         "user_id", "text", "ts", "thread_ts", "event_ts", "channel", "channel_id",
         "channel_type", "subtype", "message", "previous_message", "deleted_ts", "files",
         "title", "bot_id", "command", "trigger_id", "response_url", "actions", "action_id",
         "block_id", "value", "view", "state", "values", "callback_id", "private_metadata",
         "id", "tab", "challenge", "ssl_check", "enterprise", "authorizations", "is_bot",
         "is_ext_shared_channel", "user_team", "item", "response_urls", "container",
         "is_enterprise_install", "token", "hash"]

_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                  st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
                  st.sampled_from(_SLACK_WORDS))
_tree = st.recursive(_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(_KEYS), inner, max_size=6)), max_leaves=20)
_envelopes = st.dictionaries(st.sampled_from(_KEYS), _tree, max_size=8)


def _event(draw_event: dict) -> dict:
    return {"type": "event_callback", "team_id": "T0001", "api_app_id": "A0APP",
            "event_id": f"Ev{abs(hash(json.dumps(draw_event, sort_keys=True, default=str)))}",
            "event_time": int(time.time()), "event": draw_event}


_events = st.fixed_dictionaries({"type": st.sampled_from(["message", "app_mention",
                                                          "app_home_opened"])},
                                optional={k: _leaf for k in (
                                    "user", "text", "ts", "thread_ts", "channel",
                                    "channel_type", "subtype", "bot_id", "deleted_ts", "tab")}
                                ).map(_event)
_interactions = st.fixed_dictionaries({
    "type": st.sampled_from(["block_actions", "view_submission"]),
    "user": st.fixed_dictionaries({"id": st.sampled_from(["UTATIANA", "UHOSSEIN", "UX"])}),
    "team": st.just({"id": "T0001"})}, optional={
    "response_url": st.builds(lambda: RESPONSE_URL),
    "actions": st.lists(st.fixed_dictionaries({"action_id": st.sampled_from(
        ["share_in_channel", "toggle_digest", "other"])}, optional={
        "value": st.one_of(st.text(max_size=30), st.sampled_from(_SLACK_WORDS))}),
        min_size=1, max_size=2),
    "view": st.fixed_dictionaries({"callback_id": st.sampled_from(
        ["meeting_form", "deadline_form", "other"])}, optional={
        "private_metadata": st.sampled_from(["", "img-5", "tor-ws1-ws2-draft", "nope"]),
        "state": st.fixed_dictionaries({"values": st.dictionaries(
            st.sampled_from(["key", "title", "starts", "due", "number", "owner"]),
            st.fixed_dictionaries({"value": st.fixed_dictionaries({}, optional={
                "value": st.one_of(st.none(), st.text(max_size=20))})}), max_size=4)})}),
})


def _form(fields: dict) -> bytes:
    """A form body as Slack sends one (UTF-8: a lone surrogate cannot be in it)."""
    return urllib.parse.urlencode(fields, errors="replace").encode()


_commands = st.dictionaries(st.sampled_from(["command", "text", "user_id", "trigger_id",
                                             "team_id", "channel_id", "payload", "user"]),
                            st.one_of(st.text(max_size=30), st.sampled_from(_SLACK_WORDS)),
                            max_size=6).map(lambda d: {"command": "/coalition",
                                                       "response_url": RESPONSE_URL, **d})
RESPONSE_URL = ""  # set by the fixture below: the stand-in's response_url


@pytest.fixture(scope="module", autouse=True)
def _response_url(edge):
    global RESPONSE_URL
    RESPONSE_URL = edge.api.response_url("fuzz")


@FUZZ
@given(body=st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
    _envelopes.map(lambda d: json.dumps(d).encode()),
    _commands.map(_form)),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                  "text/plain", "", "multipart/form-data; boundary=x"]),
    timestamp=st.one_of(st.none(), st.sampled_from(["abc", "1.5", "", str(int(time.time()))]),
                        st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]),
                                max_size=15)),
    signature=st.one_of(st.none(), st.just("v0=" + "0" * 64),
                        st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]),
                                max_size=70)))
def test_no_unsigned_request_gets_past_401(edge, clean_log, body, content_type, timestamp,
                                           signature):
    headers = {"Content-Type": content_type.encode()}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp.strip().encode("latin-1")
    if signature is not None:
        headers["X-Slack-Signature"] = signature.strip().encode("latin-1")
    response = edge.slack(body, headers)
    assert response.status_code == 401, (body, response.status_code, response.text[:200])


@FUZZ
@given(payload=st.one_of(_envelopes, _events, _interactions),
       as_form=st.booleans())
def test_no_signed_body_gets_a_server_error(edge, clean_log, payload, as_form):
    if as_form and payload.get("type") in ("block_actions", "view_submission"):
        body, content_type = _form({"payload": json.dumps(payload)}), \
            "application/x-www-form-urlencoded"
    else:
        body, content_type = json.dumps(payload).encode(), "application/json"
    response = edge.signed(body, content_type)
    assert response.status_code < 500, (payload, response.status_code, response.text[:300])


@FUZZ
@given(fields=_commands)
def test_no_signed_command_gets_a_server_error(edge, clean_log, fields):
    response = edge.signed(_form(fields), "application/x-www-form-urlencoded")
    assert response.status_code < 500, (fields, response.status_code, response.text[:300])


_query_values = st.one_of(st.text(max_size=40), st.sampled_from(
    ["\r", "\n", "\x00", "%", "..", "ws1", "a" * 300, "\ud800", "é", "token.0123"]))


@FUZZ
@given(path=st.sampled_from(["/digest/1", "/digest/999999999999999999999", "/unsubscribe",
                             "/calendar.ics", "/healthz", "/metrics", "/nowhere"]),
       query=st.dictionaries(st.sampled_from(["token", "ws", "x", ""]), _query_values,
                             max_size=3),
       method=st.sampled_from(["GET", "POST"]))
def test_no_query_string_gets_a_server_error(edge, clean_log, path, query, method):
    raw = urllib.parse.urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in
                                  query.items()})
    response = edge.http.request(method, f"{path}?{raw}")
    assert response.status_code < 500, (path, query, response.status_code)
    if any(c in "".join(f"{k}{v}" for k, v in query.items()) for c in "\r\n\x00"):
        assert response.status_code in (400, 404, 405), (path, query)


@FUZZ
@given(name=st.sampled_from(["Content-Type", "Content-Length", "X-Slack-Signature",
                             "X-Slack-Request-Timestamp", "X-Slack-Retry-Num",
                             "X-Request-ID", "Transfer-Encoding", "Host", "X-Whatever"]),
       value=st.binary(max_size=60))
def test_no_header_gets_a_server_error(edge, clean_log, name, value):
    port = int(edge.url.rsplit(":", 1)[1])
    head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\n" + name.encode() + b": " + value +
            b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    reply = _raw(port, head)
    if reply:  # uvicorn may drop a request it cannot read
        assert reply.startswith(b"HTTP/1.1 "), reply[:200]
        assert int(reply[9:12]) < 500, (name, value, reply[:200])


def test_the_lazy_listeners_of_all_these_requests_logged_no_traceback_either(edge):
    time.sleep(0.5)  # the last lazy listeners finish
    found = _tracebacks(edge.log)
    assert not found, "\n\n".join(found)[:4000]
    methods = {call.method for call in edge.api.calls}  # the signed ones reached the bot
    assert {"users.info", "response_url", "chat.postEphemeral"} <= methods, methods
