"""The reference data's version: a number that moves in every transaction changing the tables
the chat answers read, bumped by the database itself (triggers, migration 0003), whichever
process writes.

Read it *before* the data it guards: what is read afterwards is at least as new, so an answer
kept under a version is never older than that version says. (The other order could keep an
old answer under a new number.)
"""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

REFERENCE_TABLES = ("organisation", "person", "workstream", "workstreamrole", "meeting",
                    "agendaitem", "attendance", "deadline", "deadlineowner")

_READ = "SELECT number FROM dataversion WHERE id = 1"


class VersionReader:
    """Reads the version on a connection of its own, kept open in autocommit mode and used by
    one thread at a time, through the driver's cursor: one round trip per read, where a pooled
    connection costs a ping, a BEGIN and a ROLLBACK as well on PostgreSQL (and SQLAlchemy's
    statement machinery as much again). A broken connection is replaced once; the connection
    is closed with the engine (`Engine.dispose()`)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._lock = threading.Lock()
        self._conn = None
        self._release = None
        self._errors = (DBAPIError, engine.dialect.loaded_dbapi.Error)
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def read(self) -> int:
        with self._lock:
            try:
                return self._read()
            except self._errors:
                self._drop(broken=True)
            return self._read()

    def _read(self) -> int:
        cursor = self._connection().connection.cursor()
        try:
            cursor.execute(_READ)
            return cursor.fetchone()[0]
        finally:
            cursor.close()

    def _connection(self):
        if self._conn is None:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            conn.detach()  # not the pool's: closing it closes it, and it takes no pool slot
            self._conn, self._release = conn, weakref.finalize(self, conn.close)
        return self._conn

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self, *, broken: bool = False) -> None:
        if self._conn is not None and broken:
            self._conn.invalidate()
        if self._release is not None:
            self._release()
        self._conn = self._release = None
