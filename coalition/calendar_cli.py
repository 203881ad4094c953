"""`coalition calendar ...`: the iCalendar feed of meetings and deadlines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from coalition.clikit import out, runtime_from, write_output

calendar_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                           help="Publish meetings and deadlines as iCalendar.")


@calendar_app.command("export")
def export(
    ctx: typer.Context,
    ws: Annotated[str | None, typer.Option("--ws", help="Only this work stream (key).")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Export meetings and deadlines as an .ics calendar (what GET /calendar.ics serves)."""
    from digests.calendar import build_calendar
    from store.engine import unit_of_work

    rt = runtime_from(ctx, create=False)
    with unit_of_work(rt.engine) as session:
        data = build_calendar(session=session, now=rt.now(), name=rt.config.coalition.name,
                              work_stream=ws).to_ical()
    if out_file:
        write_output(out_file, data)
        out.print(f"wrote {out_file}", markup=False)
    else:
        sys.stdout.buffer.write(data)
