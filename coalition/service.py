"""The service: the worker's jobs wired to the parts, `coalition worker` and `coalition run`."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading

from coalition.errors import OperationError
from coalition.runtime import Runtime
from store.engine import unit_of_work
from worker.lease import SQLiteWorkerLock
from worker.loop import Job, Worker

log = logging.getLogger("coalition.service")


class DataFileWatcher:
    """Re-sync the coalition data file whenever its content changes (and once at start).

    It never retires more than half of what is stored (no `allow_retire`): a file emptied or
    cut short while being edited is refused, logged, and not tried again until it changes;
    `coalition sync --allow-retire` imports it if it is meant."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.last_digest: str | None = None

    def __call__(self, now: dt.datetime, stop: threading.Event) -> str:
        from store.sync import SyncRefused, sync_file

        path = self.runtime.config.path(self.runtime.config.coalition.data)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest == self.last_digest:
            return "unchanged"
        try:
            with unit_of_work(self.runtime.engine) as session:
                report = sync_file(session=session, path=path, now=now)
        except SyncRefused as e:
            self.last_digest = digest
            log.warning("data file not synced: %s (%s)", e, e.hint)
            return f"refused: {e}"
        self.last_digest = digest
        return report.summary()


class WeeklyDigest:
    """Send this week's digest once its weekday and time have come (in the coalition's
    timezone, so daylight-saving changes are followed), for `[digest] catch_up_hours` after
    that; after a downtime, the current week's on start, but only from a store that has sent
    digests before (`digests.period.due_period` is the rule). What it decided is its result,
    which the worker logs."""

    def __init__(self, runtime: Runtime, *, started_at: dt.datetime | None = None):
        self.runtime = runtime
        # When the service started, on its clock (a demo clock at speed 75000 passes hours
        # in the second before the first run): a time passed before it was a downtime.
        self.started_at = started_at or runtime.now()
        self.warned = False

    def decide(self, now: dt.datetime):
        from sqlmodel import Session, select

        from digests.period import due_period
        from store.models import Digest

        cfg = self.runtime.config

        def ever_sent() -> bool:
            with Session(self.runtime.engine) as session:
                return session.exec(select(Digest.id).limit(1)).first() is not None

        return due_period(now=now, started_at=self.started_at, ever_sent=ever_sent,
                          timezone=cfg.coalition.timezone, weekday=cfg.digest.weekday,
                          time=cfg.digest.time,
                          catch_up=dt.timedelta(hours=cfg.digest.catch_up_hours))

    def __call__(self, now: dt.datetime, stop: threading.Event) -> str:
        from digests.delivery import send_period
        from digests.tokens import check_links
        from digests.transport import make_transport

        decision = self.decide(now)
        if decision.period is None:
            return f"nothing to send: {decision.reason}"
        cfg = self.runtime.config
        warnings = check_links(transport=cfg.email.transport, base_url=cfg.email.base_url,
                               secret=cfg.secrets.unsubscribe_secret)  # raises for SMTP
        if warnings and not self.warned:
            for warning in warnings:
                log.warning("weekly digest: %s", warning)
            self.warned = True
        transport = make_transport(cfg)
        try:
            report = send_period(engine=self.runtime.engine, config=cfg,
                                 period=decision.period, now=now, transport=transport,
                                 stop=stop)
        finally:
            transport.close()
        return f"{decision.reason}: {report.summary()}"


class SlackReminders:
    """Deadline reminders N days before and meeting reminders the day before, each posted
    once (recorded), so running often is safe and a missed day is caught up."""

    def __init__(self, runtime: Runtime):
        from bot.app import make_client

        self.runtime = runtime
        self.client = make_client(runtime.config)

    def __call__(self, now: dt.datetime, stop: threading.Event) -> str:
        from bot.reminders import post_due_reminders

        return post_due_reminders(engine=self.runtime.engine, client=self.client,
                                  config=self.runtime.config, now=now)


