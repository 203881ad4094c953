"""Feeds parsed in separate processes: feedparser's work spread over the cores, and a feed that
crashes or hangs the parser costs that feed only.

A `ParserPool` keeps up to `size` long-lived `python -m worker.parsers` processes, started on
first use (never at import) and reused across polls until `close()`. Each parses one feed at a
time: the request is the body and its headers, the reply the parsed feed as JSON (plain data:
nothing a child sends is unpickled). A child that dies, or overruns `timeout` and is killed,
is replaced, and only the feed it was parsing gets the error. A child whose memory peaked past
`MAX_RSS_MB` answers, then retires. Children ignore SIGINT and SIGTERM, so the poll in hand
finishes on a stop: the parent closes them, and they exit by themselves if it goes away (their
stdin closes). They get no secrets: only a minimal environment.

Not `concurrent.futures.ProcessPoolExecutor`: forking a threaded process (`coalition run` has
HTTP and Slack threads) can deadlock the child (Python 3.12 warns); spawn and forkserver make
each child, or the fork server, re-import the main module, the whole CLI, about a second; and
one dead worker breaks the pool for every feed in flight, not just the one that killed it.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import importlib.util
import json
import logging
import math
import os
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from worker.parse import ParsedEntry, ParsedFeed, ParseError, parse_feed

log = logging.getLogger("coalition.feeds")
REQUEST = struct.Struct("!II")  # sizes of the JSON metadata and of the body that follow
REPLY = struct.Struct("!I")  # size of the JSON reply that follows
READY = b"R"  # what a child says first, once started
STARTUP_TIMEOUT = 60.0
MAX_RSS_MB = 512
_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH")


def available_cpus() -> int:
    """The CPUs this process may use: its affinity, capped by a cgroup v2 quota (a container's
    --cpus), which the affinity does not show."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cpus


class ParserPool:
    """Parse feeds in up to `size` child processes (default: one per available CPU)."""

    def __init__(self, size: int = 0, *, timeout: float = 60.0):
        self.size = size or available_cpus()
        self.timeout = timeout
        self.peak_rss_mb = 0.0  # the most memory a child has held
        self._lock = threading.Lock()
        self._idle: list[_Parser] = []
        self._started: set[_Parser] = set()  # idle or busy
        self._running = 0  # children started or starting
        self._waiting: collections.deque[_Job] = collections.deque()
        self._closed = False

    def parse(self, body: bytes, headers: dict[str, str], url: str = "") -> ParsedFeed:
        """Like `parse_feed`, in a child; any failure is a `ParseError` for this feed."""
        job = _Job(body, headers, url)
        parser = self._assign(job)
        try:
            reply = parser.answer(job, self.timeout)
        except BaseException as e:
            parser.kill()
            self._release(parser, keep=False)
            if isinstance(e, _ParserGone):
                raise ParseError(str(e)) from None
            raise
        self._release(parser, keep=not reply.get("retire"), peak_rss_kb=reply["peak_rss_kb"])
        if "error" in reply:
            raise ParseError(reply["error"])
        return _decode(reply["feed"])

    def warm(self) -> None:
        """Start the children now, so they import while the first feeds are fetched."""
        with self._lock:
            missing = 0 if self._closed else self.size - self._running
            self._running += missing
        for _ in range(missing):
            with contextlib.suppress(ParseError):  # parse() will say why
                self._release(self._start(), keep=True)

    def pids(self) -> list[int]:
        """The children's process ids (for operators and tests)."""
        with self._lock:
            return sorted(p.process.pid for p in self._started)

    def close(self) -> None:
        """Stop the children (each finishes the feed in hand first); safe to call twice."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._started.difference_update(idle)
            self._running -= len(idle)
            waiting, self._waiting = self._waiting, collections.deque()
        for job in waiting:
            job.handed.set()  # to find the pool closed
        for parser in idle:
            parser.close()
        if idle:
            log.info("stopped %d parser processes", len(idle))

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _assign(self, job: _Job) -> _Parser:
        """A child with the job sent to it: an idle one, a new one, or the next one freed (its
        former user sends the job at once, so the child does not wait for this thread)."""
        with self._lock:
            if self._closed:
                raise ParseError("the parser pool is closed (the worker is stopping)")
            parser = self._idle.pop() if self._idle else None
            if parser is None and self._running < self.size:
                self._running += 1
                job.start_own = True
            elif parser is None:
                self._waiting.append(job)
        if parser is None and not job.start_own:
            job.handed.wait()
            if job.parser is not None:
                return job.parser  # already sent
            if not job.start_own:
                raise ParseError("the parser pool is closed (the worker is stopping)")
        if parser is None:
            parser = self._start()
        parser.send(job)
        return parser

    def _start(self) -> _Parser:
        """A new child; `_running` already counts it."""
        try:
            parser = _Parser.start()
        except OSError as e:
            self._release(None, keep=False)
            raise ParseError(f"cannot start a parser process: {e}") from e
        with self._lock:
            self._started.add(parser)
        return parser

    def _release(self, parser: _Parser | None, *, keep: bool, peak_rss_kb: int = 0) -> None:
        """The child is free again (or gone): to the next waiting job, else idle."""
        handed = None
        with self._lock:
            self.peak_rss_mb = max(self.peak_rss_mb, peak_rss_kb / 1024)
            if keep and not self._closed:
                if self._waiting:
                    handed = self._waiting.popleft()
                    handed.parser = parser
                else:
                    self._idle.append(parser)
            else:
                self._running -= 1
                self._started.discard(parser)
                if self._waiting and not self._closed:  # it starts a child of its own
                    handed = self._waiting.popleft()
                    handed.start_own = True
                    self._running += 1
        if handed is not None:
            if handed.parser is not None:
                handed.parser.send(handed)
            handed.handed.set()
        if parser is not None and (not keep or self._closed):
            parser.close()


class _Job:
    """One feed to parse, waiting for a child or sent to one."""

    def __init__(self, body: bytes, headers: dict[str, str], url: str = ""):
        meta = json.dumps({"headers": headers, "url": url}).encode()
        self.request = REQUEST.pack(len(meta), len(body)) + meta + body
        self.handed = threading.Event()
        self.parser: _Parser | None = None  # the child it was sent to, when another did so
        self.start_own = False  # this job's thread starts a new child for it
        self.unsent = False  # the child was gone before it could take the request


class _ParserGone(Exception):
    pass


class _Parser:
    """One child process and its pipes: one job at a time."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.ready = False  # it says so once it has imported what it needs

    @classmethod
    def start(cls) -> _Parser:
        env = {k: v for k, v in os.environ.items() if k in _ENVIRONMENT}
        here = str(Path(__file__).resolve().parent.parent)  # where `worker` is importable from
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
        return cls(subprocess.Popen([sys.executable, "-m", "worker.parsers"], env=env,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE))

    def send(self, job: _Job) -> None:
        try:
            self.process.stdin.write(job.request)
            self.process.stdin.flush()
        except OSError:  # BrokenPipeError: it died before reading
            job.unsent = True

    def answer(self, job: _Job, timeout: float) -> dict:
        if job.unsent:
            raise self._gone()
        if not self.ready:  # the time allowed is for parsing, not for starting Python
            self._read(len(READY), time.monotonic() + STARTUP_TIMEOUT,
                       f"the parser process did not start within {STARTUP_TIMEOUT:g} s")
            self.ready = True
        deadline = time.monotonic() + timeout
        too_slow = f"the parser took longer than {timeout:g} s on this feed: stopped"
        (size,) = REPLY.unpack(self._read(REPLY.size, deadline, too_slow))
        return json.loads(self._read(size, deadline, too_slow))

    def _read(self, size: int, deadline: float, too_slow: str) -> bytes:
        fd = self.process.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        chunks, got = [], 0
        while got < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                self.kill()
                raise _ParserGone(too_slow)
            chunk = os.read(fd, min(size - got, 1 << 20))
            if not chunk:
                raise self._gone()
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _gone(self) -> _ParserGone:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.returncode
        return _ParserGone(f"the parser process died ({_how(code)}) while parsing this feed")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def close(self) -> None:
        try:
            self.process.stdin.close()  # the child reads the end of its input and exits
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self.process.stdout.close()


