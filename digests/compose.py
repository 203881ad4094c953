"""One recipient's digest email: content, rendering, message."""

from __future__ import annotations

import datetime as dt
from functools import cache
from urllib.parse import quote

from digests.content import DigestContent, Shared, build_digest, reader_name
from digests.kept import Copy, CopyUnreadable, content_of, copy_of
from digests.message import DigestMessage, body, build_message
from digests.period import Period
from digests.personal import RenderCache
from digests.render import render_html, render_text
from digests.tokens import sign
from store.models import Person
from store.words import plural


def subject(content: DigestContent, short_name: str) -> str:
    """What is new for this reader, their own first, e.g. "E-waste Coalition — week 41:
    2 action items for you, 1 deadline for you, WS1 meeting Nov, 3 deadlines, 6 news".
    Overdue items are not news: they are in the digest, not in its subject."""
    parts = []
    if content.actions:
        parts.append(f"{plural(len(content.actions), 'action item')} for you")
    upcoming = [d for d in content.deadlines if not d.overdue]
    yours = sum(1 for d in upcoming if d.yours)
    if yours:
        parts.append(f"{plural(yours, 'deadline')} for you")
    if content.meeting:
        words = content.meeting.title.split()
        series = words[1] if len(words) > 1 and words[0][:1].isdigit() else "next"
        parts.append(f"{series} meeting {content.meeting_day}".strip())
    if len(upcoming) > yours:
        parts.append(plural(len(upcoming) - yours, "more deadline" if yours else "deadline"))
    if content.updates:
        parts.append(plural(len(content.updates), "member update"))
    if content.news:
        parts.append(f"{len(content.news) + content.more_news} news")
    tail = ", ".join(parts) or "nothing new"
    return f"{short_name} — week {content.week}: {tail}"


PLACEHOLDER = "<number>"  # a preview's delivery number: the period is not prepared yet


def links(config, person: Person, delivery_id: int | str | None) -> tuple[str, str]:
    """(view in browser, unsubscribe), signed with the current key."""
    base = config.email.base_url.rstrip("/")
    token = quote(sign(person.unsubscribe_token, config.secrets.unsubscribe_secret))
    view = f"{base}/digest/{delivery_id}?token={token}" if delivery_id else base
    return view, f"{base}/unsubscribe?token={token}"


def render(content: DigestContent, *, subject_line: str, view_url: str,
           unsubscribe_url: str) -> tuple[str, str]:
    context = {"d": content, "subject": subject_line, "view_url": view_url,
               "unsubscribe_url": unsubscribe_url}
    return render_text("digest.txt.j2", **context), render_html("digest.html.j2", **context)


def compose(*, person: Person, shared: Shared, config, period: Period, now: dt.datetime,
            delivery_id: int | str | None, renders: RenderCache | None = None
            ) -> DigestMessage | None:
    """The message for this person, or None when there is nothing to tell them. A run that
    composes many passes one `renders` cache for all (the result is the same without). The
    message carries the copy it was rendered from (`message.digest_copy`), for the delivery
    to keep."""
    content = build_digest(person=person, shared=shared,
                           deadline_weeks=config.digest.deadline_weeks,
                           news_limit=config.digest.news_limit,
                           stale_overdue_weeks=config.digest.stale_overdue_weeks)
    if content.is_empty and not config.digest.send_empty:
        return None
    return message_for(content, copy_of(content, subject(content, config.coalition.short_name)),
                       person=person, config=config, period=period, now=now,
                       delivery_id=delivery_id, renders=renders)


def message_for(content: DigestContent, copy: Copy, *, person: Person, config, period: Period,
                now: dt.datetime, delivery_id: int | str | None,
                renders: RenderCache | None = None) -> DigestMessage:
    """The email of this content for this person (a composed digest, or a kept copy)."""
    view, unsubscribe_url = links(config, person, delivery_id)
    if renders is not None:
        text, html = renders(content, subject_line=copy.subject, view_url=view,
                             unsubscribe_url=unsubscribe_url, key=copy.key)
    else:
        text, html = render(content, subject_line=copy.subject, view_url=view,
                            unsubscribe_url=unsubscribe_url)
    list_id = f"{config.coalition.name} digest <digest.{_domain(config.email.from_)}>"
    message = build_message(sender=config.email.from_, reply_to=config.email.reply_to,
                            to=(person.name, person.email), subject=copy.subject,
                            text=text, html=html, period=period.key, list_id=list_id,
                            unsubscribe_url=unsubscribe_url, now=now)
    message.digest_copy = copy
    return message


def from_copy(copy: Copy, *, person: Person, config, period: Period, now: dt.datetime,
              delivery_id: int) -> DigestMessage:
    """The message a kept copy was, for this person (raises CopyUnreadable)."""
    content = content_of(copy.body, person_name=reader_name(person), person_email=person.email)
    return message_for(content, copy, person=person, config=config, period=period, now=now,
                       delivery_id=delivery_id)


def render_delivery(*, config, digest, delivery, person, kept) -> str | None:
    """The HTML of a delivered digest as it was sent (view in browser): rendered again from
    the copy the delivery kept, the reader's name, address and links filled in. None when no
    copy was kept (a digest sent before copies were kept) or it cannot be read back."""
    from digests.period import parse_period_key

    if kept is None:
        return None
    copy = Copy(kept.key, kept.subject, kept.body.encode())
    try:
        message = from_copy(copy, person=person, config=config,
                            period=parse_period_key(digest.period, config.coalition.timezone),
                            now=delivery.sent_at or digest.created_at, delivery_id=delivery.id)
    except CopyUnreadable:
        return None
    return body(message, "html")


@cache
def _domain(address: str) -> str:
    from email.utils import parseaddr

    return parseaddr(address)[1].rpartition("@")[2] or "coalition-desk.invalid"
