"""Slash-command latency over HTTP, against a floor measured in the same run.

A store with 10,000 deadlines, 500 meetings (3 agenda items each) and 100,000 feed entries;
`coalition serve`'s Starlette app under uvicorn with, beside our `/slack/events`, a bare Bolt
app acknowledging a constant text (same server, same request handling, same signing). 2,000
signed `/coalition deadlines` and `/coalition agenda` requests and 2,000 to the bare app,
interleaved, one at a time. Prints JSON; targets: our p99 <= 1.5 x the bare p99, and < 250 ms.

    /work/venv/bin/python bench/commands.py [--requests 2000] [--store-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from slack_bolt import App  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from bot.app import make_client  # noqa: E402
from bot.http import bolt_endpoint  # noqa: E402
from coalition.runtime import Runtime  # noqa: E402
from coalition.web import create_app  # noqa: E402
from store.engine import make_engine, unit_of_work  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import AgendaItem, Deadline, Feed, FeedEntry, Meeting  # noqa: E402
from store.sync import sync_file  # noqa: E402
from tests.bot.conftest import SECRET, slack_env  # noqa: E402
from tests.bot.slack_stub import SlackAPI, command_body, sign  # noqa: E402
from tests.conftest import EXAMPLE, NOW, LiveServer  # noqa: E402

TODAY = dt.datetime(2017, 10, 6, 8, 0, tzinfo=dt.UTC)
USER = "UBENCH"


def fill(engine) -> None:
    """The example, then 10,000 deadlines, 500 meetings and 100,000 feed entries."""
    rnd = random.Random(7)
    with unit_of_work(engine) as session:
        sync_file(session=session, path=EXAMPLE, now=NOW)
    with engine.begin() as conn:
        conn.execute(text("UPDATE person SET slack_user_id = :u WHERE email = :e"),
                     {"u": USER, "e": "tatiana.terekhova@example.org"})
        conn.execute(insert(Deadline), [{
            "key": f"bench-{i}", "title": f"Deliverable {i}", "description": "",
            "due_text": "", "due_on": dt.date(2016, 1, 1) + dt.timedelta(days=rnd.randrange(1500)),
            "owner_organisation_id": rnd.randrange(1, 14), "work_stream_id": rnd.randrange(1, 8),
            "kind": "deliverable", "status": rnd.choice(["open", "open", "open", "done"]),
            "source": "bench", "origin": "cli"} for i in range(10_000)])
        starts = [TODAY + dt.timedelta(days=rnd.randrange(-700, 700)) for _ in range(500)]
        conn.execute(insert(Meeting), [{
            "key": f"bench-m{i}", "series": "IMG" if i % 2 else "WS team", "number": 100 + i,
            "title": f"Bench meeting {i}", "starts_at": s, "timezone": "Europe/Zurich",
            "precision": "minute", "online": True, "location": "", "link": "",
            "status": "planned", "purpose": "", "documents": [], "origin": "slack"}
            for i, s in enumerate(starts)])
        ids = conn.execute(text("SELECT id FROM meeting WHERE key LIKE 'bench-m%'")).scalars()
        conn.execute(insert(AgendaItem), [{
            "meeting_id": m, "number": n, "title": f"Item {n}", "presenter": "Chair",
            "description": ""} for m in ids for n in (1, 2, 3)])
        feed = conn.execute(insert(Feed).values(url="https://bench.example/feed", title="Bench",
                                                tags=[], created_at=NOW)).inserted_primary_key[0]
        for chunk in range(0, 100_000, 10_000):
            conn.execute(insert(FeedEntry), [{
                "feed_id": feed, "identity": f"e{i}", "guid": f"e{i}", "link": "",
                "title": f"News {i}", "summary_html": "", "author": "",
                "published_at": TODAY - dt.timedelta(minutes=i), "first_seen_at": TODAY,
                "content_hash": "", "backlog": False, "work_streams": []}
                for i in range(chunk, chunk + 10_000)])


def bare_app(client) -> App:
    app = App(client=client, signing_secret=SECRET, token_verification_enabled=False,
              request_verification_enabled=False,  # the endpoint verifies, as for ours
              process_before_response=True)

    @app.command("/coalition")
    def constant(ack):
        ack(text="Hello from a bare Bolt app.", response_type="ephemeral")

    return app


def measure(http: httpx.Client, path: str, text_: str, api: SlackAPI) -> float:
    body = command_body(text_, user=USER, response_url=api.response_url())
    started = time.perf_counter()
    response = http.post(path, content=body.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)})
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or not response.text:
        raise SystemExit(f"{path} {text_!r}: {response.status_code} {response.text[:200]}")
    return elapsed


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--store-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SlackAPI() as api:
        engine = make_engine(args.store_url or f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        fill(engine)
        runtime = Runtime(slack_env(api), now=TODAY.isoformat())
        runtime.__dict__["engine"] = engine
        app = create_app(runtime)
        from starlette.routing import Route

        app.router.routes.append(Route("/bare/slack/events",
                                       bolt_endpoint(bare_app(make_client(runtime.config)),
                                                     SECRET),
                                       methods=["POST"]))
        ours, bare = [], []
        questions = ["deadlines", "agenda"]
        with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
            for i in range(100):  # warm up both
                measure(http, "/slack/events", questions[i % 2], api)
                measure(http, "/bare/slack/events", "deadlines", api)
            for i in range(args.requests):
                ours.append(measure(http, "/slack/events", questions[i % 2], api))
                bare.append(measure(http, "/bare/slack/events", questions[i % 2], api))
        engine.dispose()
    ours_p99, bare_p99 = p99(ours) * 1000, p99(bare) * 1000
    print(json.dumps({
        "requests_each": args.requests, "store": "10000 deadlines, 500 meetings, "
        "100000 feed entries", "backend": engine.dialect.name,
        "ours_p50_ms": round(statistics.median(ours) * 1000, 2),
        "ours_p99_ms": round(ours_p99, 2),
        "bare_p50_ms": round(statistics.median(bare) * 1000, 2),
        "bare_p99_ms": round(bare_p99, 2),
        "ratio_p99": round(ours_p99 / bare_p99, 3),
        "target_ratio": 1.5, "target_p99_ms": 250,
        "ok": ours_p99 / bare_p99 <= 1.5 and ours_p99 < 250,
    }, indent=2))


if __name__ == "__main__":
    main()
