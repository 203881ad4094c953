"""The latest feed entries, optionally matching a text: the `news` answer until feed
ingestion brings its own (`bot.news`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from store.models import Feed, FeedEntry


@dataclass
class NewsItem:
    title: str
    link: str
    published_at: dt.datetime
    source: str


@dataclass
class NewsAnswer:
    query: str
    items: list[NewsItem] = field(default_factory=list)


def latest_news(*, session: Session, now: dt.datetime, text: str = "",
                limit: int = 5) -> NewsAnswer:
    """The newest entries published up to `now`, those matching `text` when given."""
    query = (select(FeedEntry.title, FeedEntry.link, FeedEntry.published_at, Feed.title)
             .join(Feed, Feed.id == FeedEntry.feed_id)
             .where(FeedEntry.published_at <= now)
             .order_by(col(FeedEntry.published_at).desc(), col(FeedEntry.id).desc()))
    words = text.lower().split()[:5]
    for word in words:
        pattern = f"%{_escape(word)}%"
        query = query.where(or_(func.lower(FeedEntry.title).like(pattern, escape="\\"),
                                func.lower(FeedEntry.summary_html).like(pattern, escape="\\")))
    rows = session.exec(query.limit(limit)).all()
    return NewsAnswer(text, [NewsItem(t or "(untitled)", link, at, source)
                             for t, link, at, source in rows])


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
