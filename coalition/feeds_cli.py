"""`coalition feeds ...`: the news and publication feeds the worker reads."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from coalition.clikit import UsageError, out, runtime_from

feeds_app = typer.Typer(no_args_is_help=True, help="News and publication feeds.")


@feeds_app.command()
def add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The feed's address (RSS, Atom or RDF).")],
    kind: Annotated[str, typer.Option("--kind", help="news, publication or member.")] = "news",
    org: Annotated[str, typer.Option("--org", help="The organisation's acronym.")] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
) -> None:
    """Follow a feed; it is polled at the next poll."""
    from sqlmodel import select

    from store.engine import unit_of_work
    from store.models import Feed, Organisation

    if kind not in ("news", "publication", "member"):
        raise UsageError(f"--kind: expected news, publication or member, got {kind!r}")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{url!r}: a feed address starts with http:// or https://")
    rt = runtime_from(ctx)
    with unit_of_work(rt.engine) as session:
        org_id = None
        if org:
            found = session.exec(select(Organisation).where(Organisation.acronym == org)).first()
            if found is None:
                raise UsageError(f"--org: no organisation {org!r}")
            org_id = found.id
        feed = session.exec(select(Feed).where(Feed.url == url)).first() or Feed(url=url)
        feed.kind, feed.organisation_id, feed.tags = kind, org_id, list(tag or [])
        feed.origin, feed.retired_at, feed.next_poll_at = "cli", None, None
        feed.interval_minutes = rt.config.feeds.interval_minutes
        session.add(feed)
    out.print(f"following {url}")


@feeds_app.command()
def remove(ctx: typer.Context,
           url: Annotated[str, typer.Argument(help="The feed's address.")]) -> None:
    """Stop following a feed (its entries stay)."""
    from sqlmodel import select

    from store.engine import unit_of_work
    from store.models import Feed

    rt = runtime_from(ctx)
    with unit_of_work(rt.engine) as session:
        feed = session.exec(select(Feed).where(Feed.url == url)).first()
        if feed is None:
            raise UsageError(f"not following {url!r}")
        feed.retired_at, feed.status = rt.now(), "retired"
        session.add(feed)
    out.print(f"stopped following {url}")


@feeds_app.command()
def poll(
    ctx: typer.Context,
    everything: Annotated[bool, typer.Option("--all", help="Poll every feed, due or not.")
                          ] = False,
) -> None:
    """Poll the feeds that are due now (a new feed is due at once)."""
    from rich.progress import Progress

    from worker.ingest import poll_feeds

    rt = runtime_from(ctx)
    with Progress(console=out, transient=True, disable=not out.is_terminal) as bar:
        task = bar.add_task("polling feeds", total=None)
        report = poll_feeds(engine=rt.engine, config=rt.config, now=rt.now(),
                            everything=everything, progress=lambda: bar.advance(task))
    out.print(report.summary())


@feeds_app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The feeds with their status, entries stored, last success and error, next poll."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from store.models import Feed, FeedEntry

    rt = runtime_from(ctx)
    with Session(rt.engine) as session:
        counts = dict(session.exec(select(FeedEntry.feed_id, func.count())
                                   .group_by(FeedEntry.feed_id)).all())
        feeds = session.exec(select(Feed).order_by(Feed.id)).all()
    rows = [{"url": f.url, "title": f.title, "kind": f.kind, "status": f.status,
             "entries": counts.get(f.id, 0),
             "last_success": f.last_success_at and f.last_success_at.isoformat(),
             "last_error": f.last_error, "error_count": f.error_count,
             "next_poll": f.next_poll_at and f.next_poll_at.isoformat()} for f in feeds]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    for r in rows:
        out.print(f"{r['status']:8} {r['entries']:5} {r['url']}"
                  + (f"  ({r['last_error'][:80]})" if r["last_error"] else ""), markup=False)
