"""Shared fixtures: a real store on SQLite and, when COALITION_TEST_POSTGRES_URL is set, on
PostgreSQL (each test in a schema of its own, dropped afterwards)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from store.engine import make_engine, unit_of_work
from store.migrate import upgrade
from store.sync import sync_file

pytest_plugins = ["tests.smtp_server"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ewaste-coalition.toml"
SHARED = ROOT.parent / "shared"
# The captured feeds (../shared/corpus/feeds beside the checkout; COALITION_TEST_CORPUS names
# another folder).
def _corpus() -> Path:
    """shared/corpus/feeds beside the checkout, or beside a folder holding it (a git
    worktree in a folder of worktrees)."""
    places = [folder / "shared" / "corpus" / "feeds" for folder in ROOT.parents[:3]]
    return next((place for place in places if place.is_dir()), places[0])


CORPUS = Path(os.environ.get("COALITION_TEST_CORPUS") or _corpus())
PG_URL = os.environ.get("COALITION_TEST_POSTGRES_URL", "")


def pytest_sessionstart(session):
    """Under CI (`CI` set), a run that would skip the PostgreSQL or corpus tests fails at once
    instead: a green run must have run them."""
    if not os.environ.get("CI"):
        return
    missing = []
    if not PG_URL:
        missing.append("COALITION_TEST_POSTGRES_URL is not set (PostgreSQL at 127.0.0.1:5432)")
    if not CORPUS.is_dir():
        missing.append(f"the feed corpus is not at {CORPUS} (set COALITION_TEST_CORPUS)")
    if missing:
        pytest.exit("CI is set, and these tests would be skipped: " + "; ".join(missing),
                    returncode=1)
NOW = dt.datetime(2017, 10, 6, 8, 0, tzinfo=dt.UTC)


def _pg_schema_url(schema: str) -> str:
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty store URL on each backend."""
    yield from _store_url(request.param, tmp_path)


def _store_url(backend: str, tmp_path: Path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL tests need COALITION_TEST_POSTGRES_URL "
                    "(e.g. postgresql://postgres@127.0.0.1:5432/test)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(store_url):
    eng = make_engine(store_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def example_engine(engine):
    """A store with the E-waste Coalition example synced."""
    with unit_of_work(engine) as session:
        sync_file(session=session, path=EXAMPLE, now=NOW)
    return engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_example_engine(request, tmp_path_factory):
    """The example synced once for a whole module, on each backend: for tests that only read
    (or put back what they change)."""
    for url in _store_url(request.param, tmp_path_factory.mktemp("shared")):
        eng = make_engine(url)
        upgrade(eng)
        with unit_of_work(eng) as session:
            sync_file(session=session, path=EXAMPLE, now=NOW)
        yield eng
        eng.dispose()


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the real `coalition` command in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("COALITION_", "SLACK_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "coalition.cli", *args], capture_output=True, text=True,
        env=full_env, cwd=cwd or ROOT, timeout=timeout,
    )


class LiveServer:
    """A real uvicorn server on 127.0.0.1 and a free port, in a thread; with `config`, as
    `coalition serve` configures it (`[server]`'s request deadline and keep-alive)."""

    def __init__(self, app, *, config=None):
        import socket
        import threading

        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        options = {"host": "127.0.0.1", "port": self.port, "log_level": "warning"}
        if config is not None:
            from coalition.web import server_config

            self.server = uvicorn.Server(server_config(app, config, **options))
        else:
            self.server = uvicorn.Server(uvicorn.Config(app, **options))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        import time

        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


def runtime_for(engine, config):
    """A Runtime whose store is the test's engine."""
    from coalition.runtime import Runtime

    runtime = Runtime(config)
    runtime.__dict__["engine"] = engine
    return runtime


class LogRecorder(logging.Handler):
    """Every log record of the process (ours, Bolt's, uvicorn's), formatted with its
    traceback, while it is attached (`with LogRecorder() as log:`)."""

    LOGGERS = ("", "uvicorn")  # uvicorn's loggers do not propagate to the root

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def __enter__(self) -> LogRecorder:
        for name in self.LOGGERS:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def tracebacks(self) -> list[str]:
        """The records a user-facing failure leaves: a traceback, or uvicorn's "Exception in
        ASGI application"."""
        return [line for line in self.lines
                if "Traceback" in line or "Exception in ASGI application" in line]