def _how(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _encode(feed: ParsedFeed) -> dict:
    return {"title": feed.title, "warning": feed.warning, "entries": [
        [e.identity, e.guid, e.link, e.title, e.summary_html, e.content_html, e.author,
         e.published_at.isoformat() if e.published_at else None, e.content_hash]
        for e in feed.entries]}


def _decode(data: dict) -> ParsedFeed:
    return ParsedFeed(title=data["title"], warning=data["warning"], entries=[
        ParsedEntry(identity=i, guid=g, link=link, title=t, summary_html=s, content_html=c,
                    author=a, published_at=dt.datetime.fromisoformat(p) if p else None,
                    content_hash=h)
        for i, g, link, t, s, c, a, p, h in data["entries"]])


def _answer(body: bytes, headers: dict[str, str], url: str) -> dict:
    try:
        return {"feed": _encode(parse_feed(body, headers, url))}
    except ParseError as e:
        return {"error": str(e)}
    except Exception as e:  # feedparser blew up on this feed: its error; the process goes on
        return {"error": f"the parser failed on this feed: {type(e).__name__}: {e}"[:1000]}


def _peak_rss_kb() -> int:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: Linux folds into it the
    peak of the process it was forked from, at exec."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def serve() -> None:
    """The child: answer requests on stdin until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    import feedparser.api

    from worker.parse import load_feedparser

    load_feedparser()  # imported now, before the parent is told this child is ready
    if importlib.util.find_spec("drv_libxml2") is None:
        # feedparser prefers this SAX driver and, when it is not installed, searches sys.path
        # for it again on every parse; in this process of ours, it stops asking
        feedparser.api.PREFERRED_XML_PARSERS = []
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into a reply
    replies.write(READY)
    replies.flush()
    while True:
        head = requests.read(REQUEST.size)
        if len(head) < REQUEST.size:
            return
        meta_size, body_size = REQUEST.unpack(head)
        meta = json.loads(requests.read(meta_size))
        reply = _answer(requests.read(body_size), meta["headers"], meta.get("url", ""))
        reply["peak_rss_kb"] = _peak_rss_kb()
        if reply["peak_rss_kb"] > MAX_RSS_MB * 1024:
            reply["retire"] = True
        data = json.dumps(reply).encode()
        replies.write(REPLY.pack(len(data)) + data)
        replies.flush()
        if reply.get("retire"):
            return


if __name__ == "__main__":
    serve()
