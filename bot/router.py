"""Reading a question: a command word ("lead ws1", "deadlines 3 org BRS") or a plain sentence
("who leads work stream one?", "when is the 6th meeting", "what's due next week"). Shared by
the console and Slack, so both understand the same words. The words of each command are in
`bot.commands`; time windows in `bot.windows`; typos are read here (`_typo`)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from bot import commands, windows
from store.words import CARDINALS, ORDINALS


@dataclass
class Request:
    command: str
    args: dict = field(default_factory=dict)
    text: str = ""


_NUMBER = re.compile(r"\b(\d{1,3})\b")
_ORDINAL = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\b")
_NUMBER_WORD = re.compile(r"\b(" + "|".join(sorted(ORDINALS | CARDINALS, key=len, reverse=True))
                          + r")\b")


def clean_text(text: str) -> str:
    """The question without mentions of the bot and with its spaces tidied."""
    return _clean(text)


def _clean(text: str) -> str:
    text = re.sub(r"<@[A-Z0-9]+(?:\|[^>]*)?>", " ", text)  # Slack mentions of the bot
    return " ".join(text.replace("?", " ").replace("’", "'").split())


def parse(text: str) -> Request:
    """Route a line of text to a command and its arguments; unknown text asks for help
    (with "did you mean" when a word is a typo away from one the bot knows)."""
    cleaned = _clean(text)
    request = _route(cleaned)
    if request.command == "help" and not request.args:
        return _typo(cleaned) or request
    return request


def _route(cleaned: str) -> Request:
    words = cleaned.split()
    if not words:
        return Request("help", text=cleaned)
    command = commands.by_word(words[0])
    if command is not None:
        return _command(command.name, " ".join(words[1:]), cleaned)
    return _sentence(cleaned)


def _command(name: str, rest: str, text: str) -> Request:
    if name in ("deadlines", "overdue"):
        return _deadlines(rest, text, overdue=name == "overdue")
    if name == "agenda":
        return Request("agenda", _meeting_number(rest.lower()), text)
    if name == "who":
        return _sentence(text)
    if name == "lead":
        return Request("lead", {"query": rest}, text) if rest else Request("help", {}, text)
    if name in ("meeting", "deadline") and rest.split()[:1] not in (["add"], ["edit"], ["done"]):
        return _sentence(text)  # "meeting 5", "deadline for BRS": a question, not a form
    if name == "news":  # "news about the monitor"
        return Request(name, {"text": re.sub(r"^(?:about|on|for)\s+", "", rest, flags=re.I)}, text)
    if commands.get(name).usage == name:  # no arguments: "help me" is help
        return Request(name, {}, text)
    return Request(name, {"text": rest}, text)


def _meeting_number(text: str) -> dict:
    m = _ORDINAL.search(text) or _NUMBER.search(text)
    if m:
        return {"number": int(m.group(1))}
    if m := re.search(_NUMBER_WORD.pattern + r"(?= (?:\w+ )?meeting\b)|\bmeeting "
                      + _NUMBER_WORD.pattern, text):
        word = m.group(1) or m.group(2)
        return {"number": (ORDINALS | CARDINALS)[word]}
    return {}


def _deadlines(text: str, full: str, *, overdue: bool = False) -> Request:
    """Deadlines, with their window ("next week"), scope ("ws1", "for BRS", "mine"), count."""
    window, text = windows.find(text.lower())
    if re.search(r"\boverdue\b", text):
        overdue, text = True, re.sub(r"\boverdue\b", " ", text)
    args = _deadline_args(text)
    said = windows.find(full.lower())[1]  # "the next 3 deadlines", not "the next 10 days"
    if "limit" not in args and (m := re.search(r"\b(?:next|first)\s+(\d{1,2})\b", said)):
        args["limit"] = int(m.group(1))
    if window is not None:
        args["window"] = window
    return Request("overdue" if overdue else "deadlines", args, full)


def _deadline_args(text: str) -> dict:
    args: dict = {}
    low = text.lower()
    words = low.split()
    if words and words[0].isdigit():
        args["limit"] = max(1, min(int(words[0]), 50))
        words = words[1:]
    joined = " ".join(words)
    if m := re.search(r"\b(?:ws|work ?stream|stream)\s+(.+)$", joined):
        value = m.group(1)
        args["work_stream"] = value if m.group(0).startswith("ws ") else m.group(0)
    elif m := re.search(r"\b(?:org|organisation|organization|for|of)\s+(\S+)", joined):
        if m.group(1) in ("me", "mine", "my"):
            args["mine"] = True
        else:
            args["organisation"] = m.group(1)
    elif re.search(r"\b(?:mine|my|me)\b", joined):
        args["mine"] = True
    elif m := re.search(r"\b(ws\d+|ws-?\w+)\b", joined):
        args["work_stream"] = m.group(1)
    return args


_WHO = r"^(?:who(?:'s| is| are)?|tell me about|what is)\s+"
_WORKS_ON = re.compile(r"(?i)^who(?:'s| is| are)?\s+(?:working|works|work|involved)\s+(?:on|in|for)"
                       r"\s+(.+)$|^who(?:'s| is| are)\s+(?:in|part of|on)\s+(.+)$")
_FOCAL = re.compile(r"(?i)\bfocal points?\s+(?:of|for|at|in|from)\s+(?:the\s+)?(.+)$"
                    r"|^(?:(?:who(?:'s| is| are)\s+)?(?:the\s+)?)?(.+?)(?:'s)?\s+focal points?$")


def _sentence(text: str) -> Request:
    low = text.lower()
    if re.search(r"\blead(s|ing|er|ers)?\b|\bin charge of\b", low):
        m = re.search(r"\b(?:leads?|leading|leaders?(?: of)?|in charge of)\b(.*)$", text, re.I)
        query = (m.group(1) if m else text).strip()
        return Request("lead", {"query": query or text}, text)
    if m := _FOCAL.search(text):
        return Request("who", {"query": (m.group(1) or m.group(2)).strip(), "focal": True},
                       text)
    if m := _WORKS_ON.search(text):
        return Request("lead", {"query": (m.group(1) or m.group(2)).strip(), "members": True},
                       text)
    if re.search(r"\boverdue\b|\blate\b", low):
        return _deadlines(re.sub(r".*?\b(?:overdue|late)\b", "", low, count=1), text,
                          overdue=True)
    if "deadline" in low or re.search(r"\bdue\b|\bwhat's next\b", low):
        return _deadlines(re.sub(r".*?\bdeadlines?\b", "", low, count=1), text)
    if "agenda" in low or re.search(r"\bnext meeting\b|\bmeeting (?:no\.? ?)?\d|\bwhen\b.*\bmeet"
                                    r"|\b\d{1,3}(?:st|nd|rd|th) (?:\w+ )?meeting\b|"
                                    + _NUMBER_WORD.pattern + r" (?:\w+ )?meeting\b", low):
        return Request("agenda", _meeting_number(low), text)
    if re.search(r"\bmeetings\b|\bcalendar\b", low):
        return Request("meetings", {}, text)
    if re.search(r"\bnews\b|\bpublications?\b", low):
        m = re.search(r"\b(?:about|on|for)\s+(.+)$", low)
        return Request("news", {"text": m.group(1) if m else ""}, text)
    if m := re.match(_WHO + r"(.+)$", text, re.I):
        return Request("who", {"query": m.group(1)}, text)
    return Request("help", {}, text)


# Typos ----------------------------------------------------------------------------------

_KEYWORDS = (
    "deadline", "deadlines", "overdue", "meeting", "meetings", "agenda", "calendar", "leads",
    "leading", "focal", "point", "news", "publications", "working", "today", "tomorrow", "week",
    "month", "year", *windows.WEEKDAYS, *(m for m in windows.MONTHS if len(m) > 3))


def _typo(text: str) -> Request | None:
    """A question with a word one or two letters off a command word or a word the router
    reads ("agnda", "deadlnes next week"): answered as meant when every reading of it asks the
    same question; "did you mean" when it would change something (`subscrbe`), or when the
    readings differ."""
    words = text.split()
    near = [_near(word.lower()) or [word] for word in words]
    if all(options == [word] for options, word in zip(near, words, strict=True)):
        return None
    readings = [_route(" ".join(choice)) for choice in itertools.islice(
        itertools.product(*near), 8)]
    first = readings[0]
    if first.command != "help" and commands.get(first.command).access == commands.PUBLIC \
            and all((r.command, r.args) == (first.command, first.args) for r in readings):
        first.text = text
        return first
    meant = next(options for options, word in zip(near, words, strict=True)
                 if options != [word])
    return Request("help", {"note": "Did you mean " + " or ".join(f"`{w}`" for w in meant)
                            + "?"}, text)


def _near(word: str) -> list[str]:
    """The command words and keywords one typo away (two for words of six letters or more);
    short words are left alone ("sing" is not "sync")."""
    if len(word) < 5 or commands.by_word(word) or word in _KEYWORDS:
        return []
    from rapidfuzz.distance import OSA  # only for questions nothing else understood

    most = 1 if len(word) < 6 else 2
    vocabulary = {*(w for c in commands.COMMANDS for w in (c.name, *c.words)), *_KEYWORDS}
    scored = [(OSA.distance(word, w, score_cutoff=most), w) for w in vocabulary]
    best = min((d for d, _ in scored), default=most + 1)
    return sorted(w for d, w in scored if d == best and d <= most)
