"""`coalition digest ...`: preview, send and follow the weekly digest."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from coalition.clikit import UsageError, out, runtime_from, write_output
from coalition.errors import NotFound

digest_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="The weekly email digest.")

NowOption = Annotated[str | None, typer.Option(
    "--now", help="Act as if now were this ISO date or date-time.")]
PeriodOption = Annotated[str | None, typer.Option(
    "--period", help="The ISO week, e.g. 2017-W41 (default: the week of now).")]


def _period(rt, key: str | None):
    from digests.period import parse_period_key, period_at

    tz = rt.config.coalition.timezone
    if key is None:
        return period_at(rt.now(), tz)
    try:
        return parse_period_key(key, tz)
    except ValueError as e:
        raise UsageError(f"--period: {e}") from None


@digest_app.command()
def preview(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="The member's email address.")],
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the HTML to this file (default: print the text part).")] = None,
    now: NowOption = None,
) -> None:
    """Render one person's digest without sending it."""
    import datetime as dt

    from sqlmodel import Session

    from digests.compose import compose
    from digests.content import Shared
    from digests.message import body
    from digests.period import period_at
    from store.people import person_by_email

    rt = runtime_from(ctx, now=now, create=False)
    at = rt.now()
    period = period_at(at, rt.config.coalition.timezone)
    with Session(rt.engine) as session:
        person = person_by_email(session=session, email=to)
        if person is None:
            raise NotFound(f"--to {to}: no such person in the store")
        shared = Shared.load(session, now=at, since=at - dt.timedelta(days=7),
                             coalition=rt.config.coalition.name,
                             deadline_weeks=rt.config.digest.deadline_weeks)
    message = compose(person=person, shared=shared, config=rt.config, period=period, now=at,
                      delivery_id=None)
    if message is None:
        out.print(f"Nothing to tell {to} this week: no digest would be sent.")
        return
    html = body(message, "html")
    if out_file:
        write_output(out_file, html)
        out.print(f"Subject: {message['Subject']}\nwrote {out_file}", markup=False)
    else:
        sys.stdout.write(f"Subject: {message['Subject']}\n\n"
                         + body(message, "plain"))


@digest_app.command()
def send(
    ctx: typer.Context,
    period: PeriodOption = None,
    now: NowOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Prepare the deliveries and report, send nothing.")] = False,
) -> None:
    """Send the period's digest to every subscribed member, exactly once (safe to re-run)."""
    from rich.progress import Progress

    from digests.delivery import send_period
    from digests.transport import make_transport

    rt = runtime_from(ctx, now=now, create=False)
    target = _period(rt, period)
    transport = make_transport(rt.config)
    try:
        with Progress(console=out, transient=True, disable=not out.is_terminal) as bar:
            task = bar.add_task(f"digest {target.key}", total=None)
            report = send_period(engine=rt.engine, config=rt.config, period=target,
                                 now=rt.now(), transport=transport, dry_run=dry_run,
                                 progress=lambda _outcome: bar.advance(task))
    finally:
        transport.close()
    out.print(report.summary())
    if report.this_run.get("failed") or report.this_run.get("deferred"):
        raise typer.Exit(1)


@digest_app.command()
def status(
    ctx: typer.Context,
    period: PeriodOption = None,
    now: NowOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How the period's deliveries stand: sent, pending, failed, ambiguous."""
    from sqlmodel import Session, select

    from store.deliveries import deliveries_with_people
    from store.models import Digest

    rt = runtime_from(ctx, now=now, create=False)
    target = _period(rt, period)
    with Session(rt.engine) as session:
        digest = session.exec(select(Digest).where(Digest.period == target.key)).first()
        rows = [] if digest is None else deliveries_with_people(session=session,
                                                                digest_id=digest.id)
    data = [{"email": p.email, "status": d.status, "sent_at": d.sent_at and d.sent_at.isoformat(),
             "attempts": d.attempts, "error": d.error} for d, p in rows]
    if as_json:
        sys.stdout.write(json.dumps({"period": target.key, "deliveries": data}, indent=2) + "\n")
        return
    if digest is None:
        out.print(f"{target.key}: no digest yet")
        return
    counts: dict[str, int] = {}
    for row in data:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    out.print(f"{target.key}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    for row in data:
        if row["status"] in ("failed", "ambiguous", "pending"):
            out.print(f"  {row['status']}: {row['email']} {row['error']}", markup=False)
