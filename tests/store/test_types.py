"""UTCDateTime: aware UTC in, aware UTC out, and on SQLite the very text the generic path
writes (stored values and bound ones must compare as text)."""

import datetime as dt

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

from store.types import UTCDateTime

TIMES = [dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC),
         dt.datetime(2017, 10, 9, 23, 59, 59, 999_999, tzinfo=dt.UTC),
         dt.datetime(2026, 3, 29, 2, 30, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
         dt.datetime(999, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
         dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14)))]


def test_sqlite_text_is_what_the_generic_path_writes():
    dialect = sqlite.dialect()
    adapted = UTCDateTime().dialect_impl(dialect)  # as a statement gets it: impl is DATETIME
    fast = adapted.bind_processor(dialect)
    generic = TypeDecorator.bind_processor(adapted, dialect)
    assert fast is not generic
    for value in TIMES:
        assert isinstance(generic(value), str) and fast(value) == generic(value)
    assert fast(None) is None
    assert fast(TIMES[2]) == "2026-03-29 00:30:00.000005"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().bind_processor(sqlite.dialect())(dt.datetime(2026, 1, 1))


def test_round_trip_on_sqlite():
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", UTCDateTime))
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"at": value} for value in TIMES])
        back = conn.execute(select(table.c.at).order_by(table.c.id)).scalars().all()
        assert back == TIMES and all(v.tzinfo is dt.UTC for v in back)
        later = conn.execute(select(table.c.id).where(table.c.at > TIMES[1])).scalars().all()
        assert later == [1, 3, 5]
