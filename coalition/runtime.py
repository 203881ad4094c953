"""Wiring the parts into one process: the store, the clock, from a validated Config.

Nothing is built at import time; a Runtime builds each part the first time it is asked for.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from coalition.clock import Clock, parse_instant
from coalition.config import Config
from store.engine import StoreError, make_engine
from store.migrate import current_revision, head_revision, upgrade


class Runtime:
    def __init__(self, config: Config, *, now: str | None = None, upgrade_schema: bool = True):
        self.config = config
        self._now = now
        self._upgrade_schema = upgrade_schema

    @cached_property
    def engine(self) -> Engine:
        url = self.config.store_url
        engine = make_engine(url, echo=self.config.store.echo)
        if self._upgrade_schema:
            ensure_schema(engine, auto_upgrade=self.config.store.auto_upgrade)
        return engine

    @cached_property
    def clock(self) -> Clock:
        tz = self.config.coalition.timezone
        fixed = parse_instant(self._now, tz) if self._now else None
        return Clock(timezone=tz, today=self.config.clock.today, speed=self.config.clock.speed,
                     fixed=fixed)

    @cached_property
    def parsers(self):
        """The feed parser processes, started at the first parse, reused across polls."""
        from worker.parsers import ParserPool

        return ParserPool()

    def now(self) -> dt.datetime:
        return self.clock.now()

    def close(self) -> None:
        """Stop what this process started (the parser processes, if any ran)."""
        if "parsers" in self.__dict__:
            self.parsers.close()


def ensure_schema(engine: Engine, *, auto_upgrade: bool) -> None:
    """Upgrade the embedded SQLite store by itself; ask for `coalition db upgrade` elsewhere."""
    try:
        current = current_revision(engine)
    except OperationalError as e:
        raise StoreError(f"cannot reach the store at {engine.url!r}: {e.orig}") from e
    head = head_revision()
    if current == head:
        return
    if auto_upgrade and engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    raise StoreError(
        f"the store at {engine.url!r} is at schema {current or 'empty'}, this version needs "
        f"{head}: run `coalition db upgrade`"
    )
