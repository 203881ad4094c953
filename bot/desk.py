"""What every listener shares: the runtime (store, clock, config), who is asking, and the one
way a chat request becomes an answer. Listeners stay thin: parse, `desk.answer(...)`, reply."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import cached_property, wraps

from bot.cache import AnswerCache
from bot.dispatch import Asker, handle
from bot.identity import Identities
from bot.router import Request
from bot.writes import Done, Later
from store.engine import unit_of_work
from store.version import VersionReader

log = logging.getLogger("coalition.bot")


@dataclass
class Desk:
    runtime: object  # coalition.runtime.Runtime (imports point down: bot does not import it)
    identities: Identities
    answers: AnswerCache

    @property
    def config(self):
        return self.runtime.config

    @property
    def engine(self):
        return self.runtime.engine

    @cached_property
    def versions(self) -> VersionReader:
        return VersionReader(self.engine)

    def now(self) -> dt.datetime:
        return self.runtime.now()

    def answer_known(self, request: Request, *, user_id: str, source_id: str = ""):
        """The answer from the store alone (fast enough for the acknowledgement itself), or
        None when the asker must first be looked up in Slack."""
        now = self.now()
        ticket, kept = self.answers.find(request, user_id=user_id, now=now,
                                         version=self.versions.read)
        if kept is not None:
            return kept
        with unit_of_work(self.engine) as session:
            asker = self.identities.known(session, user_id)
            if asker is None:
                return None
            result = handle(request, session=session, now=now, asker=asker,
                            source_id=source_id)
        self.answers.keep(ticket, result, request=request, asker=asker, now=now)
        return result

    def answer(self, request: Request, *, user_id: str, client, source_id: str = ""):
        """The answer, asking Slack who the user is when the store does not know yet."""
        now = self.now()
        ticket, kept = self.answers.find(request, user_id=user_id, now=now,
                                         version=self.versions.read)
        if kept is not None:
            return kept
        with unit_of_work(self.engine) as session:
            asker = self.identities.resolve(session, client, user_id)
            result = handle(request, session=session, now=now, asker=asker,
                            source_id=source_id)
        self.answers.keep(ticket, result, request=request, asker=asker, now=now)
        if isinstance(result, Later):
            return self.finish(result, client=client, user_id=user_id)
        return result

    def asker(self, *, user_id: str, client) -> Asker:
        with unit_of_work(self.engine) as session:
            asker = self.identities.resolve(session, client, user_id)
            session.expunge_all()
            return asker

    def finish(self, later: Later, *, client=None, user_id: str = ""):
        """The slow work: re-importing the data file, drafting minutes."""
        if later.command == "sync":
            from store.datafile import DataFileError
            from store.sync import sync_file

            path = self.config.path(self.config.coalition.data)
            try:
                with unit_of_work(self.engine) as session:
                    report = sync_file(session=session, path=path, now=self.now())
            except DataFileError as e:
                hint = f" ({e.hint})" if e.hint else ""
                return Done(f"The data file was not imported, nothing changed: {e}{hint}")
            return Done(f"Synced {path.name}: {report.summary()}")
        return self.post_minutes(later.text.strip(), client=client, user_id=user_id)

    def post_minutes(self, ref: str, *, client, user_id: str) -> Done:
        """The meeting's minutes draft (DOCX), posted to the asker as a file in a DM."""
        from digests.minutes.actions import sync_actions
        from digests.minutes.draft import build_draft
        from digests.minutes.render import render_minutes
        from store.meetings import find_meeting

        if not ref:
            return Done("Write `minutes N`, e.g. `minutes 5` for the 5th IMG meeting.")
        with unit_of_work(self.engine) as session:
            meeting = find_meeting(session=session, ref=ref)
            if meeting is None:
                return Done(f"There is no meeting {ref!r}; try `meetings`.")
            sync_actions(session=session, meeting=meeting, now=self.now())
            draft = build_draft(session=session, meeting=meeting, now=self.now())
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        data = render_minutes(draft, "docx", now=self.now(), layout=self.runtime.minutes_layout)
        client.files_upload_v2(channel=channel, file=data,
                               filename=f"{draft.meeting_key}-minutes-draft.docx",
                               title=draft.title,
                               initial_comment=f"The minutes draft of {meeting.title}.")
        return Done(f"The minutes draft of {meeting.title} is in your direct messages.")


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
