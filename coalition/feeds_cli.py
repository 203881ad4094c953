"""`coalition feeds ...`: the news and publication feeds the worker reads."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from coalition.clikit import UsageError, err, out, runtime_from, write_output
from coalition.errors import NotFound

feeds_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="News and publication feeds.")


@feeds_app.command()
def add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(
        help="The feed's address (RSS, Atom or RDF), or a local file (file:///path).")],
    kind: Annotated[str, typer.Option("--kind", help="news, publication or member.")] = "news",
    org: Annotated[str, typer.Option("--org", help="The organisation's acronym.")] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
) -> None:
    """Follow a feed; it is polled at the next poll."""
    from store.engine import unit_of_work
    from worker.following import follow
    from worker.local import absolute_file_url, is_local

    rt = runtime_from(ctx)
    if is_local(url):
        url = absolute_file_url(url, Path.cwd())
    with unit_of_work(rt.engine) as session:
        follow(session=session, url=url, origin="cli", now=rt.now(),
               interval_minutes=rt.config.feeds.interval_minutes, kind=kind,
               organisation=org, tags=tag or [], allow_files=True)
    out.print(f"following {url}", markup=False)


@feeds_app.command("import-opml")
def import_opml(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="An OPML file (any feed reader's export).")],
    kind: Annotated[str | None, typer.Option(
        "--kind", help="The kind of every feed in the file (default: as the file says, "
        "else news).")] = None,
    org: Annotated[str, typer.Option(
        "--org", help="The organisation of every feed in the file.")] = "",
) -> None:
    """Follow every feed of an OPML file; folders become tags. Importing twice adds nothing;
    a file with a bad entry changes nothing."""
    from sqlmodel import select

    from store.engine import unit_of_work
    from store.models import Feed
    from worker.following import FollowError, follow
    from worker.opml import read_opml

    try:
        data = file.read_bytes()
    except OSError as e:
        raise UsageError(f"{file}: cannot read the file ({e.strerror})") from None
    entries = read_opml(data, source=str(file))
    rt = runtime_from(ctx)
    added = 0
    try:
        with unit_of_work(rt.engine) as session:
            known = set(session.exec(select(Feed.url).where(Feed.retired_at.is_(None))))
            for entry in entries:
                follow(session=session, url=entry.url, origin="opml", now=rt.now(),
                       interval_minutes=rt.config.feeds.interval_minutes,
                       kind=kind or entry.kind, organisation=org or entry.organisation,
                       tags=entry.tags, title=entry.title)
                added += entry.url not in known
    except FollowError as e:
        raise FollowError(f"{file}: {e}; nothing was imported") from None
    out.print(f"{file}: {len(entries)} feeds, {added} newly followed", markup=False)


@feeds_app.command("export-opml")
def export_opml(
    ctx: typer.Context,
    to: Annotated[Path | None, typer.Option(
        "--out", help="Write to this file (default: standard output).")] = None,
) -> None:
    """The followed feeds as an OPML 2.0 file, for another feed reader or another desk."""
    from sqlmodel import Session

    from worker.following import followed
    from worker.local import is_local
    from worker.opml import write_opml

    rt = runtime_from(ctx, create=False)
    with Session(rt.engine) as session:
        every = followed(session)
    feeds = [f for f in every if not is_local(f.url)]  # a file here means nothing elsewhere
    data = write_opml(feeds, title=f"{rt.config.coalition.name} feeds", now=rt.now())
    left_out = f" ({len(every) - len(feeds)} local files left out)" if len(every) > len(feeds) \
        else ""
    if to is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        if left_out:
            err.print(f"{len(feeds)} feeds{left_out}", markup=False)
        return
    write_output(to, data)
    out.print(f"{len(feeds)} feeds written to {to}{left_out}", markup=False)


@feeds_app.command()
def remove(ctx: typer.Context,
           url: Annotated[str, typer.Argument(help="The feed's address.")]) -> None:
    """Stop following a feed (its entries stay)."""
    from sqlmodel import select

    from store.engine import unit_of_work
    from store.models import Feed

    rt = runtime_from(ctx, create=False)
    with unit_of_work(rt.engine) as session:
        feed = session.exec(select(Feed).where(Feed.url == url)).first()
        if feed is None:
            raise NotFound(f"not following {url!r}", hint="`coalition feeds list` shows the "
                           "feeds followed")
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
    out.print(report.summary(), markup=False)
    if report.failed and report.failed == report.polled:
        raise typer.Exit(1)  # not one feed could be read: a cron job must hear of it


@feeds_app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The feeds with their status, entries stored, last success and error, next poll."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from store.models import Feed, FeedEntry

    rt = runtime_from(ctx, create=False)
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