class FeedPoll:
    """Poll the feeds that are due (each on its own interval and backoff)."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def __call__(self, now: dt.datetime, stop: threading.Event) -> str:
        from worker.ingest import poll_feeds

        return poll_feeds(engine=self.runtime.engine, config=self.runtime.config, now=now,
                          parsers=self.runtime.parsers).summary()


def build_jobs(runtime: Runtime) -> list[Job]:
    """Every scheduled job; each decides itself whether work is due at `now`."""
    jobs = [
        Job("sync-data-file", 60, DataFileWatcher(runtime)),
        Job("poll-feeds", 60, FeedPoll(runtime), exclusive=False),  # feeds claimed one by one
        Job("weekly-digest", 60, WeeklyDigest(runtime), exclusive=False),
    ]
    if runtime.config.slack.enabled and runtime.config.secrets.slack_bot_token:
        jobs.append(Job("slack-reminders", 900, SlackReminders(runtime)))
    return jobs


def make_worker(runtime: Runtime) -> Worker:
    return Worker(engine=runtime.engine, jobs=build_jobs(runtime), now=runtime.now,
                  speed=runtime.config.clock.speed)


def run_worker(runtime: Runtime) -> None:
    """Jobs only (`coalition worker`); on SQLite, one worker per database file."""
    worker = make_worker(runtime)
    worker.install_signal_handlers()
    with _single_worker_guard(runtime):
        try:
            worker.run_forever()
        finally:
            runtime.close()


def listen(host: str, port: int):
    """A listening socket on host:port for uvicorn, or ServiceError saying why not (a port
    in use, an address this machine does not have). Binding here, before uvicorn starts, keeps
    uvicorn from exiting the process with its own code and message."""
    import socket

    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ServiceError(f"cannot listen on {host}:{port}: unknown address ({e.strerror})"
                           ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as e:
        sock.close()
        raise ServiceError(f"cannot listen on {host}:{port}: {e.strerror}",
                           hint="is another process using the port? choose another with "
                                "--port or [server] port") from None
    sock.set_inheritable(True)
    return sock


def _uvicorn_server(runtime: Runtime, worker: Worker | None = None):
    import uvicorn

    from coalition.web import create_app, server_config

    app = create_app(runtime, unrecorded=worker.unrecorded if worker else None)
    return uvicorn.Server(server_config(app, runtime.config, log_level=runtime.config.log.level,
                                        proxy_headers=True))


def serve_http(runtime: Runtime, *, host: str, port: int) -> None:
    """`coalition serve`: the HTTP endpoint alone, until SIGTERM or SIGINT (then exit 0)."""
    import signal

    sock = listen(host, port)
    server = _uvicorn_server(runtime)
    # uvicorn handles the signals while it serves, then puts these back and raises the signal
    # it caught again: with these, that ends here instead of killing the process (exit 143).
    stopped = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: stopped.append(signum))
    log.info("serving HTTP on %s:%s", host, sock.getsockname()[1])
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        runtime.close()
    if not server.started:
        raise ServiceError(f"the HTTP server on {host}:{port} did not start (see the log)")


def run_all(runtime: Runtime, *, host: str, port: int) -> None:
    """HTTP and jobs in one process (`coalition run`); a clean stop on SIGTERM/SIGINT."""
    sock = listen(host, port)
    worker = make_worker(runtime)
    server = _uvicorn_server(runtime, worker)
    worker.install_signal_handlers()
    with _single_worker_guard(runtime):
        http = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="http",
                                daemon=True)
        http.start()
        if not _listening(server, http):
            server.should_exit = True
            sock.close()
            raise ServiceError(f"the HTTP server on {host}:{port} did not start (see the log "
                               "above); nothing was started")
        http_died = threading.Event()
        threading.Thread(target=_stop_when_gone, args=(http, worker, http_died), daemon=True,
                         name="http-watch").start()
        socket_mode = _start_socket_mode(runtime)
        try:
            worker.run_forever()
        finally:
            if socket_mode is not None:
                socket_mode.close()
            server.should_exit = True
            http.join(timeout=8)
            sock.close()
            runtime.close()
        if http_died.is_set():
            raise ServiceError("the HTTP server stopped unexpectedly; the service stopped too")


class ServiceError(OperationError):
    """The service cannot run as configured; the message says what to check."""


def _listening(server, http: threading.Thread, timeout: float = 15.0) -> bool:
    """Wait until uvicorn serves; False when it gave up."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.started:
            return True
        if not http.is_alive():
            return False
        time.sleep(0.02)
    return False


def _stop_when_gone(http: threading.Thread, worker: Worker, died: threading.Event) -> None:
    """One process is one service: if the HTTP side dies, the jobs stop too (and the process
    exits non-zero, so a supervisor restarts it whole)."""
    http.join()
    if not worker.stop.is_set():
        log.error("the HTTP server stopped unexpectedly: stopping the scheduled jobs")
        died.set()
        worker.stop.set()


def _start_socket_mode(runtime: Runtime):
    """Socket Mode beside the loop when SLACK_APP_TOKEN is set: no public address needed."""
    secrets = runtime.config.secrets
    if not (secrets.slack_app_token and secrets.slack_bot_token):
        return None
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_bolt_app

    handler = SocketModeHandler(create_bolt_app(runtime), secrets.slack_app_token)
    handler.connect()  # returns at once; the client keeps its own threads
    log.info("Slack Socket Mode connected")
    return handler


def _single_worker_guard(runtime: Runtime):
    url = runtime.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return SQLiteWorkerLock(url.database)
    from contextlib import nullcontext

    return nullcontext()
