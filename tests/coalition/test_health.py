"""`/healthz` tells the truth, and `/metrics` says the same as gauges: a job whose last run
failed, a run that could not be recorded (a read-only store), a lease held by a process that
is gone, a store that cannot be reached."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

import httpx
import pytest
from sqlalchemy import event

from coalition.config import load_config
from coalition.service import build_jobs
from coalition.web import create_app
from store.engine import make_engine
from tests.conftest import EXAMPLE, ROOT, LiveServer, runtime_for
from worker import lease
from worker.health import JobHealth, job_health
from worker.loop import Job, Worker

NOW = dt.datetime(2017, 10, 6, 8, 0, tzinfo=dt.UTC)
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def _config():
    return load_config(env={"COALITION_COALITION_DATA": str(EXAMPLE),
                            "COALITION_CLOCK_TODAY": "2017-10-06"})


def _get(server, path):
    return httpx.get(server.url + path, timeout=10)


def _gauge(metrics: str, name: str) -> float:
    (line,) = [x for x in metrics.splitlines() if x.startswith(name + " ")]
    return float(line.split()[-1])


def test_a_failed_job_is_reported_until_it_runs_well_again(example_engine):
    runtime = runtime_for(example_engine, _config())
    outcome = {"fail": True}

    def digest(now, stop):
        if outcome["fail"]:
            raise RuntimeError("the SMTP server said 554")
        return "sent"

    worker = Worker(engine=example_engine, jobs=[Job("weekly-digest", 60, digest)],
                    now=lambda: NOW)
    with LiveServer(create_app(runtime, unrecorded=worker.unrecorded)) as server:
        worker.run_job(worker.jobs[0])
        health = _get(server, "/healthz")
        assert health.status_code == 503
        assert health.json()["problems"] == [
            "job weekly-digest: its last run failed: RuntimeError: the SMTP server said 554"]
        assert health.json()["jobs"]["weekly-digest"]["failing"] is True
        metrics = _get(server, "/metrics").text
        assert 'coalition_job_failing{job="weekly-digest"} 1.0' in metrics
        assert _gauge(metrics, "coalition_healthy") == 0
        outcome["fail"] = False
        worker.run_job(worker.jobs[0])
        assert _get(server, "/healthz").status_code == 200
        assert _gauge(_get(server, "/metrics").text, "coalition_healthy") == 1


def _read_only(engine):
    """A second engine on the same store that the database will not let write."""
    if engine.dialect.name == "postgresql":
        url = engine.url.render_as_string(hide_password=False)
        url = url.replace("options=", "options=-cdefault_transaction_read_only%3Don%20", 1)
        return make_engine(url)
    ro = make_engine(engine.url.render_as_string(hide_password=False))
    event.listen(ro, "connect", lambda conn, _record: conn.execute("PRAGMA query_only = 1"))
    return ro


def test_a_read_only_store_and_the_runs_it_could_not_record_are_reported(example_engine):
    ro = _read_only(example_engine)
    try:
        runtime = runtime_for(ro, _config())
        worker = Worker(engine=ro, jobs=build_jobs(runtime), now=lambda: NOW)
        for job in worker.jobs:  # each fails, or succeeds and cannot say so
            worker.run_job(job)
        with LiveServer(create_app(runtime, unrecorded=worker.unrecorded)) as server:
            health = _get(server, "/healthz")
            metrics = _get(server, "/metrics").text
    finally:
        ro.dispose()
    assert health.status_code == 503
    report = health.json()
    assert report["store"].startswith("read-only")
    names = [job.name for job in worker.jobs]
    assert names == ["sync-data-file", "poll-feeds", "weekly-digest"]
    for name in names:
        assert report["jobs"][name]["recorded"] is False, report
        assert any(p.startswith(f"job {name}: its last run could not be recorded")
                   for p in report["problems"]), report["problems"]
        assert f'coalition_job_unrecorded{{job="{name}"}} 1.0' in metrics
    assert _gauge(metrics, "coalition_store_writable") == 0
    assert _gauge(metrics, "coalition_store_up") == 1


def _hold_lease_and_die(engine, name: str) -> str:
    """A real process takes the job's lease, then is killed (SIGKILL: no chance to give it
    back). Returns its owner string."""
    url = engine.url.render_as_string(hide_password=False)
    code = (
        "import datetime as dt, os, socket, sys, time\n"
        "from store.engine import make_engine\n"
        "from worker import lease\n"
        f"engine = make_engine({url!r})\n"
        "owner = f'{socket.gethostname()}:{os.getpid()}'\n"
        f"assert lease.acquire(engine, {name!r}, owner, dt.datetime.now(dt.UTC), "
        "dt.timedelta(minutes=10))\n"
        "print(owner, flush=True)\n"
        "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    owner = proc.stdout.readline().strip()
    proc.kill()
    proc.wait(10)
    assert owner, "the process did not take the lease"
    return owner


@SQLITE_ONLY  # the lease row reads the same on both
def test_a_lease_held_by_a_process_that_is_gone_is_reported(example_engine):
    runtime = runtime_for(example_engine, _config())
    owner = _hold_lease_and_die(example_engine, "sync-data-file")
    with LiveServer(create_app(runtime)) as server:
        health = _get(server, "/healthz")
        metrics = _get(server, "/metrics").text
    assert health.status_code == 503
    (problem,) = health.json()["problems"]
    assert problem.startswith("job sync-data-file: its lease is held until ")
    assert problem.endswith(f"by {owner}, a process that is gone")
    assert health.json()["jobs"]["sync-data-file"]["lease"]["holder_gone"] is True
    assert 'coalition_job_lease_holder_gone{job="sync-data-file"} 1.0' in metrics


def test_a_store_that_cannot_be_reached_is_reported_and_metrics_still_answer():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = make_engine(f"postgresql://nobody@127.0.0.1:{port}/none")
    with LiveServer(create_app(runtime_for(engine, _config()))) as server:
        health = _get(server, "/healthz")
        metrics = _get(server, "/metrics")
    assert health.status_code == 503 and "cannot reach the store" in health.json()["store"]
    assert metrics.status_code == 200
    assert _gauge(metrics.text, "coalition_store_up") == 0
    assert _gauge(metrics.text, "coalition_healthy") == 0


# The rules, alone -----------------------------------------------------------------------


class _Run:
    def __init__(self, **kw):
        self.name, self.last_success_at, self.last_error = "sync-data-file", None, ""
        self.lease_owner, self.lease_until = "", None
        self.__dict__.update(kw)


@pytest.mark.parametrize("run, unrecorded, problems", [
    (_Run(), "", 0),
    (_Run(last_error="DataFileError: bad TOML"), "", 1),
    (_Run(), "StoreError: read-only", 1),
    (_Run(lease_owner="h:1", lease_until=NOW + dt.timedelta(minutes=5)), "", 1),  # gone
    (_Run(lease_owner="h:1", lease_until=NOW - dt.timedelta(seconds=1)), "", 0),  # expired
    (_Run(lease_owner="", lease_until=NOW + dt.timedelta(minutes=5)), "", 0),  # given back
])
def test_job_health_rules(run, unrecorded, problems):
    health = job_health(run, now=NOW, unrecorded=unrecorded, gone=lambda owner: True)
    assert isinstance(health, JobHealth) and len(health.problems) == problems


def test_a_lease_holder_is_gone_only_when_it_is_a_process_of_this_host_that_ended():
    host = socket.gethostname()
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not lease.holder_gone(f"{host}:{proc.pid}")
        assert not lease.holder_gone(f"another-host:{proc.pid}")
    finally:
        proc.kill()
        proc.wait(10)
    assert lease.holder_gone(f"{host}:{proc.pid}")
    assert not lease.holder_gone(f"another-host:{proc.pid}")  # cannot be seen from here
    assert not lease.holder_gone(f"{host}:{os.getpid()}")
    assert not lease.holder_gone("not an owner")
