"""Whether the service is healthy, as `/healthz` and `/metrics` report it.

Unhealthy when the store cannot be reached or written, when a job's last run failed, when its
last run could not be recorded (the store refused the write: known to the process that ran
it), or when its lease is held by a process that is gone (on this host: a lease names its
holder `host:pid`; another host's processes cannot be seen from here). The facts come from
the store and from this process; `problems` says them in words.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from store.engine import StoreError, store_problem
from worker import lease


class Unrecorded:
    """The jobs whose last run this process could not record in the store, and why."""

    def __init__(self):
        self._why: dict[str, str] = {}
        self._lock = threading.Lock()

    def failed(self, job: str, why: str) -> None:
        with self._lock:
            self._why[job] = why[:300]

    def recorded(self, job: str) -> None:
        with self._lock:
            self._why.pop(job, None)

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return dict(self._why)


@dataclass(frozen=True)
class JobHealth:
    name: str
    last_success_at: dt.datetime | None = None
    last_error: str = ""
    unrecorded: str = ""  # why this process could not record its last run; "" if it could
    lease_owner: str = ""
    lease_until: dt.datetime | None = None
    holder_gone: bool = False  # the lease is live and its holder, on this host, is not

    @property
    def problems(self) -> list[str]:
        found = []
        if self.last_error:
            found.append(f"job {self.name}: its last run failed: {self.last_error[:200]}")
        if self.unrecorded:
            found.append(f"job {self.name}: its last run could not be recorded: "
                         f"{self.unrecorded}")
        if self.holder_gone:
            until = f"{self.lease_until:%Y-%m-%d %H:%M:%S}"
            found.append(f"job {self.name}: its lease is held until {until} UTC by "
                         f"{self.lease_owner}, a process that is gone")
        return found


@dataclass(frozen=True)
class Health:
    store: str = "ok"  # or what is wrong with it
    jobs: list[JobHealth] = field(default_factory=list)
    reachable: bool = True  # False: the store did not answer at all

    @property
    def problems(self) -> list[str]:
        found = [] if self.store == "ok" else [f"store: {self.store}"]
        return found + [p for job in self.jobs for p in job.problems]

    @property
    def ok(self) -> bool:
        return not self.problems


def job_health(run, *, now: dt.datetime, unrecorded: str = "",
               gone: Callable[[str], bool] = lease.holder_gone) -> JobHealth:
    """A job's health from its `JobRun` row at `now`."""
    held = bool(run.lease_owner) and run.lease_until is not None and run.lease_until > now
    return JobHealth(name=run.name, last_success_at=run.last_success_at,
                     last_error=run.last_error or "", unrecorded=unrecorded,
                     lease_owner=run.lease_owner if held else "",
                     lease_until=run.lease_until if held else None,
                     holder_gone=held and gone(run.lease_owner))


def check(engine: Engine, *, now: dt.datetime,
          unrecorded: Mapping[str, str] | None = None) -> Health:
    """The service's health: the store, then each job the store or this process knows."""
    unrecorded = dict(unrecorded or {})
    try:
        problem = store_problem(engine)
        runs = lease.runs(engine)
    except StoreError as e:
        return Health(store=str(e)[:300], reachable=False, jobs=[
            JobHealth(name=name, unrecorded=why) for name, why in sorted(unrecorded.items())])
    host = socket.gethostname()
    jobs = [job_health(run, now=now, unrecorded=unrecorded.pop(run.name, ""),
                       gone=lambda owner: lease.holder_gone(owner, host=host)) for run in runs]
    jobs += [JobHealth(name=name, unrecorded=why) for name, why in sorted(unrecorded.items())]
    return Health(store=problem or "ok", jobs=sorted(jobs, key=lambda j: j.name))
