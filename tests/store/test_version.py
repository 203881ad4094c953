"""The reference data's version moves with every write to the tables the answers read, on both
backends, whoever writes; and reading it survives a lost connection."""

import threading
import time

import pytest
from sqlalchemy import text

from store.engine import make_engine
from store.migrate import current_revision, head_revision, upgrade
from store.version import REFERENCE_TABLES, VersionReader
from tests.conftest import run_cli


def version(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT number FROM dataversion")).scalar_one()


def backend_ends(engine, pid: int) -> bool:
    """Whether PostgreSQL's backend `pid` is gone within a few seconds (it exits after its
    client has closed the connection)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                {"pid": pid}).scalar_one():
                return True
        time.sleep(0.05)
    return False


def test_every_write_to_a_reference_table_moves_the_version(example_engine):
    for table in REFERENCE_TABLES:
        before = version(example_engine)
        with example_engine.begin() as conn:
            assert conn.execute(text(f"UPDATE {table} SET id = id")).rowcount > 0, table
        assert version(example_engine) > before, f"an update of {table}"
    before = version(example_engine)
    with example_engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (acronym, name, kind, website, aliases) "
                          "VALUES ('NEW', 'New body', 'member', '', '[]')"))
    assert version(example_engine) > before, "an insert"
    before = version(example_engine)
    with example_engine.begin() as conn:
        conn.execute(text("DELETE FROM organisation WHERE acronym = 'NEW'"))
    assert version(example_engine) > before, "a delete"


def test_a_rolled_back_write_leaves_the_version_and_other_tables_do_not_move_it(example_engine):
    before = version(example_engine)
    with example_engine.connect() as conn:
        conn.execute(text("UPDATE deadline SET title = 'x'"))
        conn.rollback()
    with example_engine.begin() as conn:
        conn.execute(text("INSERT INTO slackevent (event_id, received_at) "
                          "VALUES ('Ev1', :at)"), {"at": "2017-10-06 08:00:00+00"})
    assert version(example_engine) == before


def test_the_reader_sees_other_writes_outlives_a_lost_connection_and_closes_with_the_engine(
        example_engine):
    reader = VersionReader(example_engine)
    first = reader.read()
    other = make_engine(example_engine.url.render_as_string(hide_password=False))
    try:
        with other.begin() as conn:
            conn.execute(text("UPDATE deadline SET status = 'done' "
                              "WHERE key = 'tor-ws1-ws2-draft'"))
        assert reader.read() > first
        driver = reader._conn.connection.dbapi_connection  # the reader's own connection
        if example_engine.dialect.name == "postgresql":
            with other.begin() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"),
                             {"pid": driver.info.backend_pid})
        else:
            driver.close()
        assert reader.read() > first  # read again, on a new connection
        if example_engine.dialect.name == "postgresql":
            pid = reader._conn.connection.dbapi_connection.info.backend_pid
            example_engine.dispose()  # closes the reader's connection too
            assert backend_ends(other, pid)
    finally:
        reader.close()
        other.dispose()


def test_postgres_writers_do_not_wait_on_the_version_while_another_is_open(example_engine):
    """The row is bumped at commit (deferred triggers): a long transaction that changed
    deadlines does not hold up another writer until it ends."""
    if example_engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers anyway")
    long = example_engine.connect()
    long.execute(text("UPDATE deadline SET title = title || '.' WHERE key = 'tor-ws1-ws2-draft'"))
    done = threading.Event()

    def other_writer():
        with example_engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '5s'"))
            conn.execute(text("UPDATE meeting SET title = title || '.' WHERE key = 'img-6'"))
        done.set()

    worker = threading.Thread(target=other_writer)
    worker.start()
    try:
        assert done.wait(5), "the second writer waited for the first one's transaction"
    finally:
        long.commit()
        long.close()
        worker.join()


OLD_ROWS = [
    "INSERT INTO organisation (id, acronym, name, kind, website, aliases) "
    "VALUES (1, 'BRS', 'Secretariat of the Basel, Rotterdam and Stockholm Conventions', "
    "'member', '', '[]')",
    "INSERT INTO workstream (id, key, kind, number, name, aliases, description, lead_note, "
    "keywords) VALUES (1, 'ws1', 'work_stream', 1, 'Further e-waste analysis', '[]', '', '', "
    "'[]')",
    "INSERT INTO workstreamrole (work_stream_id, organisation_id, role, note) "
    "VALUES (1, 1, 'lead', '')",
    "INSERT INTO meeting (key, series, number, title, starts_at, timezone, precision, online, "
    "location, link, status, purpose, documents, origin) VALUES ('img-5', 'IMG', 5, "
    "'5th IMG E-waste meeting', '2017-10-05 13:30:00', 'Europe/Zurich', 'minute', true, '', "
    "'', 'held', '', '[]', 'data')",
    "INSERT INTO deadline (key, title, description, due_text, starts_on, due_on, "
    "owner_organisation_id, work_stream_id, kind, status, source, origin) VALUES "
    "('ws1-analysis-results', 'Work Stream 1 – Finalise programmatic analysis results', '', "
    "'May 2018', '2018-05-01', '2018-05-31', 1, 1, 'deliverable', 'open', '', 'data')",
]


def test_a_store_at_0001_gets_the_version_from_its_usual_upgrade(store_url):
    """SQLite upgrades itself when the app starts; PostgreSQL with `coalition db upgrade`."""
    engine = make_engine(store_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:  # what a store made by an early version holds
            for statement in OLD_ROWS:
                conn.execute(text(statement))
        env = {"COALITION_STORE_URL": store_url}
        if engine.dialect.name == "postgresql":
            assert run_cli("ask", "agenda", env=env).returncode == 1  # asks for the upgrade
            assert run_cli("db", "upgrade", env=env).returncode == 0
        result = run_cli("ask", "who leads work stream 1", env=env)
        assert result.returncode == 0, result.stderr
        assert current_revision(engine) == head_revision()
        assert "BRS" in result.stdout
        with engine.connect() as conn:  # 0006: owners listed, status left to time
            assert conn.execute(text("SELECT o.acronym FROM deadlineowner d JOIN organisation o "
                                     "ON o.id = d.organisation_id")).scalars().all() == ["BRS"]
            assert conn.execute(text("SELECT status FROM meeting")).scalar_one() == "planned"
        deadlines = run_cli("ask", "deadlines org BRS", "--now", "2017-10-06", env=env)
        assert "Finalise programmatic analysis results" in deadlines.stdout
        before = version(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE deadline SET status = 'done'"))
        assert version(engine) > before
    finally:
        engine.dispose()
