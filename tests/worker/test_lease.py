import datetime as dt
import threading

import pytest
from sqlmodel import Session, select

from store.models import JobRun
from worker import lease
from worker.loop import Job, Worker

T0 = dt.datetime(2017, 10, 9, 7, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(minutes=10)


def test_one_owner_holds_a_job_until_its_lease_expires(engine):
    assert lease.acquire(engine, "digest", "a", T0, TTL)
    assert not lease.acquire(engine, "digest", "b", T0 + dt.timedelta(minutes=5), TTL)
    assert lease.acquire(engine, "digest", "a", T0 + dt.timedelta(minutes=5), TTL)  # renew
    assert lease.acquire(engine, "digest", "b", T0 + dt.timedelta(minutes=16), TTL)  # expired


def test_released_lease_records_success_and_error(engine):
    assert lease.acquire(engine, "feeds", "a", T0, TTL)
    lease.release(engine, "feeds", "a", finished_at=T0, error="boom")
    assert lease.acquire(engine, "feeds", "b", T0, TTL)
    lease.release(engine, "feeds", "b", finished_at=T0 + TTL, error=None)
    with Session(engine) as session:
        row = session.exec(select(JobRun).where(JobRun.name == "feeds")).one()
    assert (row.lease_owner, row.last_error, row.last_success_at) == ("", "", T0 + TTL)


def test_a_failing_job_is_recorded_and_the_loop_goes_on(engine):
    calls = []

    def broken(now, stop):
        calls.append("broken")
        raise RuntimeError("feed server exploded")

    def fine(now, stop):
        calls.append("fine")

    worker = Worker(engine=engine, now=lambda: T0, jobs=[
        Job("broken", 3600, broken), Job("fine", 3600, fine)])
    thread = threading.Thread(target=worker.run_forever, kwargs={"tick": 0.01})
    thread.start()
    worker.stop.wait(0.3)
    worker.stop.set()
    thread.join(5)
    assert calls == ["broken", "fine"]
    with Session(engine) as session:
        rows = {r.name: r for r in session.exec(select(JobRun))}
    assert "feed server exploded" in rows["broken"].last_error
    assert rows["fine"].last_success_at == T0


def test_second_worker_on_one_sqlite_file_is_refused(tmp_path):
    db = str(tmp_path / "c.db")
    with (lease.SQLiteWorkerLock(db),
          pytest.raises(lease.WorkerLockError, match="already runs on the SQLite store"),
          lease.SQLiteWorkerLock(db)):
        pass
    with lease.SQLiteWorkerLock(db):  # free again once the first stopped
        pass
