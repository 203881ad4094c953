"""One recipient's digest email: content, rendering, message."""

from __future__ import annotations

import datetime as dt
from functools import cache
from urllib.parse import quote

from digests.content import DigestContent, Shared, build_digest
from digests.message import DigestMessage, body, build_message
from digests.period import Period
from digests.personal import RenderCache
from digests.render import render_html, render_text
from digests.tokens import sign
from store.models import Person


def subject(content: DigestContent, short_name: str) -> str:
    """E.g. "E-waste Coalition — week 41: 3 deadlines, IMG meeting Thu"."""
    parts = []
    if content.deadlines:
        n = len(content.deadlines)
        parts.append(f"{n} deadline{'s' if n != 1 else ''}")
    if content.actions:
        n = len(content.actions)
        parts.append(f"{n} action item{'s' if n != 1 else ''}")
    if content.meeting:
        words = content.meeting.title.split()
        series = words[1] if len(words) > 1 and words[0][:1].isdigit() else "next"
        parts.append(f"{series} meeting {content.meeting_day}".strip())
    if content.news:
        parts.append(f"{len(content.news) + content.more_news} news")
    tail = ", ".join(parts) or "nothing new"
    return f"{short_name} — week {content.week}: {tail}"


def links(config, person: Person, delivery_id: int | None) -> tuple[str, str]:
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
            delivery_id: int | None, renders: RenderCache | None = None) -> DigestMessage | None:
    """The message for this person, or None when there is nothing to tell them. A run that
    composes many passes one `renders` cache for all (the result is the same without)."""
    content = build_digest(person=person, shared=shared,
                           deadline_weeks=config.digest.deadline_weeks,
                           news_limit=config.digest.news_limit)
    if content.is_empty and not config.digest.send_empty:
        return None
    subject_line = subject(content, config.coalition.short_name)
    view_url, unsubscribe_url = links(config, person, delivery_id)
    text, html = (renders or render)(content, subject_line=subject_line, view_url=view_url,
                                     unsubscribe_url=unsubscribe_url)
    list_id = f"{config.coalition.name} digest <digest.{_domain(config.email.from_)}>"
    return build_message(sender=config.email.from_, reply_to=config.email.reply_to,
                         to=(person.name, person.email), subject=subject_line,
                         text=text, html=html, period=period.key, list_id=list_id,
                         unsubscribe_url=unsubscribe_url, now=now)


def render_delivery(*, session, config, digest, delivery, person) -> str:
    """The HTML of a delivered digest, rebuilt as it was at sending time (view in browser)."""
    from digests.period import parse_period_key

    at = delivery.sent_at or digest.created_at
    shared = Shared.load(session, now=at, since=digest.starts_at - dt.timedelta(days=7),
                         coalition=config.coalition.name,
                         deadline_weeks=config.digest.deadline_weeks)
    period = parse_period_key(digest.period, config.coalition.timezone)
    message = compose(person=person, shared=shared, config=config, period=period, now=at,
                      delivery_id=delivery.id)
    if message is None:
        return "<p>There was nothing to report that week.</p>"
    return body(message, "html")


@cache
def _domain(address: str) -> str:
    from email.utils import parseaddr

    return parseaddr(address)[1].rpartition("@")[2] or "coalition-desk.invalid"
