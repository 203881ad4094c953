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

from sqlalchemy import func
from sqlmodel import Session, select

from store.models import Deadline, Meeting, Organisation, WorkStream
from store.periods import parse_period

MEETING_FORM = "meeting_form"
DEADLINE_FORM = "deadline_form"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,59}$")


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


def meeting_modal(meeting: Meeting | None, timezone: str) -> dict:
    m = meeting
    starts = m.starts_at.astimezone(ZoneInfo(m.timezone)).strftime("%Y-%m-%d %H:%M") if m else ""
    blocks = [] if m else [_input("key", "Key", hint="e.g. img-8: letters, digits, - _ .")]
    blocks += [
        _input("title", "Title", m.title if m else ""),
        _input("number", "Number in its series", str(m.number or "") if m else "",
               optional=True),
        _input("starts", "Starts", starts, hint=f"YYYY-MM-DD HH:MM, {timezone} time"),
        _input("location", "Place", m.location if m else "", optional=True),
        _input("link", "Link", m.link if m else "", optional=True),
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
        _input("owner", "Owner organisation", names.get("owner", ""), optional=True,
               hint="an acronym, e.g. BRS"),
        _input("work_stream", "Work stream", names.get("work_stream", ""), optional=True,
               hint="a key, e.g. ws1"),
    ]
    return _view(DEADLINE_FORM, "Edit deadline" if d else "Add a deadline", d.key if d else "",
                 blocks)


def values_of(view: dict) -> dict[str, str]:
    state = view.get("state", {}).get("values", {})
    return {block: (fields.get("value", {}).get("value") or "").strip()
            for block, fields in state.items()}


def find_meeting(session: Session, key: str) -> Meeting | None:
    return session.exec(select(Meeting).where(func.lower(Meeting.key) == key.lower(),
                                              Meeting.retired_at.is_(None))).first()


def find_deadline(session: Session, key: str) -> Deadline | None:
    return session.exec(select(Deadline).where(func.lower(Deadline.key) == key.lower(),
                                               Deadline.retired_at.is_(None))).first()


def deadline_names(session: Session, d: Deadline | None) -> dict[str, str]:
    if d is None:
        return {}
    org = session.get(Organisation, d.owner_organisation_id) if d.owner_organisation_id else None
    ws = session.get(WorkStream, d.work_stream_id) if d.work_stream_id else None
    return {"owner": org.acronym if org else "", "work_stream": ws.key if ws else ""}


def _new_key(session: Session, model, values: dict, errors: dict) -> str:
    key = values.get("key", "").lower()
    if not _KEY.match(key):
        errors["key"] = "Use lower-case letters, digits, - _ or . (at most 60)."
    elif session.exec(select(model).where(model.key == key)).first():
        errors["key"] = f"{key} already exists; use edit."
    return key


def save_meeting(*, session: Session, key: str, values: dict, timezone: str,
                 now: dt.datetime) -> tuple[str, dict]:
    errors: dict[str, str] = {}
    meeting = find_meeting(session, key) if key else None
    if key and meeting is None:
        return "", {"title": f"The meeting {key} no longer exists."}
    new_key = _new_key(session, Meeting, values, errors) if meeting is None else key
    try:
        starts = dt.datetime.strptime(values.get("starts", ""), "%Y-%m-%d %H:%M")
    except ValueError:
        errors["starts"] = "Write the start as YYYY-MM-DD HH:MM, e.g. 2018-03-15 14:00."
    number = values.get("number", "")
    if number and not number.isdigit():
        errors["number"] = "A whole number, e.g. 8."
    if errors:
        return "", errors
    zone = meeting.timezone if meeting else timezone
    meeting = meeting or Meeting(key=new_key, title="", starts_at=now, timezone=zone,
                                 origin="slack")
    meeting.title, meeting.location, meeting.link = (values["title"], values.get("location", ""),
                                                     values.get("link", ""))
    meeting.number = int(number) if number else None
    meeting.starts_at = starts.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
    meeting.precision = "minute"
    session.add(meeting)
    session.flush()
    return meeting.title, {}


def save_deadline(*, session: Session, key: str, values: dict,
                  now: dt.datetime) -> tuple[str, dict]:
    errors: dict[str, str] = {}
    deadline = find_deadline(session, key) if key else None
    if key and deadline is None:
        return "", {"title": f"The deadline {key} no longer exists."}
    new_key = _new_key(session, Deadline, values, errors) if deadline is None else key
    try:
        period = parse_period(values.get("due", ""))
    except ValueError as e:
        errors["due"] = str(e)[:150]
    owner = _lookup(session, Organisation, Organisation.acronym, values.get("owner", ""),
                    "owner", errors)
    stream = _lookup(session, WorkStream, WorkStream.key, values.get("work_stream", ""),
                     "work_stream", errors)
    if errors:
        return "", errors
    deadline = deadline or Deadline(key=new_key, title="", origin="slack")
    deadline.title = values["title"]
    deadline.due_text, deadline.starts_on, deadline.due_on = (period.text, period.starts_on,
                                                              period.ends_on)
    deadline.owner_organisation_id = owner.id if owner else None
    deadline.work_stream_id = stream.id if stream else None
    session.add(deadline)
    session.flush()
    return deadline.title, {}


def _lookup(session: Session, model, column, value: str, block: str, errors: dict):
    if not value:
        return None
    row = session.exec(select(model).where(func.lower(column) == value.lower(),
                                           model.retired_at.is_(None))).first()
    if row is None:
        errors[block] = f"There is no {value!r}."
    return row
