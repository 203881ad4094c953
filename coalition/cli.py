"""The `coalition` command line, and its one exit point (`main`).

Parsing, `--help` and `--version` import typer and this package's light modules only; each
command imports what it uses when it runs.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from coalition import __version__
from coalition.calendar_cli import calendar_app
from coalition.clikit import err, out, print_text, runtime_from
from coalition.digest_cli import digest_app
from coalition.errors import CoalitionError, UsageError
from coalition.feeds_cli import feeds_app
from coalition.minutes_cli import minutes_app
from coalition.slack_cli import slack_app

HELP = "Coalition Desk: the coalition's calendar, people and news."

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help=HELP)
db_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                     help="Manage the store's schema.")
app.add_typer(db_app, name="db")
app.add_typer(calendar_app, name="calendar")
app.add_typer(digest_app, name="digest")
app.add_typer(minutes_app, name="minutes")
app.add_typer(feeds_app, name="feeds")
app.add_typer(slack_app, name="slack")


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"coalition {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Config file (default: $COALITION_CONFIG, else built-in defaults).",
        envvar=None)] = None,
    version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", is_eager=True,
        callback=_show_version)] = False,
) -> None:
    """Coalition Desk: the coalition's calendar, people and news."""
    ctx.obj = {"config_path": config}


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the store's tables to this version's schema."""
    from store.migrate import current_revision, head_revision, upgrade

    rt = runtime_from(ctx, upgrade=False)
    before = current_revision(rt.engine)
    if before == head_revision():
        out.print(f"store schema: up to date ({before})")
        return
    upgrade(rt.engine)
    out.print(f"store schema: {before or 'empty'} -> {head_revision()}")


@app.command()
def sync(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(
        help="The coalition data file (default: [coalition] data).")] = None,
    allow_retire: Annotated[bool, typer.Option(
        "--allow-retire", help="Import even a file that retires more than half of the "
        "organisations, people, work streams, meetings or deadlines stored.")] = False,
) -> None:
    """Import the coalition data file (organisations, people, work streams, meetings,
    deadlines). Running it twice changes nothing; removed items are retired, not deleted;
    edits made in Slack last until the item's entry in the file changes."""
    from store.engine import unit_of_work
    from store.sync import sync_file

    rt = runtime_from(ctx)
    path = file or rt.config.path(rt.config.coalition.data)
    with unit_of_work(rt.engine) as session:
        report = sync_file(session=session, path=path, now=rt.now(), allow_retire=allow_retire)
    out.print(f"synced {path}: {report.summary()}", markup=False)


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
    import json

    from bot import text as render_text
    from bot.dispatch import Asker, answer
    from bot.router import parse
    from coalition.errors import NotFound
    from coalition.output import to_jsonable
    from store.engine import unit_of_work

    rt = runtime_from(ctx, now=now, create=False)
    request = parse(text)
    with unit_of_work(rt.engine) as session:
        asker = Asker(timezone=rt.config.coalition.timezone)
        if as_email:
            from store.people import person_by_email

            person = person_by_email(session=session, email=as_email)
            if person is None:
                raise NotFound(f"--as {as_email}: no such person in the store")
            asker = Asker(person=person, timezone=person.timezone)
        result = answer(request, session=session, now=rt.now(), asker=asker,
                        slash=rt.config.slack.command)
        rendered = render_text.render(result)
    if as_json:
        payload = {"command": request.command, "args": to_jsonable(request.args),
                   "answer": to_jsonable(result), "text": rendered}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        print_text(rendered)


@app.command()
def demo(
    ctx: typer.Context,
    now: Annotated[str, typer.Option(
        "--now", help="The demo's today (the example data is from 2017-2018).")] = "2017-10-01",
) -> None:
    """Sync the example data (and the 5th meeting's notes), read the bundled sample feeds,
    then show the next meeting, the next deadlines and the news."""
    from coalition.minutes_cli import import_

    ctx.invoke(sync, ctx=ctx, file=None, allow_retire=False)
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
    from store.engine import unit_of_work
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
    # Polled now, due or not: the demo's clock may stand years before the last real poll.
    report = poll_feeds(engine=rt.engine, config=rt.config, now=rt.now(), urls=urls)
    out.print(f"sample feeds in {folder}: {report.summary()}", markup=False, soft_wrap=True)


