"""The long-running loop: `schedule` jobs, each wrapped so a failure is logged and never kills
the loop, each run by one process at a time (a lease), with a clean stop on SIGTERM/SIGINT.

Jobs decide for themselves whether there is work due (the digest of this week not yet sent,
reminders due today): so a job that missed its time while the process was down runs once on
start when still relevant, and never twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import schedule
from sqlalchemy.engine import Engine

from worker import lease
from worker.health import Unrecorded

log = logging.getLogger("coalition.worker")


@dataclass
class Job:
    name: str
    every_seconds: float
    run: Callable[[dt.datetime, threading.Event], object]
    lease_seconds: float = 600.0
    # False for work that shares itself out safely (digest deliveries are claimed row by row
    # with SKIP LOCKED): every worker runs it, so the work spreads across them.
    exclusive: bool = True


class Worker:
    def __init__(self, *, engine: Engine, jobs: list[Job], now: Callable[[], dt.datetime],
                 speed: float = 1.0, owner: str | None = None):
        self.engine = engine
        self.jobs = jobs
        self.now = now
        self.speed = speed
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.stop = threading.Event()
        self.unrecorded = Unrecorded()  # for /healthz when the HTTP side shares the process
        self.scheduler = schedule.Scheduler()
        for job in jobs:
            self.scheduler.every(max(job.every_seconds / speed, 0.05)).seconds.do(
                self.run_job, job)

    def run_job(self, job: Job) -> None:
        """Run one job under its lease; log and record any failure, never raise."""
        if self.stop.is_set():
            return
        started = self.now()
        try:
            if job.exclusive and not lease.acquire(self.engine, job.name, self.owner, started,
                                                   dt.timedelta(seconds=job.lease_seconds)):
                log.debug("job %s is running elsewhere", job.name)
                return
        except Exception as e:
            log.exception("job %s: cannot take its lease (is the store reachable?)", job.name)
            self.unrecorded.failed(job.name, f"cannot take its lease: {type(e).__name__}: {e}")
            return
        error = None
        t0 = time.monotonic()
        try:
            result = job.run(started, self.stop)
            log.info("job %s done: %s", job.name, result if result is not None else "ok", extra={
                "job": job.name, "seconds": round(time.monotonic() - t0, 3),
                "result": str(result) if result is not None else ""})
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
            log.exception("job %s failed", job.name, extra={"job": job.name})
        try:
            if job.exclusive:
                lease.release(self.engine, job.name, self.owner, finished_at=self.now(),
                              error=error)
            else:
                lease.record(self.engine, job.name, finished_at=self.now(), error=error)
        except Exception as e:
            log.exception("job %s: cannot record its run", job.name)
            self.unrecorded.failed(job.name, f"{type(e).__name__}: {e}" if error is None
                                   else f"{error}; then {type(e).__name__}: {e}")
        else:
            self.unrecorded.recorded(job.name)

    def install_signal_handlers(self) -> None:
        def handle(signum, _frame):
            log.info("signal %s: finishing the job in hand, then stopping",
                     signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    def run_forever(self, *, tick: float = 0.2) -> None:
        """Run every job once at start (each catches up on what it missed), then on schedule."""
        log.info("worker %s started with jobs: %s", self.owner,
                 ", ".join(j.name for j in self.jobs))
        for job in self.jobs:
            self.run_job(job)
        while not self.stop.is_set():
            self.scheduler.run_pending()
            self.stop.wait(tick)
        log.info("worker %s stopped", self.owner)
