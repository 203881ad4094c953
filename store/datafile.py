"""The coalition data file: a human-edited TOML file of reference data.

This module reads the file and validates it into plain pydantic models; `store.sync` writes
them to the store. Every item has a natural key (an organisation's acronym, a person's email,
a work stream's key, a meeting's key, a deadline's key) so that editing the file updates rows
instead of adding them, and a hash of its entry (`entry_hash`), so that a sync can leave alone
the items whose entries did not change.

A file that cannot be used gets one message listing every problem at once, each with the line
of the offending field, in plain words (`store.datafile_problems`); nothing in the file is
written then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli  # the standard library's tomllib, compiled: a 10,000-item file reads 3x faster
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from coalition.errors import InputError
from store import textfile
from store.datafile_checks import raw_problems
from store.datafile_problems import Problems
from store.periods import YEARS, parse_period

MAX_BYTES = 64 * 1024 * 1024
HASH_VERSION = "1"  # bump when the same entry is to be written differently


class DataFileError(InputError):
    """The data file cannot be read or is not valid; the message names the file, each problem's
    line, item and field, and what is expected."""


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain(value: str) -> str:
    m = _CONTROL.search(value)
    if m is not None:
        bad = m.group()
        name = "NUL" if bad == "\x00" else f"U+{ord(bad):04X}"
        raise ValueError(f"contains a control character ({name}); remove it")
    return value


def _in_range(value: dt.date) -> dt.date:
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise ValueError(f"{value.isoformat()} is out of range (years {YEARS[0]}-{YEARS[1]})")
    return value


Text = Annotated[str, AfterValidator(_plain)]
Name = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_plain)]
Ref = Annotated[str, Field(max_length=320), AfterValidator(_plain)]
Day = Annotated[dt.date, AfterValidator(_in_range)]
Moment = Annotated[dt.datetime, AfterValidator(_in_range)]
Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    _hash: str = PrivateAttr(default="")

    @property
    def entry_hash(self) -> str:
        """A hash of what the file says of this item (its own fields)."""
        return self.__pydantic_private__["_hash"]  # (`self._hash` takes pydantic's slow path)


def _check_tz(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(
            f"unknown timezone {value!r} (expected an IANA name such as Europe/Zurich)"
        ) from e
    return value


class OrganisationItem(_Item):
    acronym: Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_plain)]
    name: Name
    kind: Literal["member", "partner", "secretariat"] = "member"
    website: Annotated[str, Field(max_length=2000), AfterValidator(_plain)] = ""
    aliases: list[Name] = []
    # a unit named with the organisation in the minutes: "Pollution and Health Unit"
    unit: Annotated[str, Field(max_length=300), AfterValidator(_plain)] = ""
    parent: Ref = ""


class PersonItem(_Item):
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]
    name: Name
    title: Annotated[str, Field(max_length=40), AfterValidator(_plain)] = ""
    organisation: Ref = ""
    role: Literal["focal_point", "secretariat", "member"] = "member"
    timezone: str = "Europe/Zurich"
    slack_user_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9]*$", max_length=40)] = ""
    digest: bool = True

    _tz = field_validator("timezone")(_check_tz)


class RoleItem(_Item):
    organisation: Ref
    role: Literal["lead", "co-lead", "support", "interested"]
    since: Day | None = None
    until: Day | None = None
    note: Text = ""


class WorkStreamItem(_Item):
    key: Key
    kind: Literal["work_stream", "programme_area", "work_area"] = "work_stream"
    number: Annotated[int, Field(ge=1, le=1000)] | None = None
    name: Name
    aliases: list[Name] = []
    description: Text = ""
    lead_note: Text = ""
    keywords: list[Name] = []
    roles: list[RoleItem] = []


class AgendaItemItem(_Item):
    number: Annotated[int, Field(ge=1, le=999)]
    title: Annotated[str, Field(min_length=1), AfterValidator(_plain)]
    work_stream: Ref = ""
    presenter: Text = ""
    description: Text = ""


class MeetingItem(_Item):
    key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)]
    series: Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_plain)] = "IMG"
    number: Annotated[int, Field(ge=1, le=100000)] | None = None
    title: Name
    starts: Moment | Day
    ends: Moment | None = None
    timezone: str = "Europe/Zurich"
    precision: Literal["minute", "day", "month"] = "minute"
    online: bool = False
    location: Text = ""
    link: Annotated[str, Field(max_length=2000), AfterValidator(_plain)] = ""
    chair: Ref = ""
    # held and planned: as scheduled (time tells upcoming from held); the others are marks
    status: Literal["planned", "held", "cancelled", "postponed"] = "planned"
    purpose: Text = ""
    documents: list[Name] = []
    participants: list[Ref] = []
    agenda: list[AgendaItemItem] = []

    _tz = field_validator("timezone")(_check_tz)

    @model_validator(mode="after")
    def _precision(self) -> MeetingItem:
        if "precision" not in self.model_fields_set and not isinstance(self.starts,
                                                                       dt.datetime):
            self.precision = "day"  # a date without a time is known by its day
        return self


class DeadlineItem(_Item):
    key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=120)]
    title: Annotated[str, Field(min_length=1), AfterValidator(_plain)]
    description: Text = ""
    due: Annotated[str, Field(max_length=100)] | Day
    owner: Ref = ""
    owners: list[Ref] = []
    owner_person: Ref = ""
    work_stream: Ref = ""
    meeting: Ref = ""
    from_meeting: Ref = ""
    kind: Literal["deliverable", "action", "milestone"] = "deliverable"
    status: Literal["open", "done", "cancelled"] = "open"
    source: Text = ""

    @field_validator("due")
    @classmethod
    def _due_parses(cls, value: str | dt.date) -> str | dt.date:
        if isinstance(value, str):
            _plain(value)
            parse_period(value)  # raises ValueError with a readable message
        return value

    @model_validator(mode="after")
    def _from_meeting(self) -> DeadlineItem:
        if self.from_meeting and "kind" not in self.model_fields_set:
            self.kind = "action"  # a next step agreed at a meeting is an action item
        return self

    @property
    def owner_list(self) -> list[str]:
        """Every owner organisation's acronym, first owner first (`owner` or `owners`)."""
        return [self.owner] if self.owner else list(dict.fromkeys(self.owners))


