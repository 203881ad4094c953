"""The bot's commands, one row each: the one place a command is declared.

The router reads the words, dispatch who may use a command and which function answers it, the
help text its usage and description, the answer cache how long its answer holds, the slash
command's listener whether it waits for Slack's Web API or slow work, and the Slack manifest
its usage hint. Adding a command is a row here, its answer function (`bot.handlers`) and its
renderers (`bot.text`, `bot.blocks`); `tests/bot/test_commands.py` fails while one is missing.

Imports nothing but the standard library: `coalition slack manifest` and help read it without
the store. The answer function is named, and imported the first time it is called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module

PUBLIC = "public"  # anyone, known to the coalition or not; also in the console
MEMBER = "member"  # a person the store knows (their own subscription, their organisation's news)
SECRETARIAT = "secretariat"  # people with role = "secretariat"

WHEN = "WHEN: today, this week, next week, this month, in November 2017, by Friday"


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    description: str
    answer: str  # "module:function" taking (args, context): see bot.handlers
    examples: tuple[str, ...]  # what people type for it; each is routed here (tested)
    access: str = PUBLIC
    words: tuple[str, ...] = ()  # other first words that mean this command
    defers: bool = False  # answered after the acknowledgement: needs Slack's Web API or time
    cache: str | None = None  # how long a kept answer holds (bot.cache.validity); None: never
    action: str = ""  # what only the secretariat may do, for a refusal: "re-import the data file"
    instead: str = ""  # for commands that work in Slack only: what to do in the console
    hint: str = ""  # the example shown in the slash command's usage hint

    def function(self) -> Callable:
        """The answer function, imported on first use."""
        return _resolve(self.answer)


@cache
def _resolve(reference: str) -> Callable:
    module, _, name = reference.partition(":")
    return getattr(import_module(module), name)


_SYNC_INSTEAD = "Here: edit the coalition data file and run `coalition sync`."

COMMANDS: tuple[Command, ...] = (
    Command("agenda", "agenda [next|N]",
            "the next meeting or meeting N: when, where, items",
            "bot.handlers:agenda", cache="meeting", hint="agenda 5",
            examples=("agenda 5", "agenda", "what's the next meeting", "agenda for meeting 5",
                      "when is the 6th meeting", "when is meeting 6", "agnda")),
    Command("deadlines", "deadlines [N] [ws KEY|org ACRONYM|mine] [WHEN]",
            "the next deadlines or those due WHEN; overdue too",
            "bot.handlers:deadlines", words=("due",), cache="day", hint="deadlines mine",
            examples=("deadlines", "next deadlines", "deadlines 3 ws ws1", "deadlines for BRS",
                      "what's due this month", "deadlines next week",
                      "deadlines in November 2017", "what is due by Friday")),
    Command("overdue", "overdue [ws KEY|org ACRONYM|mine]",
            "the open deadlines past their date",
            "bot.handlers:overdue", cache="day", hint="overdue",
            examples=("overdue", "what's overdue?", "overdue for BRS")),
    Command("lead", "lead WORKSTREAM",
            "who leads a work stream, who else works on it",
            "bot.handlers:lead", words=("leads",), cache="day", hint="lead ws1",
            examples=("lead ws1", "who leads work stream one?", "who leads knowledge sharing",
                      "who is working on knowledge sharing", "who is in work stream 1")),
    Command("who", "who ORG|PERSON",
            "an organisation: roles, focal points; or a person",
            "bot.handlers:who", cache="day", hint="who BRS",
            examples=("who BRS", "who is Tatiana Terekhova", "who is Pitkanen",
                      "who is the ITU focal point", "focal point of UNITAR")),
    Command("meetings", "meetings", "upcoming and recent meetings",
            "bot.handlers:meetings", words=("calendar",), hint="meetings",
            examples=("meetings", "upcoming meetings")),
    Command("news", "news [TEXT]", "the latest news and publications",
            "bot.handlers:news", hint="news",
            examples=("news", "news monitor", "latest publications")),
    Command("help", "help", "this list",
            "bot.handlers:help", words=("commands",), cache="always", hint="help",
            examples=("help", "sing me a song", "")),
    Command("update", "update TEXT", "record a news update of your organisation",
            "bot.handlers:update", access=MEMBER,
            examples=("update BRS published its e-waste guidance",)),
    Command("subscribe", "subscribe", "get the weekly email digest",
            "bot.handlers:subscribe", access=MEMBER, examples=("subscribe",)),
    Command("unsubscribe", "unsubscribe", "stop the weekly email digest",
            "bot.handlers:unsubscribe", access=MEMBER, examples=("unsubscribe",)),
    Command("meeting", "meeting add|edit KEY", "add or edit a meeting (a form)",
            "bot.handlers:meeting", access=SECRETARIAT, defers=True,
            action="add or edit meetings", instead=_SYNC_INSTEAD,
            examples=("meeting add", "meeting edit img-6")),
    Command("deadline", "deadline add|edit|done KEY",
            "add or edit a deadline (a form), or close one",
            "bot.handlers:deadline", access=SECRETARIAT, defers=True,
            action="add, edit or close deadlines", instead=_SYNC_INSTEAD,
            examples=("deadline add", "deadline done tor-ws1-ws2-draft")),
    Command("note", "note ITEM TEXT",
            "a note on item ITEM (5.2: item 2 of meeting 5)",
            "bot.handlers:note", access=SECRETARIAT, action="record meeting notes",
            instead="Here: `coalition minutes note MEETING ITEM TEXT`.",
            examples=("note 5.1 Conclusion: BRS and UNITAR lead Work Stream One",)),
    Command("minutes", "minutes N", "meeting N's minutes draft, as a Word file",
            "bot.handlers:minutes", access=SECRETARIAT, defers=True,
            action="draft the minutes", instead="Here: `coalition minutes draft N`.",
            examples=("minutes 5",)),
    Command("sync", "sync", "re-import the coalition data file",
            "bot.handlers:sync", access=SECRETARIAT, defers=True,
            action="re-import the data file", instead="Here: `coalition sync`.",
            examples=("sync",)),
)

_BY_NAME = {c.name: c for c in COMMANDS}
_BY_WORD = {word: c for c in COMMANDS for word in (c.name, *c.words)}


def get(name: str) -> Command:
    """The command called `name` (the router only makes requests for these)."""
    return _BY_NAME[name]


def by_word(word: str) -> Command | None:
    """The command a first word names, if it names one."""
    return _BY_WORD.get(word.lower())


def names(*, access: str | None = None, defers: bool | None = None) -> tuple[str, ...]:
    return tuple(c.name for c in COMMANDS if (access is None or c.access == access)
                 and (defers is None or c.defers == defers))


def usage_hint() -> str:
    """The slash command's usage hint in the manifest (Slack takes up to 1,000 characters)."""
    return " | ".join(c.hint for c in COMMANDS if c.hint)
