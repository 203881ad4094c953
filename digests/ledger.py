"""Writing delivery states while a digest is sent: one commit per message.

A weekly run writes twice per recipient ('sending' before the message goes, 'sent' after), so
these writes are kept cheap: one pooled DBAPI connection serves the run, and each kind of write
is an UPDATE compiled once by SQLAlchemy for the store's dialect, its values converted by the
columns' own bind processors, then executed on a cursor (SQLAlchemy's per-statement work, a
cache key, a compiled-cache look-up, parameter processing and result set-up, costs more than
SQLite's own update and commit).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, Engine

from store.models import DigestCopy, DigestDelivery
from store.people import still_subscribed


class Ledger:
    """Writes delivery states, each write committed before it returns. A 'sent' mark rides in
    the same transaction as the next message's 'sending' mark: one commit per message, and
    still never more than one delivery in 'sending' at a time."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect
        self.conn = engine.raw_connection()
        self.sent: tuple[int, dict] | None = None
        self.copies: set[str] = set()  # the DigestCopy keys stored by this ledger

    def write(self, delivery_id: int, **values) -> None:
        with self._transaction() as cursor:
            if self.sent is not None:
                self._update(cursor, *self.sent)
            self._update(cursor, delivery_id, values)
        self.sent = None

    def claim_sending(self, delivery_id: int, token: str, *, copy=None, **values) -> str:
        """Mark the delivery 'sending' only if this sender's claim on it still stands (a
        slow sender's claim may have lapsed and the delivery gone to another) and its person
        is still subscribed (they may have unsubscribed since the period was prepared), in one
        statement: "sending", or "lost" (nothing written for it), or "unsubscribed" (it is
        marked skipped). `copy` (a digests.kept.Copy) is stored in the same transaction, once
        a run: the delivery names it."""
        with self._transaction() as cursor:
            if self.sent is not None:
                self._update(cursor, *self.sent)
            if copy is not None and copy.key not in self.copies:
                statement = _Insert.of(self.dialect)
                cursor.execute(statement.sql, statement.parameters(
                    {"key": copy.key, "subject": copy.subject, "body": copy.body.decode(),
                     "created_at": dt.datetime.now(dt.UTC)}))
            statement = _Update.of(self.dialect, tuple(values), guarded="subscribed")
            cursor.execute(statement.sql, statement.parameters(delivery_id, values, token))
            outcome = "sending" if cursor.rowcount == 1 else "lost"
            if outcome == "lost":
                skip = {"status": "skipped", "error": "unsubscribed before sending"}
                statement = _Update.of(self.dialect, tuple(skip), guarded="claim")
                cursor.execute(statement.sql, statement.parameters(delivery_id, skip, token))
                if cursor.rowcount == 1:  # the claim stood: the subscription did not
                    outcome = "unsubscribed"
        self.sent = None
        if copy is not None:
            self.copies.add(copy.key)
        return outcome

    def mark_sent(self, delivery_id: int, **values) -> None:
        """Recorded with the next write (or `flush`): until then the delivery stays 'sending'."""
        self.flush()
        self.sent = (delivery_id, values)

    def flush(self) -> None:
        if self.sent is not None:
            with self._transaction() as cursor:
                self._update(cursor, *self.sent)
            self.sent = None

    def close(self) -> None:
        self.conn.close()  # back to the pool

    @contextlib.contextmanager
    def _transaction(self):
        """A cursor; committed after the block, rolled back if it raises. A connection that
        cannot even roll back is given up, and the next write starts on a fresh one."""
        try:
            cursor = self.conn.cursor()
            yield cursor
            cursor.close()
            self.conn.commit()
        except BaseException:
            try:
                self.conn.rollback()
            except Exception:
                self.conn.invalidate()
                self.conn = self.engine.raw_connection()
            raise

    def _update(self, cursor, delivery_id: int, values: dict) -> None:
        statement = _Update.of(self.dialect, tuple(values))
        cursor.execute(statement.sql, statement.parameters(delivery_id, values))


@dataclass(frozen=True)
class _Statement:
    """A statement compiled for one dialect, run on a DBAPI cursor."""

    sql: str
    order: tuple[str, ...] | None  # parameter names in order, for positional paramstyles
    convert: dict[str, Callable]  # parameter name -> the column type's bind processor

    @classmethod
    def compiled(cls, statement, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        convert = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                convert[name] = process
        order = tuple(compiled.positiontup) if compiled.positional else None
        return cls(str(compiled), order, convert)

    def bound(self, named: dict) -> tuple | dict:
        for name, process in self.convert.items():
            named[name] = process(named[name])
        return named if self.order is None else tuple(named[n] for n in self.order)


class _Update(_Statement):
    """UPDATE digestdelivery SET <columns> WHERE id = ..."""

    @staticmethod
    @functools.lru_cache(maxsize=32)
    def of(dialect: Dialect, columns: tuple[str, ...], guarded: str = "") -> _Update:
        """`guarded`: "claim", only while the delivery is still claimed with the given token;
        "subscribed", and while its person is subscribed and not retired."""
        table = DigestDelivery.__table__
        statement = update(table).where(table.c.id == bindparam("delivery_id"))
        if guarded:
            statement = statement.where(table.c.status == bindparam("claimed"),
                                        table.c.claimed_by == bindparam("token"))
        if guarded == "subscribed":
            statement = statement.where(still_subscribed(table.c.person_id))
        return _Update.compiled(
            statement.values({c: bindparam(f"new_{c}") for c in columns}), dialect)

    def parameters(self, delivery_id: int, values: dict, token: str | None = None
                   ) -> tuple | dict:
        named = {"delivery_id": delivery_id, **{f"new_{k}": v for k, v in values.items()}}
        if token is not None:
            named["token"], named["claimed"] = token, "claimed"
        return self.bound(named)


class _Insert(_Statement):
    """INSERT INTO digestcopy ... ON CONFLICT DO NOTHING: a copy is stored once, whoever
    stores it first."""

    @staticmethod
    @functools.lru_cache(maxsize=4)
    def of(dialect: Dialect) -> _Insert:
        table = DigestCopy.__table__
        make = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
        statement = make(table).values({c: bindparam(c) for c in (
            "key", "subject", "body", "created_at")}).on_conflict_do_nothing(
            index_elements=["key"])
        return _Insert.compiled(statement, dialect)

    def parameters(self, values: dict) -> tuple | dict:
        return self.bound(dict(values))
