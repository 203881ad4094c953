import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from icalendar import Calendar

from tests.bot.slack_stub import SlackAPI
from tests.conftest import EXAMPLE
from tests.smtp_server import wait_for
from tests.worker.feed_server import FeedServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args, env, cwd):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("COALITION_", "SLACK_"))}
    full.update(env)
    return subprocess.Popen([sys.executable, "-m", "coalition.cli", *args], cwd=cwd, env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_healthy(url: str, proc, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "examples").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "examples" / EXAMPLE.name)
    return tmp_path


def test_run_serves_health_and_calendar_syncs_the_data_and_stops_on_sigterm(workdir):
    port = free_port()
    proc = start(["run", "--port", str(port)], {"COALITION_LOG_FORMAT": "json"}, workdir)
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        assert health.json()["status"] == "ok"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the data-file job syncs the example at start
            cal = httpx.get(f"http://127.0.0.1:{port}/calendar.ics", timeout=5)
            if b"5th IMG E-waste meeting" in cal.content:
                break
            time.sleep(0.3)
        parsed = Calendar.from_ical(cal.content)
        summaries = [str(e.get("summary")) for e in parsed.walk("VEVENT")]
        assert "5th IMG E-waste meeting" in summaries
        assert any(s.startswith("Due: Distribute draft Terms of Reference") for s in summaries)
        ws2 = Calendar.from_ical(httpx.get(f"http://127.0.0.1:{port}/calendar.ics?ws=ws2").content)
        assert all("ws1" not in str(e.get("uid")) for e in ws2.walk("VEVENT"))
        assert "sync-data-file" in httpx.get(f"http://127.0.0.1:{port}/healthz").json()["jobs"]
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'coalition_job_failing{job="sync-data-file"} 0.0' in metrics
        assert "coalition_feed_entries 0.0" in metrics
        assert 'coalition_command_seconds_count{command="/healthz"}' in metrics
        second = start(["worker"], {}, workdir)
        _, err = second.communicate(timeout=30)
        assert second.returncode == 1
        assert "already runs on the SQLite store" in err
    finally:
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0, stderr
    assert time.monotonic() - started < 10
    assert '"job": "sync-data-file"' in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("command", ["run", "serve"])
