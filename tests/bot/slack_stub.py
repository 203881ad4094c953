"""A local stand-in for Slack: the Web API (and response_url) on a real http.server, and
requests signed exactly as Slack signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Call:
    method: str  # "chat.postMessage", ... or "response_url"
    args: dict
    token: str = ""


@dataclass
class SlackAPI:
    """Records every call; `users` answers users.info; `failures` queues (status, headers)
    answers per method before the normal one."""

    users: dict[str, dict] = field(default_factory=dict)
    failures: dict[str, list[tuple[int, dict]]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self):
        self._changed = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                api._handle(self)

            def do_POST(self):
                api._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/respond/{name}"

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlparse(req.path)
        data = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        if parsed.path.startswith("/upload/"):  # files_upload_v2 posts the file's bytes here
            with self._changed:
                self.uploads[parsed.path.removeprefix("/upload/")] = data
                self._changed.notify_all()
            req.send_response(200)
            req.send_header("Content-Length", "2")
            req.end_headers()
            req.wfile.write(b"OK")
            return
        raw = data.decode()
        if "json" in (req.headers.get("Content-Type") or ""):
            args = json.loads(raw or "{}")
        else:
            args = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        args.update({k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()})
        method = "response_url" if parsed.path.startswith("/respond/") \
            else parsed.path.removeprefix("/api/")
        with self._changed:
            self.attempts[method] = self.attempts.get(method, 0) + 1
            queued = self.failures.get(method) or []
            failure = queued.pop(0) if queued else None
        if failure:
            status, headers = failure
            self._reply(req, status, {"ok": False, "error": "ratelimited"}, headers)
            return
        token = (req.headers.get("Authorization") or "").removeprefix("Bearer ")
        with self._changed:
            self.calls.append(Call(method, args, token))
            self._changed.notify_all()
        self._reply(req, 200, self._answer(method, args))

    def _answer(self, method: str, args: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T0001",
                    "team": "Coalition", "user": "coalition-desk"}
        if method == "users.info":
            user = self.users.get(args.get("user", ""))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": args["user"], "tz": user.get("tz", ""),
                                         "team_id": user.get("team_id", "T0001"),
                                         "profile": {"email": user.get("email", "")}}}
        if method == "response_url":
            return {"ok": True}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + args.get("users", "X")}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + 1}"
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")}
                                          for f in json.loads(args.get("files", "[]"))]}
        return {"ok": True, "ts": f"{time.time():.6f}", "channel": args.get("channel", "")}

    @staticmethod
    def _reply(req, status: int, payload: dict, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(body)

    def of(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The calls of `method` once there are `count` of them (fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len([c for c in self.calls if c.method == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"Slack stand-in: expected {count} {method} call(s), "
                                         f"got {[c.method for c in self.calls]}")
                self._changed.wait(left)
            return [c for c in self.calls if c.method == method]


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def command_body(text: str, *, user: str, response_url: str, command: str = "/coalition",
                 channel: str = "C0GENERAL", trigger_id: str = "13345224609.7384") -> str:
    return urllib.parse.urlencode({
        "token": "deprecated", "team_id": "T0001", "team_domain": "coalition",
        "channel_id": channel, "channel_name": "general", "user_id": user,
        "user_name": user.lower(), "command": command, "text": text,
        "api_app_id": "A0APP", "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": trigger_id})


def event_body(event: dict, *, event_id: str, event_time: int | None = None) -> str:
    return json.dumps({
        "token": "deprecated", "team_id": "T0001", "api_app_id": "A0APP", "event": event,
        "type": "event_callback", "event_id": event_id,
        "event_time": event_time or int(time.time()),
        "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}]})


def interaction_body(payload: dict) -> str:
    return urllib.parse.urlencode({"payload": json.dumps(payload)})
