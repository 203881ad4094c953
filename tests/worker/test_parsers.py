"""Feeds parsed in separate processes: same results as in-process, a dead or stuck parser costs
its feed only, nothing started before it is needed, nothing left behind."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import ROOT
from tests.worker.feed_server import CORPUS, FEEDPARSER_CRASH, XXE, generated_feed
from worker.parse import ParseError, parse_feed
from worker.parsers import ParserPool


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is dead too
        return f.read().split(")")[1].split()[0] != "Z"


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the feed corpus is not at {CORPUS}")
def test_the_corpus_parses_in_processes_exactly_as_in_this_one():
    bodies = [p.read_bytes() for p in sorted(CORPUS.glob("*.xml"))]
    with ParserPool(size=2) as pool:
        results = []
        threads = [threading.Thread(target=lambda b=b: results.append((b, pool.parse(b, {}))))
                   for b in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(pool.pids()) <= 2
    assert len(results) == len(bodies)
    assert all(parsed == parse_feed(body, {}) for body, parsed in results)


def test_a_feed_the_parser_refuses_or_chokes_on_is_that_feeds_error_and_the_process_goes_on():
    with ParserPool(size=1) as pool:
        with pytest.raises(ParseError, match="XML entities"):
            pool.parse(XXE, {})
        with pytest.raises(ParseError, match="feedparser failed on this document: TypeError"):
            pool.parse(FEEDPARSER_CRASH, {})
        (pid,) = pool.pids()
        assert pool.parse(generated_feed(1), {}).title == "Generated 1"
        assert pool.pids() == [pid]


def test_a_parser_process_killed_mid_parse_fails_that_feed_only_and_is_replaced():
    big = generated_feed(0, items=20_000)
    with ParserPool(size=1) as pool:
        outcomes: dict[str, str] = {}

        def parse(name, body):
            try:
                outcomes[name] = pool.parse(body, {}).title
            except ParseError as e:
                outcomes[name] = str(e)

        first = threading.Thread(target=parse, args=("big", big))
        first.start()
        deadline = time.monotonic() + 10
        while not pool.pids() and time.monotonic() < deadline:
            time.sleep(0.01)
        (pid,) = pool.pids()
        waiting = threading.Thread(target=parse, args=("small", generated_feed(2)))
        waiting.start()  # waits for the only child
        time.sleep(0.3)  # the child is reading or parsing the 6 MB feed
        os.kill(pid, signal.SIGKILL)
        first.join(20)
        waiting.join(20)
        assert "parser process died (killed by SIGKILL)" in outcomes["big"], outcomes
        assert outcomes["small"] == "Generated 2"  # a new child took the waiting feed
        assert pool.pids() and pool.pids() != [pid]


def test_a_parse_overrunning_its_time_is_stopped():
    with ParserPool(size=1, timeout=0.3) as pool:
        with pytest.raises(ParseError, match="took longer than 0.3 s"):
            pool.parse(generated_feed(0, items=20_000), {})
        assert pool.parse(generated_feed(3), {}).title == "Generated 3"


def test_closing_stops_every_parser_process_and_refuses_more_work():
    pool = ParserPool(size=2)
    barrier = threading.Barrier(2)

    def parse(n):
        barrier.wait()
        pool.parse(generated_feed(n, items=2000), {})

    threads = [threading.Thread(target=parse, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pids = pool.pids()
    assert len(pids) == 2
    pool.close()
    assert not any(alive(pid) for pid in pids)
    with pytest.raises(ParseError, match="closed"):
        pool.parse(generated_feed(1), {})


def test_feeds_waiting_for_a_child_when_the_pool_closes_are_refused_not_stuck():
    pool = ParserPool(size=1)
    outcomes = []

    def parse(n):
        try:
            pool.parse(generated_feed(n, items=3000), {})
            outcomes.append("parsed")
        except ParseError as e:
            outcomes.append(str(e))

    threads = [threading.Thread(target=parse, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.2)  # one is parsed, three wait
    pool.close()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)
    assert "parsed" in outcomes and any("closed" in o for o in outcomes), outcomes


def test_children_outlive_no_parent_and_importing_starts_none():
    """The pool starts nothing at import; a child whose parent was killed exits by itself."""
    script = (
        "import os, sys, time\n"
        "import coalition.service, worker.ingest, worker.parsers\n"
        "assert not open(f'/proc/self/task/{os.getpid()}/children').read().split()\n"
        "pool = worker.parsers.ParserPool(size=1)\n"
        "pool.parse(b'<rss><channel><title>t</title></channel></rss>', {})\n"
        "print(pool.pids()[0], flush=True)\n"
        "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        child = int(parent.stdout.readline())
        assert alive(child)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


def test_a_child_counts_its_own_memory_not_its_parents():
    """A parent that once held 600 MB must not make every child retire as too big."""
    script = (
        "import sys; sys.path.insert(0, '.')\n"
        "ballast = bytearray(600 * 1024 * 1024); ballast[::4096] = b'x' * len(ballast[::4096])\n"
        "del ballast\n"
        "from worker.parsers import ParserPool\n"
        "with ParserPool(size=1) as pool:\n"
        "    for _ in range(3):\n"
        "        pool.parse(b'<rss><channel><title>t</title></channel></rss>', {})\n"
        "    print(len(set(pool.pids())), round(pool.peak_rss_mb))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    children, peak_mb = map(int, done.stdout.split())
    assert children == 1 and peak_mb < 200, (done.stdout, done.stderr[-2000:])