HostOption = Annotated[str | None, typer.Option(
    "--host", help="Address to listen on (default: [server] host).")]
PortOption = Annotated[int | None, typer.Option(
    "--port", min=0, max=65535, help="Port to listen on, 0-65535 (default: [server] port).")]


def _address(rt, host: str | None, port: int | None) -> tuple[str, int]:
    return host or rt.config.server.host, port if port is not None else rt.config.server.port


@app.command()
def serve(
    ctx: typer.Context,
    host: HostOption = None,
    port: PortOption = None,
) -> None:
    """Serve the HTTP endpoint (health, and the parts' routes) with uvicorn."""
    from coalition.service import serve_http

    rt = runtime_from(ctx)
    rt.engine  # noqa: B018  (fail fast: reach and upgrade the store before listening)
    host, port = _address(rt, host, port)
    serve_http(rt, host=host, port=port)


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


# The one exit point ---------------------------------------------------------------------


def _say(message: str, hint: str = "") -> None:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False) \
        if err.is_terminal else sys.stderr.write(f"error: {message}\n")
    if hint:
        err.print(f"hint: {hint}", markup=False, highlight=False) \
            if err.is_terminal else sys.stderr.write(f"hint: {hint}\n")


def _framework_error(e: Exception) -> int | None:
    """The CLI framework's own usage errors, whatever click or typer version raised them
    (typer ≥ 0.22 ships its own copy of click, whose classes are not click's): each has an
    `exit_code` and a `format_message()`."""
    code = getattr(e, "exit_code", None)
    if not isinstance(code, int) or not callable(getattr(e, "format_message", None)):
        return None
    ctx = getattr(e, "ctx", None)
    where = ctx.command_path if ctx is not None else "coalition"
    message = e.format_message().strip()
    if type(e).__name__ == "NoArgsIsHelpError" or (ctx is not None and message ==
                                                   ctx.get_help().strip()):
        if message:
            sys.stdout.write(message + "\n")
        _say(f"{where}: which command? (the list is above)")
        return 2
    hint = f"see `{where} --help`" if code == 2 else ""
    _say(f"{where}: {message}", hint)
    return code


def run_cli(argv: list[str] | None = None) -> int:
    """Run one command line; the exit code: 0 success, 1 an operation failed, 2 bad usage,
    configuration or input. Every error is one `error:` line (and a hint), never a traceback."""
    try:
        code = app(args=argv, prog_name="coalition", standalone_mode=False)
    except CoalitionError as e:
        _say(str(e), e.hint)
        return e.exit_code
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except BrokenPipeError:  # the reader went away (`coalition feeds list | head`)
        _silence_stdout()
        return 1
    except Exception as e:
        framework = _framework_error(e)
        if framework is not None:
            return framework
        _say(f"unexpected {type(e).__name__}: {e}",
             "this is a bug in Coalition Desk; with COALITION_LOG_LEVEL=debug the log shows "
             "where it happened")
        logging.getLogger("coalition").debug("unexpected error", exc_info=e)
        return 1
    return code if isinstance(code, int) else 0


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main() -> None:
    """Entry point of the `coalition` console script."""
    # Importing the program makes objects that live as long as the process: collecting garbage
    # meanwhile only walks them again and again. `clikit.runtime_from` (called once a command
    # has imported what it uses) freezes them and collects again from there.
    gc.disable()
    code = run_cli(sys.argv[1:])
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        code = code or 1
    sys.exit(code)


if __name__ == "__main__":
    main()


__all__ = ["UsageError", "app", "main", "run_cli"]
