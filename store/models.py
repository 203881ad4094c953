"""The coalition's world as tables.

Reference data (organisations, people, work streams, meetings, deadlines) comes from the data
file and carries `retired_at`: an item removed from the file is retired, never deleted, so its
history stays. Every time is timezone-aware UTC (`UTCDateTime`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


def _when(nullable: bool = True, **kw):
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, **kw)


def _json_list():
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def _entry_hash():
    """What the data file last said of the item (a hash of its entry): a sync leaves the row
    alone while its entry is unchanged, so edits made in Slack last until the entry changes."""
    return Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    acronym: str = Field(unique=True, index=True, max_length=40)
    name: str
    kind: str = "member"  # member | partner | secretariat
    website: str = ""
    aliases: list[str] = _json_list()
    unit: str = ""  # a unit named with it, e.g. "Pollution and Health Unit" (of its parent)
    parent_id: int | None = Field(default=None, foreign_key="organisation.id")
    entry_hash: str = _entry_hash()
    retired_at: dt.datetime | None = _when()


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=320)
    name: str
    title: str = ""
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    slack_user_id: str | None = Field(default=None, unique=True, index=True, max_length=40)
    role: str = "member"  # focal_point | secretariat | member
    timezone: str = "Europe/Zurich"
    digest_subscribed: bool = True
    unsubscribe_token: str = Field(unique=True, max_length=64)
    entry_hash: str = _entry_hash()
    retired_at: dt.datetime | None = _when()


class WorkStream(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=40)
    kind: str = "work_stream"  # work_stream | programme_area | work_area
    number: int | None = None
    name: str
    aliases: list[str] = _json_list()
    description: str = Field(default="", sa_type=Text)
    lead_note: str = ""
    keywords: list[str] = _json_list()
    entry_hash: str = _entry_hash()
    retired_at: dt.datetime | None = _when()


class WorkStreamRole(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("work_stream_id", "organisation_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    work_stream_id: int = Field(foreign_key="workstream.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    role: str  # lead | co-lead | support | interested
    since: dt.date | None = None
    until: dt.date | None = None
    note: str = ""
    entry_hash: str = _entry_hash()
    retired_at: dt.datetime | None = _when()


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=60)
    series: str = "IMG"
    number: int | None = Field(default=None, index=True)
    title: str
    starts_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: dt.datetime | None = _when()
    timezone: str = "Europe/Zurich"
    precision: str = "minute"  # minute | day | month
    online: bool = False
    location: str = ""
    link: str = ""
    chair_id: int | None = Field(default=None, foreign_key="person.id")
    # the secretariat's mark: planned | cancelled | postponed; upcoming or held is a matter of
    # time (store.meetings.meeting_status)
    status: str = "planned"
    purpose: str = Field(default="", sa_type=Text)
    documents: list[str] = _json_list()
    origin: str = "data"  # data (the data file) | slack
    entry_hash: str = _entry_hash()
    retired_at: dt.datetime | None = _when()


class AgendaItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    number: int
    title: str
    work_stream_id: int | None = Field(default=None, foreign_key="workstream.id")
    presenter: str = ""
    description: str = Field(default="", sa_type=Text)
    entry_hash: str = _entry_hash()
    retired_at: dt.datetime | None = _when()


class Attendance(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    position: int = 0
    present: bool = True
    entry_hash: str = _entry_hash()
    retired_at: dt.datetime | None = _when()


class Deadline(SQLModel, table=True):
    # "the next open deadlines" and their count read this index alone
    __table_args__ = (Index("ix_deadline_open_due", "status", "retired_at", "due_on", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=120)
    title: str
    description: str = Field(default="", sa_type=Text)
    due_text: str = ""
    starts_on: dt.date | None = None
    due_on: dt.date | None = Field(default=None, index=True)
    # the first of its owners (`DeadlineOwner` lists them all); written by store.deadlines only
    owner_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    owner_person_id: int | None = Field(default=None, foreign_key="person.id")
    work_stream_id: int | None = Field(default=None, foreign_key="workstream.id")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    # the meeting whose next steps include it (an action item agreed there)
    from_meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    kind: str = "deliverable"  # deliverable | action | milestone
    status: str = Field(default="open", index=True)  # open | done | cancelled
    source: str = ""
    origin: str = "data"  # data (the data file) | minutes | slack | cli
    done_at: dt.datetime | None = _when()
    entry_hash: str = _entry_hash()
    retired_at: dt.datetime | None = _when()


class DeadlineOwner(SQLModel, table=True):
    """An owner organisation of a deadline, in the order the file or the note names them."""

    __table_args__ = (UniqueConstraint("deadline_id", "organisation_id"),)
    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(foreign_key="deadline.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    position: int = 0


class MeetingNote(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("meeting_id", "fingerprint"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agendaitem.id")
    # the meeting's own sections (no agenda item): introduction | opening | other | closure
    section: str = Field(default="", max_length=20)
    kind: str = "discussion"  # discussion | conclusion | next_step | closing
    verb: str = Field(default="", max_length=40)  # asked, suggested, ...; "" for noted
    speaker: str = ""
    speaker_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    owner_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    due_on: dt.date | None = None
    due_text: str = Field(default="", sa_column_kwargs={"server_default": ""})  # a period
    text: str = Field(sa_type=Text)
    position: int = 0
    fingerprint: str = Field(max_length=64)
    source: str = ""
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    action_id: int | None = Field(default=None, foreign_key="deadline.id")  # a next step's item


class Feed(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True, index=True, max_length=2000)
    title: str = ""
    kind: str = "news"  # news | publication | member
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    tags: list[str] = _json_list()
    origin: str = "config"  # config | cli | opml
    # new (never polled) | ok | warning (parsed with a warning) | error (the last poll failed)
    # | failing (`[feeds] failure_alert_after` polls in a row failed) | retired
    status: str = "new"
    etag: str = ""
    last_modified: str = ""
    last_polled_at: dt.datetime | None = _when()
    last_success_at: dt.datetime | None = _when()
    last_error: str = Field(default="", sa_type=Text)
    error_count: int = 0
    next_poll_at: dt.datetime | None = _when(index=True)
    interval_minutes: int = 60
    alerted_at: dt.datetime | None = _when()
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    retired_at: dt.datetime | None = _when()


class FeedEntry(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("feed_id", "identity"),)
    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True)
    identity: str = Field(max_length=64)
    guid: str = Field(default="", sa_type=Text)
    link: str = Field(default="", sa_type=Text)
    title: str = Field(default="", sa_type=Text)
    summary_html: str = Field(default="", sa_type=Text)  # the snippet, cut short
    content_html: str = Field(default="", sa_type=Text)  # the full text, when the feed has one
    author: str = ""
    published_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    first_seen_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime | None = _when()
    seen_at: dt.datetime | None = _when()  # the last poll that found it in its feed
    content_hash: str = Field(default="", max_length=64)
    backlog: bool = False
    work_streams: list[str] = _json_list()


class MemberUpdate(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("source", "source_id"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    text: str = Field(sa_type=Text)
    link: str = ""
    source: str = "cli"  # slack | feed | cli
    source_id: str = Field(max_length=200)
    posted_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    edited_at: dt.datetime | None = _when()
    deleted_at: dt.datetime | None = _when()


class Digest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(unique=True, index=True, max_length=20)  # ISO week, e.g. 2017-W41
    starts_at: dt.datetime = Field(sa_type=UTCDateTime)
    ends_at: dt.datetime = Field(sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DigestDelivery(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("digest_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digest.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    status: str = Field(default="pending", index=True)
    # pending | claimed | sending | sent | failed | skipped | ambiguous
    attempts: int = 0
    message_id: str = ""
    claimed_by: str = ""
    claimed_at: dt.datetime | None = _when()
    sent_at: dt.datetime | None = _when()
    server_reply: str = ""
    error: str = Field(default="", sa_type=Text)
    error_at: dt.datetime | None = _when()  # when `error` was written (the reason and its time)
    copy_key: str = Field(default="", max_length=64)  # the DigestCopy it was sent from


class DigestCopy(SQLModel, table=True):
    """What deliveries were rendered from, kept so that "view in browser" shows the message
    that was sent: the content without the reader's name and address (shared by every reader
    with the same digest), and the subject. Keyed by a hash of both."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    subject: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)  # JSON
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class SentReminder(SQLModel, table=True):
    """One row per reminder posted, so that each is posted once (natural key `key`)."""

    __table_args__ = (Index("ix_sentreminder_message", "channel", "message_ts"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    channel: str = ""
    message_ts: str = Field(default="", max_length=40)  # the posted message, for its thread
    sent_at: dt.datetime = Field(sa_type=UTCDateTime)


class SlackEvent(SQLModel, table=True):
    """Event ids already handled, so Slack's retries are stored once."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=100)
    received_at: dt.datetime = Field(sa_type=UTCDateTime)


class JobRun(SQLModel, table=True):
    """The last run of each scheduled job, and a lease so one process runs it at a time."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    last_started_at: dt.datetime | None = _when()
    last_success_at: dt.datetime | None = _when()
    last_error: str = Field(default="", sa_type=Text)
    lease_owner: str = ""
    lease_until: dt.datetime | None = _when()


class DataVersion(SQLModel, table=True):
    """One row whose number the database itself bumps in every transaction that changes the
    reference data (the tables in `store.version.REFERENCE_TABLES`), whichever process writes:
    answers kept in memory are stale as soon as it moves (triggers: migration 0003)."""

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(default=0, sa_type=BigInteger)
