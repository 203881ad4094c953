"""`coalition feeds ...`: the news and publication feeds the worker reads."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from coalition.clikit import UsageError, err, out, runtime_from, write_output
from coalition.errors import InputError, NotFound
from store.words import plural

feeds_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="News and publication feeds.")


@feeds_app.command()
def add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(
        help="The feed's address (RSS, Atom or RDF), a web page naming its feeds, or a local "
             "file (file:///path).")],
    kind: Annotated[str, typer.Option("--kind", help="news, publication or member.")] = "news",
    org: Annotated[str, typer.Option("--org", help="The organisation's acronym.")] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
) -> None:
    """Follow a feed; it is polled at the next poll. Given a web page, follow the feed it
    names (its <link rel="alternate"> or Link header), and list the others."""
    from store.engine import unit_of_work
    from worker.following import check_followable, follow
    from worker.local import absolute_file_url, is_local

    rt = runtime_from(ctx)
    if is_local(url):
        url = absolute_file_url(url, Path.cwd())
    else:
        check_followable(url.strip(), kind)
        url = _discovered(url.strip(), rt.config)
    with unit_of_work(rt.engine) as session:
        follow(session=session, url=url, origin="cli", now=rt.now(),
               interval_minutes=rt.config.feeds.interval_minutes, kind=kind,
               organisation=org, tags=tag or [], allow_files=True)
    out.print(f"following {url}", markup=False)


def _discovered(url: str, config) -> str:
    """The feed to follow for `url`: itself if it is a feed (or cannot be read now: it is
    followed as given, with a warning), else the first feed the page names."""
    from coalition.errors import OperationError
    from worker.discover import discover
    from worker.ingest import limits_from

    try:
        found = discover(url, limits=limits_from(config))
    except OperationError as e:
        err.print(f"warning: could not read {url} now ({e}); following it as given",
                  markup=False, soft_wrap=True)
        return url
    if not found.page:
        return url
    if not found.feeds:
        raise InputError(f"{url} is a web page that names no feed (no <link rel=\"alternate\" "
                         "type=\"application/rss+xml\"> or atom+xml, no Link header)",
                         hint="give the feed's own address")
    chosen, *others = found.feeds
    out.print(f"{url} is a web page naming {plural(len(found.feeds), 'feed')}; following "
              f"{chosen.url}" + (f" ({chosen.title})" if chosen.title else ""), markup=False,
              soft_wrap=True)
    if others:
        out.print("it also names (`coalition feeds add URL` follows one):", markup=False)
        for link in others:
            out.print(f"  {link.url}" + (f" ({link.title})" if link.title else ""),
                      markup=False, soft_wrap=True)
    return chosen.url


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
    from store.engine import unit_of_work
    from store.feeds import followed_feeds
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
            known = {feed.url for feed in followed_feeds(session)}
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
    from store.engine import unit_of_work
    from store.feeds import retire_feed

    rt = runtime_from(ctx, create=False)
    with unit_of_work(rt.engine) as session:
        if not retire_feed(session=session, url=_stored_form(url), now=rt.now()):
            raise NotFound(f"not following {url!r}", hint=_LIST_HINT)
    out.print(f"stopped following {url}", markup=False)


@feeds_app.command()
def poll(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Argument(
        help="Poll only this feed, now, whatever its backoff.")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Poll every feed, due or not.")
                          ] = False,
) -> None:
    """Poll the feeds that are due now (a new feed is due at once), every feed with --all, or
    the one feed given."""
    from rich.progress import Progress
    from sqlmodel import Session

    from store.feeds import feed_at
    from worker.ingest import poll_feeds

    if url and everything:
        raise UsageError("give a feed's address or --all, not both")
    rt = runtime_from(ctx)
    if url:
        url = _stored_form(url)
        with Session(rt.engine) as session:
            row = feed_at(session, url)
        if row is None:
            raise NotFound(f"not following {url!r}", hint=_LIST_HINT)
        if row.retired_at is not None:
            raise InputError(f"{url} is retired ({row.last_error or 'removed'})",
                             hint="`coalition feeds add URL` follows it again")
    with Progress(console=out, transient=True, disable=not out.is_terminal) as bar:
        task = bar.add_task("polling feeds", total=None)
        report = poll_feeds(engine=rt.engine, config=rt.config, now=rt.now(),
                            everything=everything, urls=[url] if url else None,
                            progress=lambda: bar.advance(task))
    out.print(report.summary(), markup=False)
    if url:
        with Session(rt.engine) as session:
            row = feed_at(session, url)
        out.print(f"{url}: {row.status}" + (f" ({row.last_error})" if row.last_error else ""),
                  markup=False, soft_wrap=True)
    if report.failed and report.failed == report.polled:
        raise typer.Exit(1)  # not one feed could be read: a cron job must hear of it


@feeds_app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The feeds with their status, entries stored, last success, next poll, and the last
    error of those that have one."""
    from sqlmodel import Session

    from store.feeds import feed_list

    rt = runtime_from(ctx, create=False)
    with Session(rt.engine) as session:
        rows = feed_list(session)
    if as_json:
        sys.stdout.write(json.dumps([_feed_json(r) for r in rows], indent=2) + "\n")
        return
    if not rows:
        out.print("no feeds followed (`coalition feeds add URL`)", markup=False)
        return
    out.print(_feed_table(rows, rt.config.coalition.timezone), soft_wrap=False)


