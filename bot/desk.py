"""What every listener shares: the runtime (store, clock, config), who is asking, and the one
way a chat request becomes an answer. Listeners stay thin: parse, `desk.answer(...)`, reply."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import wraps

from bot.dispatch import Asker, handle
from bot.identity import Identities
from bot.router import Request
from bot.writes import Done, Later
from store.engine import unit_of_work

log = logging.getLogger("coalition.bot")


@dataclass
class Desk:
    runtime: object  # coalition.runtime.Runtime (imports point down: bot does not import it)
    identities: Identities

    @property
    def config(self):
        return self.runtime.config

    @property
    def engine(self):
        return self.runtime.engine

    def now(self) -> dt.datetime:
        return self.runtime.now()

    def answer_known(self, request: Request, *, user_id: str, source_id: str = ""):
        """The answer from the store alone (fast enough for the acknowledgement itself), or
        None when the asker must first be looked up in Slack."""
        with unit_of_work(self.engine) as session:
            asker = self.identities.known(session, user_id)
            if asker is None:
                return None
            return handle(request, session=session, now=self.now(), asker=asker,
                          source_id=source_id)

    def answer(self, request: Request, *, user_id: str, client, source_id: str = ""):
        """The answer, asking Slack who the user is when the store does not know yet."""
        with unit_of_work(self.engine) as session:
            asker = self.identities.resolve(session, client, user_id)
            result = handle(request, session=session, now=self.now(), asker=asker,
                            source_id=source_id)
        return self.finish(result) if isinstance(result, Later) else result

    def asker(self, *, user_id: str, client) -> Asker:
        with unit_of_work(self.engine) as session:
            asker = self.identities.resolve(session, client, user_id)
            session.expunge_all()
            return asker

    def finish(self, later: Later):
        """The slow work: re-importing the data file, drafting minutes."""
        if later.command == "sync":
            from store.datafile import DataFileError
            from store.sync import sync_file

            path = self.config.path(self.config.coalition.data)
            try:
                with unit_of_work(self.engine) as session:
                    report = sync_file(session=session, path=path, now=self.now())
            except DataFileError as e:
                return Done(f"The data file was not imported, nothing changed: {e}")
            return Done(f"Synced {path.name}: {report.summary()}")
        return Done("Minutes drafts are not available in Slack yet: run "
                    "`coalition minutes draft N` on the server.")


def later(work):
    """Run a lazy listener so that its failure is logged with the traceback (Bolt's lazy
    runner would keep only the message) and the asker hears that it went wrong."""
    @wraps(work)
    def run(**kwargs):
        try:
            work(**kwargs)
        except Exception:
            log.exception("Slack listener %s failed", work.__name__)
            respond = kwargs.get("respond")
            if respond is not None and getattr(respond, "response_url", None):
                try:
                    respond(text=SORRY, response_type="ephemeral", replace_original=False)
                except Exception:  # the apology is best effort
                    log.warning("could not tell the asker that %s failed", work.__name__)
    return run


SORRY = "Sorry, something went wrong on my side; it has been logged for the secretariat."
