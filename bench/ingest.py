"""Benchmark: feed ingestion on the captured corpus plus 500 generated feeds, served locally.

Prints JSON; each figure is a ratio against a floor measured in the same run:
- our first poll (fetch, parse, sanitize, store), in-process, vs bare `feedparser.parse` of the
  same bytes with feedparser's default settings (target <= 0.5);
- an unchanged re-poll (conditional GET, 304s) vs our first poll (target <= 0.1);
- 500 feeds each answering after 200 ms, vs fetching them one after another (target < 0.1);
- `coalition feeds poll` vs `r2e run --no-send` (rss2email), each a fresh process with its own
  config and state, first poll and unchanged re-poll (targets: >= 4x faster; re-poll no
  slower). rss2email is installed in a venv of its own, bench/.rss2email-venv (made on the
  first run with pip; `--rss2email-venv` to use another); without it that part is skipped.

The feeds are served by a separate process (a small asyncio HTTP/1.1 server, keep-alive,
responses built once), the same server for us and for rss2email, so the server does not
compete with the poller for the GIL. The bare parse reads the very bytes the server sends.

    python bench/ingest.py [--generated 500] [--skip-rss2email]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.worker.feed_server import CORPUS, generated_feed  # noqa: E402

GENERATED_ITEMS = 20
NOW = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
R2E_VENV = ROOT / "bench" / ".rss2email-venv"
R2E_VERSION = "3.14"  # what a new venv gets; an existing one is used as it is


def feed_bodies(generated: int) -> dict[str, bytes]:
    """What the server serves, by path: the corpus, then the generated feeds."""
    bodies = {f"/corpus/{p.name}": p.read_bytes() for p in sorted(CORPUS.glob("*.xml"))}
    bodies.update({f"/gen/{i}": generated_feed(i, items=GENERATED_ITEMS)
                   for i in range(generated)})
    return bodies


# --- the feed server, in a process of its own ------------------------------------------------

class FeedProtocol(asyncio.Protocol):
    """A minimal HTTP/1.1 server for GETs: keep-alive unless the client says close (urllib
    does), ETag and If-None-Match, responses built once. The server is not what is measured,
    so it is made cheap: an `http.server` spent more CPU than some of what it served."""

    feeds: dict[str, tuple[bytes, bytes]] = {}  # path -> (200 response, 304 response)
    etags: dict[str, str] = {}
    delay = 0.0
    counts = {"200": 0, "304": 0}

    def connection_made(self, transport):
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
                                                      1)
        self.transport, self.buffer = transport, b""

    def data_received(self, data):
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:])}
            close = headers.get("connection", "").lower() == "close" or \
                lines[0].endswith("HTTP/1.0")
            asyncio.get_running_loop().call_later(self.delay, self.respond, path, headers,
                                                  close)

    def respond(self, path: str, headers: dict[str, str], close: bool) -> None:
        if path == "/_stats":
            body = json.dumps(self.counts).encode()
            response = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n%b" % (len(body), body))
        elif path in self.feeds:
            unchanged = headers.get("if-none-match") == self.etags[path]
            self.counts["304" if unchanged else "200"] += 1
            response = self.feeds[path][1 if unchanged else 0]
        else:
            response = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        self.transport.write(response)
        if close:
            self.transport.close()


def serve(generated: int, delay: float) -> None:
    """Serve until stdin closes (the benchmark ended or died); print the address first."""
    for path, body in feed_bodies(generated).items():
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        FeedProtocol.etags[path] = etag
        FeedProtocol.feeds[path] = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nETag: %b\r\n"
            b"Content-Length: %d\r\n\r\n%b" % (etag.encode(), len(body), body),
            b"HTTP/1.1 304 Not Modified\r\nETag: %b\r\nContent-Length: 0\r\n\r\n"
            % etag.encode())
    FeedProtocol.delay = delay

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(FeedProtocol, "127.0.0.1", 0, backlog=1024)
        print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await loop.run_in_executor(None, sys.stdin.read)

    asyncio.run(main())


class FeedServerProcess:
    def __init__(self, generated: int, delay: float = 0.0):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--generated", str(generated),
             "--delay", str(delay)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()
        if not self.url:
            raise RuntimeError("the feed server did not start")

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.url}/_stats") as response:
            return json.load(response)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


def served_between(server: FeedServerProcess, before: dict) -> dict[str, int]:
    after = server.stats()
    return {k: after.get(k, 0) - before.get(k, 0) for k in ("200", "304")}


# --- in-process measurements -------------------------------------------------------------------

def bare_parse_seconds(bodies: list[bytes]) -> float:
    import feedparser

    from worker import speedups

    assert feedparser.SANITIZE_HTML and feedparser.RESOLVE_RELATIVE_URIS  # its defaults
    assert not speedups.installed()  # feedparser as anyone gets it
    t0 = time.perf_counter()
    for body in bodies:
        feedparser.parse(body)
    return time.perf_counter() - t0


def store_with(url: str, urls: list[str]):
    from store.engine import make_engine, unit_of_work
    from store.migrate import upgrade
    from store.models import Feed

    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        for feed_url in urls:
            session.add(Feed(url=feed_url, origin="cli"))
    return engine


def in_process(urls: list[str], server: FeedServerProcess, tmp: str) -> dict:
    from coalition.config import load_config
    from worker.ingest import poll_feeds

    config = load_config(None, env={"COALITION_FEEDS_ALLOW_PRIVATE": "true"})
    engine = store_with(f"sqlite:///{tmp}/first.db", urls)
    before, cpu = server.stats(), os.times()
    t0 = time.perf_counter()
    first = poll_feeds(engine=engine, config=config, now=NOW)
    first_seconds = time.perf_counter() - t0
    first_served, used = served_between(server, before), os.times()
    first_cpu = {"poller": round(used.user + used.system - cpu.user - cpu.system, 2),
                 "parser_processes": round(used.children_user + used.children_system
                                           - cpu.children_user - cpu.children_system, 2)}
    before = server.stats()
    t0 = time.perf_counter()
    again = poll_feeds(engine=engine, config=config, now=NOW, everything=True)
    again_seconds = time.perf_counter() - t0
    return {"first": first, "first_seconds": first_seconds, "first_served": first_served,
            "first_cpu": first_cpu,
            "again": again, "again_seconds": again_seconds,
            "again_served": served_between(server, before)}


def delayed(generated: int, tmp: str) -> tuple[float, float]:
    from coalition.config import load_config
    from worker.ingest import poll_feeds

    server = FeedServerProcess(generated, delay=0.2)
    try:
        urls = [f"{server.url}/gen/{i}" for i in range(generated)]
        engine = store_with(f"sqlite:///{tmp}/sequential.db", urls[:10])
        sequential_config = load_config(None, env={"COALITION_FEEDS_ALLOW_PRIVATE": "true",
                                                   "COALITION_FEEDS_CONCURRENCY": "1"})
        t0 = time.perf_counter()
        poll_feeds(engine=engine, config=sequential_config, now=NOW)
        sequential = (time.perf_counter() - t0) / 10 * len(urls)
        engine = store_with(f"sqlite:///{tmp}/concurrent.db", urls)
        config = load_config(None, env={"COALITION_FEEDS_ALLOW_PRIVATE": "true"})
        t0 = time.perf_counter()
        poll_feeds(engine=engine, config=config, now=NOW)
        return sequential, time.perf_counter() - t0
    finally:
        server.close()


# --- as processes: `coalition feeds poll` vs `r2e run --no-send` -------------------------------

def timed_run(command: list[str], cwd: str) -> tuple[float, subprocess.CompletedProcess]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COALITION_", "SLACK_"))}
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): "
                           f"{done.stderr[-2000:]}")
    return seconds, done


def compile_ours() -> None:
    """Byte-compile our packages, as `pip install .` does (rss2email's venv has its bytecode
    from pip): an editable install run with PYTHONDONTWRITEBYTECODE would compile every module
    at every start, which no deployment does."""
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    *(str(ROOT / p.removesuffix("*")) for p in packages if "." not in p)],
                   check=True, capture_output=True)


def ours_as_process(urls: list[str], server: FeedServerProcess, tmp: str) -> dict:
    compile_ours()
    work = Path(tmp) / "ours"
    work.mkdir()
    store_with(f"sqlite:///{work}/coalition.db", urls)
    (work / "coalition.toml").write_text(
        f'[store]\nurl = "sqlite:///{work}/coalition.db"\n[feeds]\nallow_private = true\n'
        '[log]\nformat = "text"\nlevel = "warning"\n')
    script = Path(sys.executable).parent / "coalition"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "coalition.cli"]
    command += ["--config", str(work / "coalition.toml"), "feeds", "poll", "--all"]
    result = {}
    for run in ("first", "again"):
        before = server.stats()
        seconds, done = timed_run(command, str(work))
        result[run] = {"seconds": round(seconds, 3), "served": served_between(server, before),
                       "said": done.stdout.strip()[-200:]}
    return result


def rss2email_venv(path: Path) -> tuple[Path | None, str]:
    """r2e from its own venv, made with pip on the first run; (None, why) if impossible."""
    r2e = path / "bin" / "r2e"
    if not r2e.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(path)], check=True,
                           capture_output=True, timeout=300)
            subprocess.run([str(path / "bin" / "python"), "-m", "pip", "install", "-q",
                            f"rss2email=={R2E_VERSION}"], check=True, capture_output=True,
                           text=True, timeout=600)
        except (subprocess.SubprocessError, OSError) as e:
            detail = getattr(e, "stderr", "") or ""
            return None, f"cannot install rss2email in {path}: {e} {detail[-500:]}".strip()
    version = subprocess.run([str(r2e), "--version"], capture_output=True, text=True)
    return r2e, (version.stdout or version.stderr).strip()


def rss2email_as_process(r2e: Path, urls: list[str], server: FeedServerProcess,
                         tmp: str) -> dict:
    """Its config and data file as `r2e new` + `r2e add` leave them, written directly (557
    `r2e add` processes would take minutes), then `r2e run --no-send` twice."""
    work = Path(tmp) / "rss2email"
    work.mkdir()
    config, data = work / "rss2email.cfg", work / "rss2email.json"
    timed_run([str(r2e), "-c", str(config), "-d", str(data), "new", "you@example.org"],
              str(work))
    names = [f"feed{i}" for i in range(len(urls))]
    with config.open("a") as f:
        for name, url in zip(names, urls, strict=True):
            f.write(f"\n[feed.{name}]\nurl = {url}\n")
    data.write_text(json.dumps({"version": 2, "feeds": [
        {"name": name, "etag": None, "modified": None, "seen": {}} for name in names]}))
    listed = subprocess.run([str(r2e), "-c", str(config), "-d", str(data), "list"],
                            capture_output=True, text=True).stdout
    assert listed.count("\n") >= len(urls), listed[-500:]
    result = {}
    for run in ("first", "again"):
        before = server.stats()
        seconds, done = timed_run([str(r2e), "-c", str(config), "-d", str(data), "run",
                                   "--no-send"], str(work))
        result[run] = {"seconds": round(seconds, 3), "served": served_between(server, before),
                       "log_errors": done.stderr.count("[ERROR]"),
                       "log_warnings": done.stderr.count("[WARNING]")}
    seen = json.loads(data.read_text())["feeds"]
    result["entries_seen"] = sum(len(f["seen"]) for f in seen)
    return result


def compare_with_rss2email(args, urls: list[str], server: FeedServerProcess, tmp: str) -> dict:
    if args.skip_rss2email:
        return {"skipped": "--skip-rss2email"}
    r2e, version = rss2email_venv(Path(args.rss2email_venv))
    if r2e is None:
        return {"skipped": version}
    ours = ours_as_process(urls, server, tmp)
    theirs = rss2email_as_process(r2e, urls, server, tmp)
    return {
        "rss2email_version": version,
        "how": "each a fresh process (start-up included) with its own config and state, "
               "against the same feed server: `coalition feeds poll --all` and `r2e run "
               "--no-send`. rss2email fetches one feed after another (it has no concurrency "
               "setting), parses with feedparser's defaults and, even with --no-send, builds "
               "each entry's message; it logs malformed feeds as errors and each 304 as an "
               "'empty page' warning, and handles both",
        "ours_cli_first_poll": ours["first"], "ours_cli_unchanged_repoll": ours["again"],
        "rss2email_first_run": theirs["first"], "rss2email_unchanged_rerun": theirs["again"],
        "rss2email_entries_seen": theirs["entries_seen"],
        "first_poll_times_faster_than_rss2email": round(
            theirs["first"]["seconds"] / ours["first"]["seconds"], 2),
        "target_first_poll_times_faster": 4.0,
        "repoll_ratio_ours_to_rss2email": round(
            ours["again"]["seconds"] / theirs["again"]["seconds"], 3),
        "target_repoll_ratio_to_rss2email": 1.0,
    }


def cpu_pressure() -> str:
    """How much other work competed for the CPU lately (Linux PSI), to read the figures by."""
    try:
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return f"load average {os.getloadavg()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=500)
    parser.add_argument("--skip-rss2email", action="store_true")
    parser.add_argument("--rss2email-venv", default=str(R2E_VENV))
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--delay", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.generated, args.delay)
        return
    pressure_before = cpu_pressure()
    served = feed_bodies(args.generated)
    bare = bare_parse_seconds(list(served.values()))
    server = FeedServerProcess(args.generated)
    try:
        urls = [server.url + path for path in served]
        with tempfile.TemporaryDirectory() as tmp:
            ours = in_process(urls, server, tmp)
            sequential, concurrent = delayed(args.generated, tmp)
            rss2email = compare_with_rss2email(args, urls, server, tmp)
    finally:
        server.close()
    first, again = ours["first"], ours["again"]
    print(json.dumps({
        "benchmark": "ingest",
        "feeds": len(urls), "generated_items_per_feed": GENERATED_ITEMS,
        "cpus": len(os.sched_getaffinity(0)),
        "entries_added": first.added, "failed": first.failed,
        "first_poll_served": ours["first_served"],
        "bare_feedparser_parse_seconds": round(bare, 3),
        "ours_first_poll_seconds": round(ours["first_seconds"], 3),
        "ours_first_poll_cpu_seconds": ours["first_cpu"],
        "ratio_first_poll_to_bare_parse": round(ours["first_seconds"] / bare, 3),
        "target_first_poll_ratio": 0.5,
        "ours_unchanged_repoll_seconds": round(ours["again_seconds"], 3),
        "unchanged_304": again.unchanged, "repoll_served": ours["again_served"],
        "ratio_repoll_to_first_poll": round(ours["again_seconds"] / ours["first_seconds"], 3),
        "target_repoll_ratio": 0.1,
        "delayed_200ms_sequential_seconds_estimated_from_10": round(sequential, 2),
        "delayed_200ms_concurrent_seconds": round(concurrent, 2),
        "ratio_concurrent_to_sequential": round(concurrent / sequential, 3),
        "target_concurrent_ratio": 0.1,
        "rss2email": rss2email,
        "cpu_pressure_before": pressure_before, "cpu_pressure_after": cpu_pressure(),
    }, indent=2))


if __name__ == "__main__":
    main()
