"""The threads that fetch and parse a poll's feeds, and hand their outcomes to the poll in
batches (`fetched`). Each outcome is a `Fetched` (parsed, unless unchanged) or the error that
feed ended in: whatever goes wrong with one feed is that feed's, and the others go on."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from coalition.errors import OperationError
from store.feeds import ClaimedFeed
from worker.fetch import Fetched, FetchError, Limits, fetch, make_transport
from worker.local import is_local, read_local
from worker.parse import ParsedFeed

log = logging.getLogger("coalition.feeds")
BATCH_WAIT = 0.05  # seconds a batch waits for more feeds to come in

Parse = Callable[[bytes, dict[str, str], str], ParsedFeed]
Outcome = tuple[ClaimedFeed, Fetched | Exception]


def fetched(feeds: Sequence[ClaimedFeed], limits: Limits, concurrency: int,
            parse: Parse) -> Iterator[list[Outcome]]:
    """Yield lists of (feed, outcome) as they come in, fetched by up to `concurrency` threads,
    each taking the next feed when it is done with one. A list is yielded once `concurrency`
    outcomes are in, or BATCH_WAIT after the first if fewer come (stored together, they cost
    less; the poll does not wait for company). A thread takes no new feed while twice
    `concurrency` outcomes wait to be stored, so fewer than three times `concurrency` fetched
    feeds are ever held: memory stays bounded."""
    if not feeds:
        return
    with make_transport() as transport:
        fetchers = _Fetchers(feeds, concurrency, (transport, limits, parse))
        try:
            while batch := fetchers.next_batch():
                yield batch
        finally:
            fetchers.stop()


class _Fetchers:
    """The threads fetching a poll's feeds, and the work they share: the feeds left, the
    outcomes not yet taken. They wake the poll for the first outcome of a batch and for a
    full one, not for each feed.

    A poll that will download feeds in full (some have no validators for a conditional GET)
    starts all `concurrency` threads: parsing keeps the parser processes busy for a while per
    feed, and a new feed is usually far away. A poll whose feeds all have validators starts one
    thread and adds threads, up to `concurrency`, while fetches wait: a thread whose fetch
    spent more than GROW_AFTER not running (waiting for the network or a parser process) starts
    another. Threads that would find nothing to wait for only take turns at the GIL: on a near
    server answering 304s at once, 16 threads did the work of one, a third slower."""

    GROW_AFTER = 0.01  # seconds of a fetch not spent running in its thread

    def __init__(self, feeds: Sequence[ClaimedFeed], concurrency: int, work_args: tuple):
        self.waiting = iter(feeds)
        self.left = len(feeds)  # outcomes not yet taken by the poll
        self.most = min(concurrency, len(feeds))
        self.batch = concurrency
        self.done: list[Outcome] = []
        self.changed = threading.Condition()
        self.stopped = False
        self.threads: list[threading.Thread] = []
        self.work_args = work_args
        downloads = any(not (feed.etag or feed.last_modified) for feed in feeds)
        with self.changed:
            for _ in range(self.most if downloads else 1):
                self._start_thread()

    def _start_thread(self) -> None:
        """One more thread (the caller holds the lock)."""
        thread = threading.Thread(target=self.work, name=f"feed-fetcher-{len(self.threads)}",
                                  args=self.work_args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def work(self, transport, limits: Limits, parse: Parse) -> None:
        while True:
            with self.changed:
                while len(self.done) >= 2 * self.batch and not self.stopped:
                    self.changed.wait()
                feed = None if self.stopped else next(self.waiting, None)
            if feed is None:
                return
            started, running = time.monotonic(), time.thread_time()
            try:
                outcome = fetch_one(transport, feed, limits, parse)
            except BaseException as e:  # noqa: BLE001 (it is that feed's error; the poll goes on)
                outcome = FetchError(f"failed: {type(e).__name__}: {e}")
            waited = (time.monotonic() - started) - (time.thread_time() - running)
            with self.changed:
                self.done.append((feed, outcome))
                if len(self.done) in (1, min(self.batch, self.left)):  # the first, or a batch
                    self.changed.notify_all()
                if waited > self.GROW_AFTER and len(self.threads) < self.most \
                        and not self.stopped:
                    self._start_thread()

    def next_batch(self) -> list[Outcome]:
        with self.changed:
            if not self.left:
                return []
            self.changed.wait_for(lambda: self.done)
            self.changed.wait_for(lambda: len(self.done) >= min(self.batch, self.left),
                                  timeout=BATCH_WAIT)
            batch, self.done = self.done, []
            self.left -= len(batch)
            self.changed.notify_all()  # room for threads held back by the bound
            return batch

    def stop(self) -> None:
        """No feed is taken any more; returns once every thread is done with its own."""
        with self.changed:
            self.stopped = True
            self.changed.notify_all()
        for thread in self.threads:  # no thread is added once stopped
            thread.join()


def fetch_one(transport, feed: ClaimedFeed, limits: Limits, parse: Parse
              ) -> Fetched | Exception:
    """Fetch (or read, for a local file) and parse one feed; whatever goes wrong is returned,
    as that feed's error."""
    try:
        if is_local(feed.url):
            fetched_ = read_local(feed.url, limits=limits, etag=feed.etag)
        else:
            fetched_ = fetch(feed.url, limits=limits, etag=feed.etag,
                             last_modified=feed.last_modified, transport=transport)
        if fetched_.status != 304:
            fetched_.parsed = parse(fetched_.body, fetched_.headers, fetched_.url)
            fetched_.body = b""  # parsed: the bytes are not kept
        return fetched_
    except OperationError as e:  # ours: fetch, guard and parse errors say what went wrong
        return e
    except Exception as e:  # a bug, or a library blowing up on this feed: the poll goes on
        log.exception("feed %s: fetching or parsing failed", feed.url)
        return FetchError(f"failed: {type(e).__name__}: {e}")
