"""`coalition digest ...`: preview, send and follow the weekly digest."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from coalition.clikit import UsageError, err, out, runtime_from, write_output
from coalition.errors import InputError, NotFound

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


def _local(rt, when) -> str:
    """A stored time as the coalition reads it."""
    from zoneinfo import ZoneInfo

    if when is None:
        return "an unknown time"
    tz = rt.config.coalition.timezone
    return f"{when.astimezone(ZoneInfo(tz)):%a %d %b %Y %H:%M} ({tz})"


def _check_links(rt) -> None:
    """Refuse SMTP without a signing key (exit 2); warn about what may go on as it is."""
    from digests.tokens import check_links

    email = rt.config.email
    for warning in check_links(transport=email.transport, base_url=email.base_url,
                               secret=rt.config.secrets.unsubscribe_secret):
        err.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)


def _person(session, email: str):
    from store.people import person_by_email

    person = person_by_email(session=session, email=email.strip())
    if person is None:
        raise NotFound(f"--to {email}: no such person in the store")
    return person


@digest_app.command()
def preview(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="The member's email address.")],
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the HTML to this file (default: print the text part).")] = None,
    now: NowOption = None,
) -> None:
    """Render one person's digest without sending it."""
    from sqlmodel import Session, select

    from digests.compose import PLACEHOLDER, compose, links
    from digests.delivery import load_shared
    from digests.message import body
    from digests.period import period_at
    from store.models import Digest, DigestDelivery

    rt = runtime_from(ctx, now=now, create=False)
    at = rt.now()
    period = period_at(at, rt.config.coalition.timezone)
    with Session(rt.engine) as session:
        person = _person(session, to)
        delivery = session.exec(select(DigestDelivery).join(
            Digest, DigestDelivery.digest_id == Digest.id).where(
            Digest.period == period.key, DigestDelivery.person_id == person.id)).first()
        shared = load_shared(session=session, config=rt.config, period=period, now=at)
    # Before the period is prepared its deliveries have no number yet: the link shows where
    # it will point, the number left as a placeholder.
    number = delivery.id if delivery else PLACEHOLDER
    message = compose(person=person, shared=shared, config=rt.config, period=period, now=at,
                      delivery_id=number)
    if message is None:
        out.print(f"Nothing to tell {to} this week: no digest would be sent.", markup=False)
        return
    view = links(rt.config, person, number)[0]
    where = (f"View in browser: {view}" if delivery else f"View in browser, once {period.key} "
             f"is sent: {view} ({PLACEHOLDER} is the number its delivery gets then)")
    head = f"Subject: {message.digest_copy.subject}\n{where}\n"
    if out_file:
        write_output(out_file, body(message, "html"))
        sys.stdout.write(f"{head}wrote {out_file}\n")
    else:
        text = body(message, "plain")
        sys.stdout.write(f"{head}\n{text}" + ("" if text.endswith("\n") else "\n"))


@digest_app.command()
def send(
    ctx: typer.Context,
    period: PeriodOption = None,
    now: NowOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List who would get which subject; send and write nothing.")] = False,
) -> None:
    """Send the period's digest to every subscribed member, exactly once (safe to re-run).
    Exit code 0 when every delivery of the period is sent, 1 when any is left pending,
    failed or ambiguous."""
    from digests.delivery import DONE, send_period
    from digests.transport import make_transport

    rt = runtime_from(ctx, now=now, create=False)
    target = _period(rt, period)
    _check_links(rt)
    if dry_run:
        _dry_run(rt, target)
        return
    from rich.progress import Progress

    transport = make_transport(rt.config)
    try:
        with Progress(console=out, transient=True, disable=not out.is_terminal) as bar:
            task = bar.add_task(f"digest {target.key}", total=None)
            report = send_period(engine=rt.engine, config=rt.config, period=target,
                                 now=rt.now(), transport=transport,
                                 progress=lambda _outcome: bar.advance(task))
    finally:
        transport.close()
    out.print(report.summary(), markup=False, highlight=False, soft_wrap=True)
    if report.done:
        return
    left = ", ".join(f"{n} {status}" for status, n in sorted(report.counts.items())
                     if status not in DONE and n)
    why = f" ({report.server_down})" if report.server_down else ""
    err.print(f"{target.key}: not every digest is sent: {left}{why}; `coalition digest status "
              f"--period {target.key}` says why", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _dry_run(rt, target) -> None:
    from digests.operator import plan_period

    plan = plan_period(engine=rt.engine, config=rt.config, period=target, now=rt.now())
    sys.stdout.write(f"{plan.period}, dry run: nothing is sent, nothing is written\n")
    width = max((len(a) for a, _ in plan.messages), default=0)
    for address, subject in plan.messages:
        sys.stdout.write(f"  {address.ljust(width)}  {subject}\n")
    tail = [f"{len(plan.messages)} would be sent"]
    if plan.nothing_to_tell:
        tail.append(f"{len(plan.nothing_to_tell)} with nothing to report")
    if plan.done:
        tail.append(f"{plan.done} already handled (sent, skipped, failed or ambiguous)")
    sys.stdout.write("; ".join(tail) + "\n")


@digest_app.command()
def status(
    ctx: typer.Context,
    period: PeriodOption = None,
    now: NowOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How the period's deliveries stand: sent, pending, failed, ambiguous (when and why)."""
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
             "attempts": d.attempts, "error": d.error,
             "error_at": d.error_at and d.error_at.isoformat()} for d, p in rows]
    if as_json:
        sys.stdout.write(json.dumps({"period": target.key, "deliveries": data}, indent=2) + "\n")
        return
    if digest is None:
        out.print(f"{target.key}: no digest yet")
        return
    counts: dict[str, int] = {}
    for row in data:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    out.print(f"{target.key}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())),
              markup=False, highlight=False, soft_wrap=True)
    for d, p in rows:
        if d.status == "ambiguous":
            out.print(f"  ambiguous: {p.email} since {_local(rt, d.error_at)}: {d.error}",
                      markup=False, highlight=False, soft_wrap=True)
        elif d.status in ("failed", "pending") and d.error:
            out.print(f"  {d.status}: {p.email} at {_local(rt, d.error_at)}: {d.error}",
                      markup=False, highlight=False, soft_wrap=True)
        elif d.status in ("failed", "pending", "claimed", "sending"):
            out.print(f"  {d.status}: {p.email}", markup=False, highlight=False, soft_wrap=True)
    if counts.get("ambiguous"):
        out.print("  An ambiguous digest was handed to the mail server, whose reply never came: "
                  "it may have been delivered. The mail server's log says whether it was; if "
                  f"not, `coalition digest resend --period {target.key} --to EMAIL`.",
                  markup=False, highlight=False, soft_wrap=True)


