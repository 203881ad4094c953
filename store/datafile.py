"""The coalition data file: a human-edited TOML file of reference data.

This module validates the file into plain pydantic models; `store.sync` writes them to the store.
Every item has a natural key (an organisation's acronym, a person's email, a work stream's key,
a meeting's key, a deadline's key) so that editing the file updates rows instead of adding them.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coalition.errors import InputError
from store.periods import parse_period
from store.textfile import read_text


class DataFileError(InputError):
    """The data file cannot be read or is not valid; the message names file, item and problem."""


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_tz(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(
            f"unknown timezone {value!r} (expected an IANA name such as Europe/Zurich)"
        ) from e
    return value


class OrganisationItem(_Item):
    acronym: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: Literal["member", "partner", "secretariat"] = "member"
    website: str = ""
    aliases: list[str] = []
    unit: str = ""
    parent: str = ""


class PersonItem(_Item):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str = Field(min_length=1)
    title: str = ""
    organisation: str = ""
    role: Literal["focal_point", "secretariat", "member"] = "member"
    timezone: str = "Europe/Zurich"
    slack_user_id: str = ""
    digest: bool = True

    _tz = field_validator("timezone")(_check_tz)


class RoleItem(_Item):
    organisation: str
    role: Literal["lead", "co-lead", "support", "interested"]
    since: dt.date | None = None
    until: dt.date | None = None
    note: str = ""


class WorkStreamItem(_Item):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["work_stream", "programme_area", "work_area"] = "work_stream"
    number: int | None = None
    name: str = Field(min_length=1)
    aliases: list[str] = []
    description: str = ""
    lead_note: str = ""
    keywords: list[str] = []
    roles: list[RoleItem] = []


class AgendaItemItem(_Item):
    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    work_stream: str = ""
    presenter: str = ""
    description: str = ""


class MeetingItem(_Item):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    series: str = "IMG"
    number: int | None = None
    title: str = Field(min_length=1)
    starts: dt.datetime | dt.date
    ends: dt.datetime | None = None
    timezone: str = "Europe/Zurich"
    precision: Literal["minute", "day", "month"] = "minute"
    online: bool = False
    location: str = ""
    link: str = ""
    chair: str = ""
    status: Literal["planned", "held", "cancelled"] = "planned"
    purpose: str = ""
    documents: list[str] = []
    participants: list[str] = []
    agenda: list[AgendaItemItem] = []

    _tz = field_validator("timezone")(_check_tz)


class DeadlineItem(_Item):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    title: str = Field(min_length=1)
    description: str = ""
    due: str | dt.date
    owner: str = ""
    owner_person: str = ""
    work_stream: str = ""
    meeting: str = ""
    kind: Literal["deliverable", "action", "milestone"] = "deliverable"
    status: Literal["open", "done", "cancelled"] = "open"
    source: str = ""

    @field_validator("due")
    @classmethod
    def _due_parses(cls, value: str | dt.date) -> str | dt.date:
        if isinstance(value, str):
            parse_period(value)  # raises ValueError with a readable message
        return value


class DataFile(_Item):
    organisations: list[OrganisationItem] = []
    people: list[PersonItem] = []
    work_streams: list[WorkStreamItem] = []
    meetings: list[MeetingItem] = []
    deadlines: list[DeadlineItem] = []


_SECTION_HEADER = re.compile(r"^\s*\[\[\s*([a-z_.]+)\s*\]\]")


def _item_line(text: str, section: str, index: int) -> int | None:
    """The line number of the index-th `[[section]]` header, to point a reader at the item."""
    seen = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _SECTION_HEADER.match(line)
        if m and m.group(1) == section:
            if seen == index:
                return lineno
            seen += 1
    return None


def _describe(text: str, raw: dict, loc: tuple) -> str:
    """Turn a pydantic error location into 'people[3] (ms@example.org), line 42: key'."""
    if not loc or loc[0] not in raw or len(loc) < 2 or not isinstance(loc[1], int):
        return ".".join(str(p) for p in loc) or "file"
    section, index = loc[0], loc[1]
    item = raw[section][index] if index < len(raw[section]) else {}
    label = ""
    if isinstance(item, dict):
        for key in ("key", "acronym", "email"):
            if key in item:
                label = f" ({item[key]})"
                break
    line = _item_line(text, section, index)
    where = f"{section}[{index + 1}]{label}"
    if line:
        where += f", line {line}"
    rest = ".".join(str(p) for p in loc[2:])
    return f"{where}: {rest}" if rest else where


def load_data_file(path: Path) -> DataFile:
    """Read and validate the data file, raising DataFileError with one readable message."""
    text = read_text(path, what="data file", error=DataFileError)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DataFileError(f"{path}: not valid TOML: {e}") from None
    except RecursionError:
        raise DataFileError(f"{path}: not valid TOML: nested too deeply") from None
    try:
        data = DataFile.model_validate(raw)
    except ValidationError as e:
        problems = []
        for err in e.errors()[:5]:
            problems.append(f"{_describe(text, raw, tuple(err['loc']))}: {err['msg']}")
        more = f" (and {e.error_count() - 5} more)" if e.error_count() > 5 else ""
        raise DataFileError(f"{path}: " + "; ".join(problems) + more) from e
    _check_references(path, text, data)
    return data


def _check_references(path: Path, text: str, data: DataFile) -> None:
    """Every acronym, email and key the file refers to must be defined in it, once."""
    problems: list[str] = []

    def where(section: str, index: int, label: str) -> str:
        line = _item_line(text, section, index)
        return f"{section}[{index + 1}] ({label})" + (f", line {line}" if line else "")

    def unique(section: str, keys: list[str]) -> set[str]:
        seen: set[str] = set()
        for i, k in enumerate(keys):
            if k.lower() in seen:
                problems.append(f"{where(section, i, k)}: defined twice")
            seen.add(k.lower())
        return seen

    orgs = unique("organisations", [o.acronym for o in data.organisations])
    people = unique("people", [p.email for p in data.people])
    streams = unique("work_streams", [w.key for w in data.work_streams])
    meetings = unique("meetings", [m.key for m in data.meetings])
    unique("deadlines", [d.key for d in data.deadlines])

    def ref(kind: str, value: str, known: set[str], at: str) -> None:
        if value and value.lower() not in known:
            problems.append(f"{at}: {kind} {value!r} is not defined in the file")

    for i, o in enumerate(data.organisations):
        ref("organisation", o.parent, orgs, where("organisations", i, o.acronym))
    for i, p in enumerate(data.people):
        ref("organisation", p.organisation, orgs, where("people", i, p.email))
    for i, w in enumerate(data.work_streams):
        for r in w.roles:
            ref("organisation", r.organisation, orgs, where("work_streams", i, w.key))
    for i, m in enumerate(data.meetings):
        at = where("meetings", i, m.key)
        ref("person", m.chair, people, at)
        for email in m.participants:
            ref("person", email, people, at)
        for a in m.agenda:
            ref("work stream", a.work_stream, streams, at)
        numbers = [a.number for a in m.agenda]
        if len(set(numbers)) != len(numbers):
            problems.append(f"{at}: agenda item numbers repeat")
    for i, d in enumerate(data.deadlines):
        at = where("deadlines", i, d.key)
        ref("organisation", d.owner, orgs, at)
        ref("person", d.owner_person, people, at)
        ref("work stream", d.work_stream, streams, at)
        ref("meeting", d.meeting, meetings, at)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise DataFileError(f"{path}: " + "; ".join(problems[:5]) + more)
