"""One process at a time per job: a lease row per job, taken with one atomic UPDATE.

Works the same on SQLite and PostgreSQL: whoever's UPDATE matches the row (free, expired, or
already ours) holds the job until `until`; a crashed holder's lease simply expires.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
from pathlib import Path

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from coalition.errors import OperationError
from store.models import JobRun


class WorkerLockError(OperationError):
    """Another worker already runs on this SQLite store."""


def _ensure_row(engine: Engine, name: str) -> None:
    with Session(engine) as session:
        if session.exec(select(JobRun.id).where(JobRun.name == name)).first() is None:
            session.add(JobRun(name=name))
            try:
                session.commit()
            except IntegrityError:  # another process made it first
                session.rollback()


def acquire(engine: Engine, name: str, owner: str, now: dt.datetime,
            ttl: dt.timedelta) -> bool:
    """Take (or renew) the lease on job `name` for `owner`; False if another holds it."""
    _ensure_row(engine, name)
    with Session(engine) as session:
        result = session.execute(
            update(JobRun)
            .where(JobRun.name == name, or_(
                JobRun.lease_until.is_(None), JobRun.lease_until < now,
                JobRun.lease_owner == owner))
            .values(lease_owner=owner, lease_until=now + ttl, last_started_at=now)
        )
        session.commit()
        return result.rowcount == 1


def release(engine: Engine, name: str, owner: str, *, finished_at: dt.datetime,
            error: str | None) -> None:
    """Give the lease back and record how the run went."""
    values: dict = {"lease_owner": "", "lease_until": None}
    if error is None:
        values.update(last_success_at=finished_at, last_error="")
    else:
        values.update(last_error=error[:2000])
    with Session(engine) as session:
        session.execute(update(JobRun).where(JobRun.name == name, JobRun.lease_owner == owner)
                        .values(**values))
        session.commit()


def record(engine: Engine, name: str, *, finished_at: dt.datetime, error: str | None) -> None:
    """Record a run of a job that takes no lease."""
    _ensure_row(engine, name)
    values: dict = ({"last_success_at": finished_at, "last_error": ""} if error is None
                    else {"last_error": error[:2000]})
    with Session(engine) as session:
        session.execute(update(JobRun).where(JobRun.name == name).values(**values))
        session.commit()


def runs(engine: Engine) -> list[JobRun]:
    """Every job's row: its last run and its lease."""
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(JobRun).order_by(JobRun.name)))


def holder_gone(owner: str, *, host: str | None = None) -> bool:
    """True when the lease holder `host:pid` is a process of this host that no longer runs;
    False when it runs, or cannot be seen from here (another host, an owner of another
    shape)."""
    name, _, pid = owner.rpartition(":")
    if not pid.isdigit() or name != (host or socket.gethostname()):
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):  # another user's process; not a pid at all
        return False
    return False


class SQLiteWorkerLock:
    """An exclusive lock file beside the SQLite database: one worker per file."""

    def __init__(self, database: str):
        self.path = Path(f"{database}.worker.lock")
        self._fd: int | None = None

    def __enter__(self) -> SQLiteWorkerLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            os.close(fd)
            holder = self.path.read_text().strip() or "another process"
            raise WorkerLockError(
                f"another worker ({holder}) already runs on the SQLite store "
                f"{self.path.with_suffix('')}; SQLite takes one worker. Stop it, or use "
                "PostgreSQL (COALITION_STORE_URL) to run several.") from e
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
