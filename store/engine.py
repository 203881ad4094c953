"""The engine and sessions from a URL: SQLite by default, PostgreSQL for several processes.

Every engine turns the database driver's operational failures (the server unreachable or gone,
a read-only or full disk) into `StoreError`, chained to the driver's error, at the one place
they surface: SQLAlchemy's `handle_error` event. Constraint violations stay SQLAlchemy's own
(callers use them for upserts).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError
from sqlmodel import Session, create_engine

from store.errors import StoreError

__all__ = ["StoreError", "make_engine", "sqlite_path", "store_problem", "unit_of_work"]


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL (None for other stores and for in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    return path if path and path != ":memory:" else None


def _normalise(url: str) -> str:
    """postgres:// and postgresql:// (as hosting providers hand them out) use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Build an engine; SQLite gets WAL, a busy timeout and foreign keys on every connection."""
    url = _normalise(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as e:
        raise StoreError(f"cannot read the store URL: {e}") from None
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"cannot make the folder of the store {path} ({e.strerror})"
                                 ) from None
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        try:
            engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10,
                                   max_overflow=20)
        except (ArgumentError, ImportError) as e:
            raise StoreError(f"cannot use the store URL {_shown(parsed)}: {e}") from None
    event.listen(engine, "handle_error", _as_store_error)
    return engine


def _shown(url) -> str:
    return url.render_as_string(hide_password=True)


def _as_store_error(context) -> None:
    """The driver's operational failures as StoreError, with the store named (never its
    password) and the driver's own first line."""
    error = context.sqlalchemy_exception
    if context.is_pre_ping or not isinstance(error, OperationalError | InterfaceError):
        return
    detail = str(context.original_exception).strip().splitlines()
    reason = detail[0] if detail else type(context.original_exception).__name__
    where = _shown(context.engine.url) if context.engine is not None else "the store"
    if context.connection is None:
        raise StoreError(f"cannot reach the store at {where}: {reason}",
                         hint="is the database server running, and is COALITION_STORE_URL "
                              "(or [store] url) right?") from context.original_exception
    raise StoreError(f"the store at {where} failed: {reason}") from context.original_exception


def store_problem(engine: Engine) -> str | None:
    """Why the store cannot take writes (None: it can), cheaply enough for every health
    check: nothing is written. Raises StoreError when the store cannot be reached at all.

    PostgreSQL says whether this session is read-only (`default_transaction_read_only`, a
    standby); SQLite whether the connection is `query_only` and whether the file and its
    folder (for the WAL files) may be written."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            read_only, standby = conn.execute(text(
                "SELECT current_setting('transaction_read_only'), pg_is_in_recovery()")).one()
            if standby:
                return "read-only: the PostgreSQL server is a standby (in recovery)"
            return "read-only: the session is read-only" if read_only == "on" else None
        if conn.execute(text("PRAGMA query_only")).scalar():
            return "read-only: the SQLite connection is query-only"
    path = sqlite_path(str(engine.url))
    if path:
        for where in (Path(path), Path(path).parent):
            if where.exists() and not os.access(where, os.W_OK):
                return f"read-only: {where} cannot be written"
    return None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One session per unit of work: committed when the block ends, rolled back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
