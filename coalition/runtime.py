"""Wiring the parts into one process: the store, the clock, from a validated Config.

Nothing is built at import time, and nothing heavy is imported: a Runtime builds each part the
first time it is asked for (a command that never touches the store never loads SQLAlchemy).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from coalition.clock import Clock, parse_instant
from coalition.config import Config
from store.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class Runtime:
    def __init__(self, config: Config, *, now: str | None = None, upgrade_schema: bool = True,
                 create: bool = True):
        self.config = config
        self._now = now
        self._upgrade_schema = upgrade_schema
        self._create = create

    @cached_property
    def engine(self) -> Engine:
        from store.engine import make_engine, sqlite_path

        url = self.config.store_url
        path = sqlite_path(url)
        if not self._create and path is not None and not Path(path).exists():
            raise StoreError(f"there is no store at {path}",
                             hint="`coalition sync` makes one from the data file; or set "
                                  "COALITION_STORE_URL (or [store] url) to the store to use")
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
    def minutes_layout(self):
        """How minutes drafts look in Word (`[minutes]`)."""
        from digests.minutes.docx import Layout

        return Layout(paper=self.config.minutes.paper,
                      author=f"{self.config.coalition.name} Secretariat")

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
    from store.migrate import current_revision, head_revision, upgrade

    current = current_revision(engine)  # an unreachable store raises StoreError
    head = head_revision()
    if current == head:
        return
    if auto_upgrade and engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    raise StoreError(
        f"the store at {engine.url!r} is at schema {current or 'empty'}, this version needs "
        f"{head}", hint="run `coalition db upgrade`"
    )
