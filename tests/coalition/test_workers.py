"""Several `coalition worker` processes on one PostgreSQL: no doubled digest, no lost one."""

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlmodel import Session, select

from store.models import DigestDelivery, Person
from tests.conftest import EXAMPLE, ROOT
from tests.smtp_server import wait_for

MEMBERS = 500


@pytest.fixture
def big_coalition(tmp_path):
    """The example plus 500 more subscribed members, as a data file the workers sync."""
    extra = "".join(
        f'\n[[people]]\nemail = "member{i:03d}@example.org"\nname = "Member {i}"\n'
        f'organisation = "UNITAR"\n' for i in range(MEMBERS))
    path = tmp_path / "big.toml"
    path.write_text(EXAMPLE.read_text() + extra)
    return path


def start_worker(store_url: str, data, smtp_port: int, claim_timeout: str = "2"):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COALITION_", "SLACK_"))}
    env.update({
        "COALITION_STORE_URL": store_url, "COALITION_COALITION_DATA": str(data),
        "COALITION_CLOCK_TODAY": "2017-10-09", "COALITION_CLOCK_SPEED": "60",
        "COALITION_DIGEST_TIME": "00:00", "COALITION_LOG_FORMAT": "json",
        "COALITION_DIGEST_CLAIM_TIMEOUT_SECONDS": claim_timeout,
        "COALITION_EMAIL_TRANSPORT": "smtp", "COALITION_EMAIL_SMTP_HOST": "127.0.0.1",
        "COALITION_EMAIL_SMTP_PORT": str(smtp_port), "COALITION_EMAIL_SMTP_SECURITY": "none",
        "COALITION_EMAIL_BASE_URL": "https://desk.example.org",
        "COALITION_SECRET_KEY": "test-secret-key-for-links",
    })
    return subprocess.Popen([sys.executable, "-m", "coalition.cli", "worker"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def deliveries(engine):
    with Session(engine) as session:
        return {p.email: d for d, p in session.exec(
            select(DigestDelivery, Person).join(Person, DigestDelivery.person_id == Person.id))}


def stop(*procs) -> list[str]:
    """Stop the workers; their logs, for the failure message."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    return [p.communicate(timeout=20)[1][-30000:] for p in procs]


@pytest.fixture
def pg_engine(engine):
    """A PostgreSQL store that sent last week's digest: workers started after this week's
    time catch up on it at once (a store that never sent one would wait for next week)."""
    import datetime as dt

    from store.engine import unit_of_work
    from store.models import Digest

    if engine.dialect.name != "postgresql":
        pytest.skip("several workers share a store on PostgreSQL only")
    week = dt.datetime(2017, 10, 1, 22, 0, tzinfo=dt.UTC)
    with unit_of_work(engine) as session:
        session.add(Digest(period="2017-W40", starts_at=week, created_at=week,
                           ends_at=week + dt.timedelta(days=7)))
    return engine


def test_two_workers_share_the_digest_and_send_each_one_once(pg_engine, big_coalition, smtp):
    url = pg_engine.url.render_as_string(hide_password=False)
    smtp.delay = 0.01
    workers = [start_worker(url, big_coalition, smtp.port) for _ in range(2)]
    with contextlib.suppress(AssertionError):
        wait_for(lambda: len(smtp.messages) >= MEMBERS + 13, timeout=60)
    time.sleep(0.5)
    logs = stop(*workers)
    assert len(smtp.messages) == MEMBERS + 13, logs
    rows = deliveries(pg_engine)
    assert len(rows) == MEMBERS + 13
    assert all(d.status == "sent" for d in rows.values())
    assert all(smtp.count_for(email) == 1 for email in rows)
    senders = {d.claimed_by.rsplit(":", 1)[0] for d in rows.values()}
    assert len(senders) == 2, "both workers should have sent some"


def test_a_killed_worker_leaves_the_rest_to_the_other(pg_engine, big_coalition, smtp):
    url = pg_engine.url.render_as_string(hide_password=False)
    smtp.delay = 0.01
    first = start_worker(url, big_coalition, smtp.port)
    wait_for(lambda: len(smtp.messages) >= 60, timeout=60)
    second = start_worker(url, big_coalition, smtp.port)
    wait_for(lambda: len(smtp.messages) >= 150, timeout=60)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    try:
        wait_for(lambda: all(d.status in ("sent", "ambiguous")
                             for d in deliveries(pg_engine).values()), timeout=120)
    finally:
        stop(second)
    rows = deliveries(pg_engine)
    ambiguous = [e for e, d in rows.items() if d.status == "ambiguous"]
    assert len(ambiguous) <= 1
    for email in rows:
        copies = smtp.count_for(email)
        assert copies == 1 or (email in ambiguous and copies <= 1), (email, copies)