class DataFile(_Item):
    organisations: list[OrganisationItem] = []
    people: list[PersonItem] = []
    work_streams: list[WorkStreamItem] = []
    meetings: list[MeetingItem] = []
    deadlines: list[DeadlineItem] = []


# The parts of an entry that are rows of their own, each with its own hash.
_OWN_ROWS = {"work_streams": ("roles",), "meetings": ("agenda", "participants")}


def entry_hash(entry: dict, leave_out: tuple[str, ...] = ()) -> str:
    """A hash of what the file says of one item (leaving out its parts that are rows of
    their own): unchanged while the entry is."""
    own = {k: v for k, v in entry.items() if k not in leave_out}
    text = json.dumps(own, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(f"{HASH_VERSION}\n{text}".encode(), digest_size=16).hexdigest()


def _set_hashes(data: DataFile, raw: dict) -> None:
    for section in DataFile.model_fields:
        leave_out = _OWN_ROWS.get(section, ())
        for item, entry in zip(getattr(data, section), raw.get(section, []), strict=True):
            item.__pydantic_private__["_hash"] = entry_hash(entry, leave_out)
            if section == "work_streams":
                for role, sub in zip(item.roles, entry.get("roles", []), strict=True):
                    role.__pydantic_private__["_hash"] = entry_hash(sub)
            elif section == "meetings":
                for agenda, sub in zip(item.agenda, entry.get("agenda", []), strict=True):
                    agenda.__pydantic_private__["_hash"] = entry_hash(sub)


def read_text(path: Path) -> str:
    """The file's text, or DataFileError saying why it cannot be read (missing, too large,
    not UTF-8)."""
    return textfile.read_text(path, what="data file", error=DataFileError, max_bytes=MAX_BYTES)


def parse_text(path: Path, text: str) -> dict:
    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as e:
        raise DataFileError(f"{path}: not valid TOML: {e}") from None
    except RecursionError:
        raise DataFileError(f"{path}: not valid TOML: values are nested too deeply "
                            "(arrays or tables inside each other hundreds of levels deep)"
                            ) from None


def load_data_file(path: Path) -> DataFile:
    """Read and validate the data file; DataFileError lists every problem at once."""
    text = read_text(path)
    raw = parse_text(path, text)
    problems = Problems(path, text)
    data = None
    try:
        data = DataFile.model_validate(raw)
    except ValidationError as e:
        problems.add_validation(e, DataFile)
    except RecursionError:
        raise DataFileError(f"{path}: values are nested too deeply") from None
    raw_problems(problems, raw)
    if problems:
        raise DataFileError(problems.message())
    _set_hashes(data, raw)
    return data