def test_a_port_in_use_stops_at_once_with_one_error_line(workdir, command):
    """Never a worker running without the HTTP side it was asked for; never uvicorn's own
    exit code (3) in place of ours."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = start([command, "--port", str(port)], {"COALITION_LOG_FORMAT": "json"}, workdir)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert '"job": "sync-data-file"' not in stderr  # no job ran
    assert "Traceback" not in stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_on_a_signal_with_exit_code_0(workdir, sig):
    port = free_port()
    proc = start(["serve", "--port", str(port)], {"COALITION_LOG_FORMAT": "json"}, workdir)
    try:
        assert wait_healthy(f"http://127.0.0.1:{port}/healthz", proc).status_code == 200
    finally:
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_calendar_export_validates_with_icalendar(workdir):
    out = workdir / "c.ics"
    subprocess.run([sys.executable, "-m", "coalition.cli", "sync"], cwd=workdir, check=True,
                   capture_output=True)
    result = subprocess.run([sys.executable, "-m", "coalition.cli", "calendar", "export",
                             "--out", str(out)], cwd=workdir, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    cal = Calendar.from_ical(out.read_bytes())
    events = list(cal.walk("VEVENT"))
    uids = [str(e["uid"]) for e in events]
    assert len(uids) == len(set(uids))
    assert "meeting-img-5@coalition-desk" in uids
    assert "deadline-tor-ws1-ws2-draft@coalition-desk" in uids
    # known only by its month: left out until it has a day, never shown on the 1st
    assert "meeting-img-6@coalition-desk" not in uids
    tor = next(e for e in events if str(e["uid"]) == "deadline-tor-ws1-ws2-draft@coalition-desk")
    assert "(date to be confirmed)" in str(tor["summary"])
    assert tor.decoded("dtstart") == dt.date(2017, 11, 30)  # by the end of November
    img5 = next(e for e in events if str(e["uid"]) == "meeting-img-5@coalition-desk")
    assert img5["dtstart"].params["TZID"] == "Europe/Zurich"
    assert {str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")} == {"Europe/Zurich"}


def test_a_simulated_week_runs_every_job_once_each(workdir, smtp):
    """Started on Sunday 19 November 2017, a week passes in about eight seconds: the service
    sends Monday's digest at 09:00 (a new store sends none on start), reminds Slack of the
    draft Terms of Reference 7 days before they are due, and sends next Monday's digest: each
    once."""
    port = free_port()
    with SlackAPI() as slack, FeedServer() as feeds:
        (workdir / "coalition.toml").write_text(
            f'[feeds]\nallow_private = true\n[[feeds.sources]]\nurl = "{feeds.url}/gen/5"\n'
            'kind = "news"\n')
        proc = start(["--config", "coalition.toml", "run", "--port", str(port)], {
            "COALITION_LOG_FORMAT": "json", "COALITION_CLOCK_TODAY": "2017-11-19",
            "COALITION_CLOCK_SPEED": "75000", "COALITION_EMAIL_TRANSPORT": "smtp",
            "COALITION_SECRET_KEY": "k" * 32,
            "COALITION_EMAIL_BASE_URL": "https://desk.example.org",
            "COALITION_EMAIL_SMTP_HOST": "127.0.0.1",
            "COALITION_EMAIL_SMTP_PORT": str(smtp.port),
            "COALITION_EMAIL_SMTP_SECURITY": "none", "COALITION_SLACK_ENABLED": "true",
            "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s" * 32,
            "SLACK_API_URL": slack.api_url, "COALITION_SLACK_REMINDERS_CHANNEL": "C0REMIND"},
            workdir)
        try:
            wait_for(lambda: len(smtp.messages) >= 26, timeout=40)
            time.sleep(1)
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        finally:
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=15)
        posts = [c.args for c in slack.of("chat.postMessage")]
    tor = [p for p in posts if "Distribute draft Terms of Reference" in p.get("text", "")]
    assert len(tor) == 1, posts
    assert "due in 7 days" in tor[0]["text"] and tor[0]["channel"] == "C0REMIND"
    assert "xoxb-test" not in stderr  # secrets never reach the logs
    assert proc.returncode == 0, stderr
    weeks = sorted({m["Message-ID"].split("-")[1] + "-" + m["Message-ID"].split("-")[2]
                    for m in smtp.messages})
    assert weeks[:2] == ["2017-W47", "2017-W48"]
    for week in weeks[:2]:
        to = [m["To"] for m in smtp.messages if f"-{week}-" in m["Message-ID"]]
        assert len(to) == len(set(to)) == 13, week
    assert "coalition_feed_entries 5.0" in metrics  # the local feed was polled
    assert feeds.httpd.hits.get("/gen/5", 0) >= 2  # and polled again on its interval
    for job in ("sync-data-file", "poll-feeds", "weekly-digest", "slack-reminders"):
        assert f'"job": "{job}"' in stderr


def test_the_data_file_watcher_refuses_a_file_that_would_retire_most_logs_it_once_and_moves_on(
        example_engine, tmp_path, caplog):
    """`coalition run` re-syncs the file when it changes: emptied while being edited, it is
    refused (nothing retired), said in the log, and not tried again until it changes."""
    import datetime as dt
    import logging

    from coalition.config import load_config
    from coalition.service import DataFileWatcher
    from tests.conftest import NOW, runtime_for
    from tests.store.test_sync import dump

    data = tmp_path / "data.toml"
    data.write_text(EXAMPLE.read_text())
    watcher = DataFileWatcher(runtime_for(example_engine, load_config(
        env={"COALITION_COALITION_DATA": str(data)})))
    stop = threading.Event()
    assert watcher(NOW, stop) == "no changes"
    before = dump(example_engine)
    data.write_text("")
    with caplog.at_level(logging.WARNING, logger="coalition.service"):
        said = watcher(NOW + dt.timedelta(minutes=1), stop)
        again = watcher(NOW + dt.timedelta(minutes=2), stop)
    assert said.startswith(f"refused: {data} would retire 14 of 14 organisations")
    assert again == "unchanged"
    assert dump(example_engine) == before
    (record,) = [r for r in caplog.records if "not synced" in r.getMessage()]
    assert "--allow-retire" in record.getMessage()
    data.write_text(EXAMPLE.read_text())
    assert watcher(NOW + dt.timedelta(minutes=3), stop) == "no changes"
