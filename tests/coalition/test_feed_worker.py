"""`coalition worker` parses feeds in processes it keeps from one poll to the next and stops
when it stops."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import EXAMPLE, ROOT
from tests.smtp_server import wait_for
from tests.worker.feed_server import FeedServer


def parser_process(pid: int) -> tuple[int, bytes] | None:
    """(parent pid, command line) of a live process, None if gone (or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    state, parent = stat.rsplit(")", 1)[1].split()[:2]
    return None if state == "Z" else (int(parent), cmdline)


def parser_processes(parent: int) -> set[int]:
    """The live `python -m worker.parsers` children of `parent`."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            process = parser_process(int(entry.name))
            if process and process[0] == parent and b"worker.parsers" in process[1]:
                found.add(int(entry.name))
    return found


def test_the_worker_reuses_its_parser_processes_and_stops_them_when_it_stops(tmp_path):
    with FeedServer() as feeds:
        (tmp_path / "coalition.toml").write_text(
            f'[store]\nurl = "sqlite:///{tmp_path}/store.db"\n'
            f'[coalition]\ndata = "{EXAMPLE}"\n'
            "[feeds]\nallow_private = true\ninterval_minutes = 1\n"
            f'[[feeds.sources]]\nurl = "{feeds.url}/ticking"\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COALITION_", "SLACK_"))}
        env["COALITION_CLOCK_SPEED"] = "30"  # a poll every 2 s, the feed due at each
        proc = subprocess.Popen(
            [sys.executable, "-m", "coalition.cli", "--config", str(tmp_path / "coalition.toml"),
             "worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        try:
            wait_for(lambda: feeds.httpd.hits.get("/ticking", 0) >= 1, timeout=30)
            wait_for(lambda: parser_processes(proc.pid), timeout=10)
            first = parser_processes(proc.pid)
            wait_for(lambda: feeds.httpd.hits.get("/ticking", 0) >= 3, timeout=30)
            time.sleep(0.5)  # the third poll parsed its (changed) feed
            assert parser_processes(proc.pid) == first  # the same processes, reused
        finally:
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr[-3000:]
    assert "poll-feeds" in stderr
    assert f"stopped {len(first)} parser processes" in stderr  # by the worker, on its way out
    left = [pid for pid in first
            if (process := parser_process(pid)) and b"worker.parsers" in process[1]]
    assert not left, f"parser processes {left} outlived the worker"