@digest_app.command()
def resend(
    ctx: typer.Context,
    period: Annotated[str, typer.Option("--period", help="The ISO week, e.g. 2017-W41.")],
    to: Annotated[str, typer.Option("--to", help="The member's email address.")],
    yes: Annotated[bool, typer.Option(
        "--yes", help="Do not ask (needed when not on a terminal).")] = False,
    now: NowOption = None,
) -> None:
    """Send an ambiguous or failed delivery again: the operator's explicit decision, never
    taken by `send`, the worker or a retry."""
    from sqlmodel import Session, select

    from digests.operator import RESENDABLE, NotResendable
    from digests.operator import resend as resend_delivery
    from digests.transport import make_transport
    from store.models import Digest, DigestDelivery

    rt = runtime_from(ctx, now=now, create=False)
    target = _period(rt, period)
    with Session(rt.engine) as session:
        person = _person(session, to)
        digest = session.exec(select(Digest).where(Digest.period == target.key)).first()
        delivery = None if digest is None else session.exec(select(DigestDelivery).where(
            DigestDelivery.digest_id == digest.id,
            DigestDelivery.person_id == person.id)).first()
    if delivery is None:
        raise NotFound(f"--to {to}: no digest of {target.key} was prepared for them",
                       hint=f"`coalition digest send --period {target.key}` sends the period")
    if delivery.status not in RESENDABLE:
        raise InputError(_not_resendable(rt, target.key, person.email, delivery))
    _check_links(rt)
    how = ("ambiguous: it was handed to the mail server and no reply came, so it may have "
           "been delivered (the mail server's log says whether it was)"
           if delivery.status == "ambiguous" else "failed")
    out.print(f"About to send the {target.key} digest to {person.email} again. It is {how}; "
              f"since {_local(rt, delivery.error_at)}: {delivery.error or 'no reason recorded'}",
              markup=False, highlight=False, soft_wrap=True)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("not on a terminal, so nobody can be asked: add --yes to send it "
                             "again")
        if not typer.confirm("Send it again?", default=False):
            out.print("Not sent.")
            return
    transport = make_transport(rt.config)
    try:
        outcome = resend_delivery(engine=rt.engine, config=rt.config, delivery_id=delivery.id,
                                  period=target, now=rt.now(), transport=transport)
    except NotResendable as e:
        raise InputError(f"{person.email}: the {target.key} digest is {e.status} now (another "
                         "sender took it over): nothing was sent") from None
    finally:
        transport.close()
    with Session(rt.engine) as session:
        after = session.get(DigestDelivery, delivery.id)
    if outcome == "sent":
        out.print(f"sent again to {person.email}: {after.server_reply}", markup=False,
                  highlight=False, soft_wrap=True)
        return
    err.print(f"{person.email}: {outcome}: {after.error}", markup=False, highlight=False,
              soft_wrap=True)
    raise typer.Exit(1)


def _not_resendable(rt, key: str, email: str, delivery) -> str:
    if delivery.status == "sent":
        return (f"{email}: the {key} digest was sent {_local(rt, delivery.sent_at)} "
                f"({delivery.server_reply}); only an ambiguous or failed one is sent again")
    if delivery.status in ("pending", "claimed", "sending"):
        return (f"{email}: the {key} digest is {delivery.status}, not ambiguous or failed: "
                f"`coalition digest send --period {key}` sends it")
    return f"{email}: the {key} digest was {delivery.status} ({delivery.error}): not sent again"