@feeds_app.command()
def show(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The feed's address.")],
    limit: Annotated[int, typer.Option("--limit", min=0,
                                       help="Entries shown, newest first (0: all).")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, texts in full.")
                       ] = False,
) -> None:
    """A feed's stored entries (title, link, published, summary, content), as they were
    read: to check what the worker made of a feed."""
    from sqlmodel import Session

    from store.entries import entries_of
    from store.feeds import feed_at

    rt = runtime_from(ctx, create=False)
    url = _stored_form(url)
    with Session(rt.engine) as session:
        row = feed_at(session, url)
        if row is None:
            raise NotFound(f"not following {url!r}", hint=_LIST_HINT)
        entries = entries_of(session, row.id, limit=limit or None)
    if as_json:
        sys.stdout.write(json.dumps({"feed": _feed_json(row), "entries": [
            _entry_json(e) for e in entries]}, indent=2) + "\n")
        return
    _print_entries(row, entries, rt.config.coalition.timezone)


_LIST_HINT = "`coalition feeds list` shows the feeds followed"
SHOWN_CHARS = 400  # of a summary or content, in `feeds show` without --json


def _stored_form(url: str) -> str:
    """The address as stored: a local file as its absolute file:/// URL."""
    from worker.local import absolute_file_url, is_local

    url = url.strip()
    return absolute_file_url(url, Path.cwd()) if is_local(url) else url


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _feed_json(r) -> dict:
    return {"url": r.url, "title": r.title, "kind": r.kind, "organisation": r.organisation,
            "status": r.status, "entries": r.entries, "last_success": _when(r.last_success_at),
            "last_polled": _when(r.last_polled_at), "last_error": r.last_error,
            "error_count": r.error_count, "next_poll": _when(r.next_poll_at)}


def _entry_json(e) -> dict:
    return {"title": e.title, "link": e.link, "guid": e.guid, "author": e.author,
            "published": _when(e.published_at), "first_seen": _when(e.first_seen_at),
            "updated": _when(e.updated_at), "seen": _when(e.seen_at),
            "summary": e.summary_html, "content": e.content_html,
            "work_streams": list(e.work_streams or []), "backlog": e.backlog}


def _local(value, timezone: str) -> str:
    from zoneinfo import ZoneInfo

    return f"{value.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M}" if value else "-"


STATUS_STYLES = {"ok": "green", "warning": "yellow", "error": "red", "failing": "bold red",
                 "retired": "dim", "new": "cyan"}


def _feed_table(rows, timezone: str):
    """For people: a table of the feeds (title and address, status, entries, last success,
    next poll), then each feed's last error or warning at the console's full width, wrapped
    at words, so no message is cut mid-word."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False, caption_justify="left",
                  caption=f"Times in {timezone}.")
    table.add_column("Feed", overflow="fold", ratio=1)
    table.add_column("Status", no_wrap=True)
    table.add_column("Entries", justify="right", no_wrap=True)
    table.add_column("Last success", no_wrap=True)
    table.add_column("Next poll", no_wrap=True)
    problems = []
    for r in rows:
        style = STATUS_STYLES.get(r.status, "")
        status = r.status + (f" ({r.error_count}x)" if r.status in ("error", "failing") else "")
        cell = Text(r.title or r.url, style="bold")
        if r.title:
            cell.append(f"\n{r.url}", style="dim")
        table.add_row(cell, Text(status, style=style), f"{r.entries:,}",
                      _local(r.last_success_at, timezone).replace(" ", "\n"),
                      "-" if r.retired_at else _local(r.next_poll_at, timezone).replace(" ", "\n"))
        if r.last_error:
            problems.append(Text.assemble((r.title or r.url, "bold"), f" ({status}):"))
            problems.append(Padding(Text(r.last_error, style=style, overflow="fold"),
                                    (0, 0, 0, 2)))
    return Group(table, *([Text("")] + problems if problems else []))


def _print_entries(row, entries, timezone: str) -> None:
    from rich.text import Text

    out.print(Text(row.title or row.url, style="bold"))
    out.print(f"{row.url}\n{row.status}, {plural(row.entries, 'entry', 'entries')} stored"
              + (f", the newest {len(entries)} shown" if len(entries) < row.entries else ""),
              markup=False, soft_wrap=True)
    for e in entries:
        out.print("")
        out.print(Text(f"{_local(e.published_at, timezone)}  {e.title or '(untitled)'}",
                       style="bold"), soft_wrap=True)
        out.print(f"  link: {e.link or '-'}", markup=False, soft_wrap=True)
        for name, text in (("summary", e.summary_html), ("content", e.content_html)):
            if text:
                shown = text if len(text) <= SHOWN_CHARS else \
                    f"{text[:SHOWN_CHARS]}... ({len(text):,} characters; --json shows all)"
                out.print(f"  {name}: {shown}", markup=False, soft_wrap=True)
