"""The `coalition` command line."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from coalition.calendar_cli import calendar_app
from coalition.clikit import UsageError, out, runtime_from
from coalition.config import ConfigError
from coalition.digest_cli import digest_app
from coalition.feeds_cli import feeds_app
from coalition.minutes_cli import minutes_app
from coalition.output import to_jsonable
from coalition.service import ServiceError
from coalition.slack_cli import slack_app
from store.datafile import DataFileError
from store.engine import StoreError, unit_of_work
from worker.lease import WorkerLockError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Coalition Desk: the coalition's calendar, people and news.")
db_app = typer.Typer(no_args_is_help=True, help="Manage the store's schema.")
app.add_typer(db_app, name="db")
app.add_typer(calendar_app, name="calendar")
app.add_typer(digest_app, name="digest")
app.add_typer(minutes_app, name="minutes")
app.add_typer(feeds_app, name="feeds")
app.add_typer(slack_app, name="slack")



@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Config file (default: $COALITION_CONFIG, else built-in defaults).",
        envvar=None)] = None,
) -> None:
    """Coalition Desk: the coalition's calendar, people and news."""
    ctx.obj = {"config_path": config}


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the store's tables to this version's schema."""
    from store.migrate import current_revision, head_revision, upgrade

    rt = runtime_from(ctx, upgrade=False)
    before = current_revision(rt.engine)
    upgrade(rt.engine)
    out.print(f"store schema: {before or 'empty'} -> {head_revision()}")


@app.command()
def sync(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(
        help="The coalition data file (default: [coalition] data).")] = None,
) -> None:
    """Import the coalition data file (organisations, people, work streams, meetings,
    deadlines). Running it twice changes nothing; removed items are retired, not deleted."""
    from store.sync import sync_file

    rt = runtime_from(ctx)
    path = file or rt.config.path(rt.config.coalition.data)
    with unit_of_work(rt.engine) as session:
        report = sync_file(session=session, path=path, now=rt.now())
    out.print(f"synced {path}: {report.summary()}")


@app.command()
def ask(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help='A question or command, e.g. "who leads ws1".')],
    now: Annotated[str | None, typer.Option(
        "--now", help="Answer as if today were this ISO date (or date-time).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    as_email: Annotated[str | None, typer.Option(
        "--as", help="Ask as this person (their timezone and organisation).")] = None,
) -> None:
    """Ask what the bot answers in Slack: agenda, deadlines, who leads, who is who."""
    from bot import text as render_text
    from bot.dispatch import Asker, answer
    from bot.router import parse
    from store.models import Person

    rt = runtime_from(ctx, now=now)
    request = parse(text)
    with unit_of_work(rt.engine) as session:
        asker = Asker(timezone=rt.config.coalition.timezone)
        if as_email:
            from sqlmodel import func, select
            person = session.exec(select(Person).where(
                func.lower(Person.email) == as_email.lower())).first()
            if person is None:
                raise UsageError(f"--as {as_email}: no such person in the store")
            asker = Asker(person=person, timezone=person.timezone)
        result = answer(request, session=session, now=rt.now(), asker=asker)
        rendered = render_text.render(result)
    if as_json:
        payload = {"command": request.command, "args": request.args,
                   "answer": to_jsonable(result), "text": rendered}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        out.print(rendered, markup=False, highlight=False, soft_wrap=True)


@app.command()
def demo(
    ctx: typer.Context,
    now: Annotated[str, typer.Option(
        "--now", help="The demo's today (the example data is from 2017-2018).")] = "2017-10-01",
) -> None:
    """Sync the example data (and the 5th meeting's notes), read the bundled sample feeds,
    then show the next meeting, the next deadlines and the news."""
    from coalition.minutes_cli import import_

    ctx.invoke(sync, ctx=ctx, file=None)
    rt = runtime_from(ctx, now=now)
    examples = rt.config.path(rt.config.coalition.data).parent
    notes = examples / "img5-notes.txt"
    if notes.exists():
        ctx.invoke(import_, ctx=ctx, meeting="5", file=notes)
    _read_sample_feeds(rt, examples / "feeds")
    for question in ("agenda next", "deadlines", "news"):
        out.rule(question)
        ctx.invoke(ask, ctx=ctx, text=question, now=now, as_json=False, as_email=None)


def _read_sample_feeds(rt, folder: Path) -> None:
    """Follow the example's offline sample feeds (local files) and poll them."""
    from sqlmodel import col, select

    from store.models import Feed
    from worker.following import follow
    from worker.ingest import poll_feeds

    urls = [p.resolve().as_uri() for p in sorted(folder.glob("*.xml"))]
    if not urls:
        return
    with unit_of_work(rt.engine) as session:
        for url in urls:
            follow(session=session, url=url, origin="demo", now=rt.now(), allow_files=True,
                   interval_minutes=rt.config.feeds.interval_minutes,
                   kind="publication" if "publication" in url else "news")
        # Due at once: the demo's clock may stand years before the last real poll.
        for feed in session.exec(select(Feed).where(col(Feed.url).in_(urls))):
            feed.next_poll_at = None
            session.add(feed)
    report = poll_feeds(engine=rt.engine, config=rt.config, now=rt.now())
    out.print(f"sample feeds in {folder}: {report.summary()}", markup=False)


HostOption = Annotated[str | None, typer.Option(
    "--host", help="Address to listen on (default: [server] host).")]
PortOption = Annotated[int | None, typer.Option(
    "--port", help="Port to listen on (default: [server] port).")]


def _address(rt, host: str | None, port: int | None) -> tuple[str, int]:
    return host or rt.config.server.host, port if port is not None else rt.config.server.port


@app.command()
def serve(
    ctx: typer.Context,
    host: HostOption = None,
    port: PortOption = None,
) -> None:
    """Serve the HTTP endpoint (health, and the parts' routes) with uvicorn."""
    import uvicorn

    from coalition.web import create_app

    rt = runtime_from(ctx)
    rt.engine  # noqa: B018  (fail fast: reach and upgrade the store before listening)
    host, port = _address(rt, host, port)
    uvicorn.run(create_app(rt), host=host, port=port, log_level=rt.config.log.level,
                proxy_headers=True)


@app.command()
def worker(ctx: typer.Context) -> None:
    """Run the scheduled jobs only (feeds, data-file sync, digests, reminders), no HTTP.
    Several workers can share one PostgreSQL store; SQLite takes one."""
    from coalition.service import run_worker

    run_worker(runtime_from(ctx))


@app.command()
def run(
    ctx: typer.Context,
    host: HostOption = None,
    port: PortOption = None,
) -> None:
    """Run the whole service in one process: the HTTP endpoint and the scheduled jobs."""
    from coalition.service import run_all

    rt = runtime_from(ctx)
    host, port = _address(rt, host, port)
    run_all(rt, host=host, port=port)


def _fail(error: Exception, code: int) -> None:
    sys.stderr.write(f"error: {error}\n")
    sys.exit(code)


def main() -> None:
    """Entry point: clear messages and exit codes instead of tracebacks."""
    # What importing the program made lives as long as the process: no garbage collection
    # need look at it again, the one at exit included (a quarter of a second per command).
    gc.freeze()
    try:
        app(standalone_mode=False)
    except (ConfigError, DataFileError, UsageError) as e:
        _fail(e, 2)
    except (StoreError, WorkerLockError, ServiceError) as e:
        _fail(e, 1)
    except (typer.Exit, SystemExit) as e:
        sys.exit(getattr(e, "exit_code", getattr(e, "code", 0)))
    except typer.Abort:
        _fail(Exception("aborted"), 1)
    except Exception as e:  # click's usage errors, and the unforeseen
        import click

        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(2 if isinstance(e, click.UsageError) else 1)
        raise


if __name__ == "__main__":
    main()
