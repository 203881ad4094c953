"""Circulating a draft to the secretariat: HTML body, DOCX attached, once per version.

A version is the draft's content fingerprint; each (meeting, version, recipient) is recorded
in SentReminder before sending, so a re-run sends only a changed draft, and only once.
"""

from __future__ import annotations

import datetime as dt
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from coalition.errors import NotFound
from digests.message import clean_header
from digests.minutes.actions import sync_actions
from digests.minutes.docx import A4, Layout
from digests.minutes.draft import build_draft
from digests.minutes.render import render_minutes
from digests.transport import PermanentError, TransientError
from store.engine import unit_of_work
from store.meetings import find_meeting
from store.models import SentReminder
from store.people import secretariat


def circulate(*, engine, config, ref: str, now: dt.datetime, transport,
              layout: Layout = A4) -> str:
    with unit_of_work(engine) as session:
        meeting = find_meeting(session=session, ref=ref)
        if meeting is None:
            raise NotFound(f"no meeting {ref!r}")
        sync_actions(session=session, meeting=meeting, now=now)
        draft = build_draft(session=session, meeting=meeting, now=now)
        people = secretariat(session=session)
    html = render_minutes(draft, "html", now=now).decode()
    docx = render_minutes(draft, "docx", now=now, layout=layout)
    sent = skipped = 0
    for person in people:
        key = f"minutes:{draft.meeting_key}:{draft.version}:{person.email}"
        if not _claim(engine, key, person.email):
            skipped += 1
            continue
        msg = MIMEMultipart("mixed")
        msg["From"] = clean_header(config.email.from_)
        msg["To"] = clean_header(f"{person.name} <{person.email}>")
        msg["Subject"] = clean_header(f"Minutes draft: {draft.title}")
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = f"<minutes-{draft.meeting_key}-{draft.version}-{person.id}@" \
                            f"{config.email.from_.rpartition('@')[2].strip('> ')}>"
        msg.attach(MIMEText(html, "html", "utf-8"))
        attachment = MIMEApplication(docx, _subtype="vnd.openxmlformats-officedocument."
                                     "wordprocessingml.document")
        attachment.add_header("Content-Disposition", "attachment",
                              filename=f"{draft.meeting_key}-minutes-draft.docx")
        msg.attach(attachment)
        try:
            transport.send(msg)
        except (TransientError, PermanentError):
            _release(engine, key)
            raise
        sent += 1
    return f"{draft.title} (version {draft.version}): sent to {sent}, already sent to {skipped}"


def _claim(engine, key: str, channel: str) -> bool:
    try:
        with Session(engine) as session:
            if session.exec(select(SentReminder.id).where(SentReminder.key == key)).first():
                return False
            session.add(SentReminder(key=key, channel=channel,
                                     sent_at=dt.datetime.now(dt.UTC)))
            session.commit()
    except IntegrityError:
        return False
    return True


def _release(engine, key: str) -> None:
    with Session(engine) as session:
        for row in session.exec(select(SentReminder).where(SentReminder.key == key)):
            session.delete(row)
        session.commit()
