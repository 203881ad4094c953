"""`coalition minutes ...`: notes in, drafts out, in the secretariat's house style."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from coalition.clikit import UsageError, err, out, runtime_from, write_output
from coalition.errors import NotFound
from store.words import plural

minutes_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                          help="Meeting notes and minutes drafts.")

MeetingArg = Annotated[str, typer.Argument(help="The meeting: its number (5) or key (img-5).")]


def _meeting(session, ref: str):
    from store.meetings import find_meeting

    meeting = find_meeting(session=session, ref=ref)
    if meeting is None:
        raise NotFound(f"no meeting {ref!r}", hint="give its number (5) or its key (img-5); "
                       "`coalition ask meetings` lists them")
    return meeting


@minutes_app.command()
def note(
    ctx: typer.Context,
    meeting: MeetingArg,
    item: Annotated[str, typer.Argument(
        help="The agenda item number, or a section: introduction, opening (or 0), other, "
             "closure.")],
    text: Annotated[str, typer.Argument(help='The note, e.g. "Conclusion: ..." or '
                                        '"Ms. X (ORG): ...".')],
) -> None:
    """Record one note against an agenda item or a section of the meeting."""
    from digests.minutes.actions import sync_actions
    from digests.minutes.notes import parse_note, parse_place, record_note
    from store.engine import unit_of_work

    try:
        place = parse_place(item)
    except ValueError as e:
        raise UsageError(f"ITEM: {e}") from None
    try:
        parsed = parse_note(text)
    except ValueError as e:
        raise UsageError(f"the note: {e}") from None
    rt = runtime_from(ctx, create=False)
    with unit_of_work(rt.engine) as session:
        m = _meeting(session, meeting)
        try:
            _, new = record_note(session=session, meeting=m, item_number=place, note=parsed,
                                 source="cli", now=rt.now())
        except ValueError as e:
            raise UsageError(str(e)) from None
        sync_actions(session=session, meeting=m, now=rt.now())
    out.print("noted" if new else "already noted")


@minutes_app.command("import")
def import_(
    ctx: typer.Context,
    meeting: MeetingArg,
    file: Annotated[Path, typer.Argument(help="A notes file: one note a line, "
                                         "starting with the agenda item number.")],
) -> None:
    """Import a notes file; importing it again adds nothing, a bad line stores nothing."""
    from digests.minutes.actions import sync_actions
    from digests.minutes.notes import import_notes
    from store.engine import unit_of_work

    rt = runtime_from(ctx)
    with unit_of_work(rt.engine) as session:
        m = _meeting(session, meeting)
        added = import_notes(session=session, meeting=m, path=file, now=rt.now())
        actions = sync_actions(session=session, meeting=m, now=rt.now())
    matched = f", {plural(actions.updated, 'next step')} matched to action items already " \
        "listed" if actions.updated else ""
    out.print(f"{m.title}: {plural(added, 'note')} added, "
              f"{plural(actions.created, 'action item')} created{matched}", markup=False)


@minutes_app.command()
def draft(
    ctx: typer.Context,
    meeting: MeetingArg,
    fmt: Annotated[str, typer.Option("--format", help="md, html or docx.")] = "md",
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write to this file (default: standard output; docx needs --out).")] = None,
) -> None:
    """Draft the meeting's minutes in the house style; next steps become action items."""
    from digests.minutes.actions import sync_actions
    from digests.minutes.draft import build_draft
    from digests.minutes.render import FORMATS, render_minutes
    from store.engine import unit_of_work

    if fmt not in FORMATS:
        raise UsageError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "docx" and out_file is None:
        raise UsageError("--format docx needs --out FILE")
    rt = runtime_from(ctx, create=False)
    with unit_of_work(rt.engine) as session:
        m = _meeting(session, meeting)
        sync_actions(session=session, meeting=m, now=rt.now())
        data = render_minutes(build_draft(session=session, meeting=m, now=rt.now()), fmt,
                              now=rt.now(), layout=rt.minutes_layout)
    if out_file:
        write_output(out_file, data)
        out.print(f"wrote {out_file}", markup=False)
    else:
        sys.stdout.write(data.decode())


@minutes_app.command()
def transcript(
    ctx: typer.Context,
    meeting: MeetingArg,
    file: Annotated[Path, typer.Argument(help="The meeting's WebVTT transcript (.vtt), as "
                                         "Teams or Zoom save it.")],
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the notes file here (default: standard output).")] = None,
    speaker: Annotated[list[str] | None, typer.Option(
        "--speaker", help='A speaker the transcript names otherwise than the data file: '
                          '"Raw Name=email" (repeatable).')] = None,
) -> None:
    """Turn a transcript into a notes file to edit and import: speakers matched to the
    participants, one turn a line under the agenda item the chair moved on to."""
    from digests.minutes.transcript import TranscriptError, parse_speaker_options, transcript_notes
    from store.engine import unit_of_work
    from store.textfile import read_text

    given = parse_speaker_options(speaker or [])
    text = read_text(file, what="transcript", error=TranscriptError)
    rt = runtime_from(ctx, create=False)
    with unit_of_work(rt.engine) as session:
        m = _meeting(session, meeting)
        notes = transcript_notes(session=session, meeting=m, text=text, name=file.name,
                                 speakers=given, ref=meeting)
    for warning in notes.warnings:
        err.print(f"warning: {warning}", markup=False, soft_wrap=True)
    for raw_name, turns in notes.unmatched.items():
        err.print(f"not matched: {raw_name} ({plural(turns, 'turn')}); give --speaker "
                  f"\"{raw_name}=EMAIL\" or edit its lines", markup=False, soft_wrap=True)
    summary = (f"{plural(notes.turns, 'turn')}, {plural(len(set(notes.matched)), 'speaker')} "
               f"matched, {len(notes.unmatched)} not matched")
    if out_file:
        write_output(out_file, notes.text.encode())
        out.print(f"wrote {out_file}: {summary}", markup=False, soft_wrap=True)
    else:
        sys.stdout.write(notes.text)
        err.print(summary, markup=False, soft_wrap=True)


@minutes_app.command()
def send(ctx: typer.Context, meeting: MeetingArg) -> None:
    """Email the draft (HTML body, DOCX attached) to the secretariat, once per version."""
    from digests.minutes.circulate import circulate
    from digests.transport import make_transport

    rt = runtime_from(ctx, create=False)
    transport = make_transport(rt.config)
    try:
        result = circulate(engine=rt.engine, config=rt.config, ref=meeting, now=rt.now(),
                           transport=transport, layout=rt.minutes_layout)
    finally:
        transport.close()
    out.print(result, markup=False)
