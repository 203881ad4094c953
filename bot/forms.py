"""The secretariat's Block Kit modals: adding and editing meetings and deadlines.

`*_modal()` builds the view (prefilled when editing); `save_*()` validates a submission's
values and writes the row, returning either the saved title or per-field errors for
`ack(response_action="errors", ...)`. Items added here carry origin "slack", which a data file
sync does not retire; an edit of an item from the data file lasts until the file changes.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlmodel import Session

from store import deadlines as deadline_store
from store import meetings as meeting_store
from store.models import Deadline, Meeting, WorkStream
from store.names import organisation_by_acronym, work_stream_by_key
from store.periods import parse_period

MEETING_FORM = "meeting_form"
DEADLINE_FORM = "deadline_form"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,59}$")
_OWNERS = re.compile(r"\s*(?:,|;|&|\band\b)\s*", re.I)
DEADLINE_STATUSES = ("open", "done", "cancelled")


def _input(block_id: str, label: str, initial: str = "", *, optional: bool = False,
           hint: str = "") -> dict:
    element = {"type": "plain_text_input", "action_id": "value"}
    if initial:
        element["initial_value"] = initial
    block = {"type": "input", "block_id": block_id, "optional": optional, "element": element,
             "label": {"type": "plain_text", "text": label}}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _view(callback_id: str, title: str, key: str, blocks: list[dict]) -> dict:
    return {"type": "modal", "callback_id": callback_id, "private_metadata": key,
            "title": {"type": "plain_text", "text": title[:24]},
            "submit": {"type": "plain_text", "text": "Save"},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks}


def _starts_text(m: Meeting) -> str:
    """The start as precisely as it is known, as the form takes it back."""
    local = m.starts_at.astimezone(ZoneInfo(m.timezone))
    if m.precision == "month":
        return f"{local:%B %Y}"
    if m.precision == "day":
        return f"{local:%Y-%m-%d}"
    return f"{local:%Y-%m-%d %H:%M}"


def meeting_modal(meeting: Meeting | None, timezone: str) -> dict:
    m = meeting
    blocks = [] if m else [_input("key", "Key", hint="e.g. img-8: letters, digits, - _ .")]
    zone = m.timezone if m else timezone
    blocks += [
        _input("title", "Title", m.title if m else ""),
        _input("number", "Number in its series", str(m.number or "") if m else "",
               optional=True),
        _input("starts", "Starts", _starts_text(m) if m else "",
               hint=f"YYYY-MM-DD HH:MM ({zone} time); or only the day (YYYY-MM-DD) or the "
                    f"month (December 2017) while the date is to be confirmed"),
        _input("location", "Place", m.location if m else "", optional=True),
        _input("link", "Link", m.link if m else "", optional=True),
        _input("status", "Status", m.status if m else "", optional=True,
               hint="planned, postponed or cancelled (upcoming or held goes by the date)"),
    ]
    return _view(MEETING_FORM, "Edit meeting" if m else "Add a meeting", m.key if m else "",
                 blocks)


def deadline_modal(deadline: Deadline | None, names: dict[str, str]) -> dict:
    d = deadline
    blocks = [] if d else [_input("key", "Key", hint="e.g. ws1-report: letters, digits, - _ .")]
    blocks += [
        _input("title", "Title", d.title if d else ""),
        _input("due", "Due", (d.due_text or str(d.due_on or "")) if d else "",
               hint="2017-11-30, or a period such as 'November 2017'"),
        _input("owner", "Owner organisations", names.get("owner", ""), optional=True,
               hint="acronyms, e.g. BRS or BRS, UNITAR"),
        _input("work_stream", "Work stream", names.get("work_stream", ""), optional=True,
               hint="a key, e.g. ws1"),
        _input("status", "Status", d.status if d else "", optional=True,
               hint="open, done or cancelled"),
    ]
    return _view(DEADLINE_FORM, "Edit deadline" if d else "Add a deadline", d.key if d else "",
                 blocks)


def values_of(view: dict) -> dict[str, str]:
    state = view.get("state", {}).get("values", {})
    return {block: (fields.get("value", {}).get("value") or "").strip()
            for block, fields in state.items()}


def find_meeting(session: Session, key: str) -> Meeting | None:
    """A meeting by key (or by its number in the main series, `meeting edit 5`)."""
    return meeting_store.find_meeting(session=session, ref=key) if key.strip() else None


def find_deadline(session: Session, key: str) -> Deadline | None:
    return deadline_store.find_deadline(session=session, ref=key)


def deadline_names(session: Session, d: Deadline | None) -> dict[str, str]:
    if d is None:
        return {}
    owners = deadline_store.owners_of(session=session, deadline_ids=[d.id]).get(d.id, [])
    ws = session.get(WorkStream, d.work_stream_id) if d.work_stream_id else None
    return {"owner": ", ".join(acronym for _, acronym in owners),
            "work_stream": ws.key if ws else ""}


def _new_key(session: Session, store, values: dict, errors: dict) -> str:
    key = values.get("key", "").lower()
    if not _KEY.match(key):
        errors["key"] = "Use lower-case letters, digits, - _ or . (at most 60)."
    elif store.key_taken(session=session, key=key):
        errors["key"] = f"{key} already exists; use edit."
    return key


def _starts(text: str, zone: str) -> tuple[dt.datetime, str]:
    """A start as typed, with its precision: a time, a day or a month (ValueError if none)."""
    for fmt, precision in (("%Y-%m-%d %H:%M", "minute"), ("%Y-%m-%d", "day")):
        try:
            when = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return when.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC), precision
    period = parse_period(text)  # "December 2017"
    first = period.starts_on
    if first is None or period.ends_on is None or first.month != period.ends_on.month or \
            first.year != period.ends_on.year or period.starts_on == period.ends_on:
        raise ValueError(text)
    return dt.datetime.combine(first, dt.time(0, 0), ZoneInfo(zone)).astimezone(dt.UTC), \
        "month"


def save_meeting(*, session: Session, key: str, values: dict, timezone: str,
                 now: dt.datetime) -> tuple[str, dict]:
    errors: dict[str, str] = {}
    meeting = find_meeting(session, key) if key else None
    if key and meeting is None:
        return "", {"title": f"The meeting {key} no longer exists."}
    new_key = _new_key(session, meeting_store, values, errors) if meeting is None else key
    zone = meeting.timezone if meeting else timezone
    try:
        starts, precision = _starts(values.get("starts", ""), zone)
    except ValueError:
        errors["starts"] = ("Write the start as YYYY-MM-DD HH:MM (2018-03-15 14:00), or the "
                            "day (2018-03-15) or month (March 2018) while it is to be "
                            "confirmed.")
    number = values.get("number", "")
    if number and not (number.isdigit() and len(number) <= 6):
        errors["number"] = "A whole number, e.g. 8."
    status = values.get("status", "").lower() or (meeting.status if meeting else "planned")
    if status not in meeting_store.MARKS:
        errors["status"] = "planned, postponed or cancelled."
    if errors:
        return "", errors
    meeting = meeting or Meeting(key=new_key, title="", starts_at=now, timezone=zone,
                                 origin="slack")
    meeting.title, meeting.location, meeting.link = (values["title"], values.get("location", ""),
                                                     values.get("link", ""))
    meeting.number = int(number) if number else None
    meeting.starts_at, meeting.precision = starts, precision
    if precision != "minute":
        meeting.ends_at = None
    elif meeting.ends_at is not None and meeting.ends_at <= starts:
        meeting.ends_at = None  # the old end is before the new start
    meeting.status = status
    session.add(meeting)
    session.flush()
    return meeting.title, {}


def save_deadline(*, session: Session, key: str, values: dict,
                  now: dt.datetime) -> tuple[str, dict]:
    errors: dict[str, str] = {}
    deadline = find_deadline(session, key) if key else None
    if key and deadline is None:
        return "", {"title": f"The deadline {key} no longer exists."}
    new_key = _new_key(session, deadline_store, values, errors) if deadline is None else key
    try:
        period = parse_period(values.get("due", ""))
    except ValueError as e:
        errors["due"] = str(e)[:150]
    owners = []
    for acronym in (a for a in _OWNERS.split(values.get("owner", "")) if a):
        org = organisation_by_acronym(session=session, acronym=acronym)
        if org is None:
            errors["owner"] = f"There is no {acronym!r}."
        elif org.id not in owners:
            owners.append(org.id)
    stream = None
    if values.get("work_stream"):
        stream = work_stream_by_key(session=session, key=values["work_stream"])
        if stream is None:
            errors["work_stream"] = f"There is no {values['work_stream']!r}."
    status = values.get("status", "").lower() or (deadline.status if deadline else "open")
    if status not in DEADLINE_STATUSES:
        errors["status"] = "open, done or cancelled."
    if errors:
        return "", errors
    deadline = deadline or Deadline(key=new_key, title="", origin="slack")
    deadline.title = values["title"]
    deadline.due_text, deadline.starts_on, deadline.due_on = (period.text, period.starts_on,
                                                              period.ends_on)
    deadline.work_stream_id = stream.id if stream else None
    if status != deadline.status:
        deadline.done_at = now if status == "done" else None
    deadline.status = status
    session.add(deadline)
    session.flush()
    deadline_store.set_owners(session=session, deadline=deadline, organisation_ids=owners)
    session.flush()
    return deadline.title, {}
