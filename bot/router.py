"""Reading a question: a command word ("lead ws1", "deadlines 3 org BRS") or a plain sentence
("who leads work stream one?", "agenda for meeting 5", "next deadlines"). Shared by the console
and Slack, so both understand the same words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

COMMANDS = (
    "agenda", "deadlines", "lead", "who", "meetings", "news", "update", "subscribe",
    "unsubscribe", "help", "note", "sync", "meeting", "deadline", "minutes",
)


@dataclass
class Request:
    command: str
    args: dict = field(default_factory=dict)
    text: str = ""


_NUMBER = re.compile(r"\b(\d{1,3})\b")
_ORDINAL = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\b")


def clean_text(text: str) -> str:
    """The question without mentions of the bot and with its spaces tidied."""
    return _clean(text)


def _clean(text: str) -> str:
    text = re.sub(r"<@[A-Z0-9]+(?:\|[^>]*)?>", " ", text)  # Slack mentions of the bot
    return " ".join(text.replace("?", " ").replace("’", "'").split())


def parse(text: str) -> Request:
    """Route a line of text to a command and its arguments; unknown text asks for help."""
    cleaned = _clean(text)
    words = cleaned.split()
    if not words:
        return Request("help", text=cleaned)
    first, rest = words[0].lower(), " ".join(words[1:])
    if first in COMMANDS:
        return _command(first, rest, cleaned)
    return _sentence(cleaned)


def _command(word: str, rest: str, text: str) -> Request:
    if word == "agenda":
        return Request("agenda", _meeting_number(rest), text)
    if word == "deadlines":
        return Request("deadlines", _deadline_args(rest), text)
    if word == "who" and re.search(r"\blead|\bin charge\b", rest.lower()):
        return _sentence(text)
    if word == "who" and rest:
        rest = re.sub(r"^(?:is|are|'s)\s+", "", rest, flags=re.I)
    if word in ("lead", "who") and rest:
        return Request(word, {"query": rest}, text)
    if word in ("meeting", "deadline") and rest.split()[:1] not in (["add"], ["edit"], ["done"]):
        return _sentence(text)  # "meeting 5", "deadline for BRS": a question, not a form
    if word in ("news", "update", "note", "meeting", "deadline", "minutes"):
        return Request(word, {"text": rest}, text)
    if word in ("meetings", "subscribe", "unsubscribe", "help", "sync"):
        return Request(word, {}, text)
    return Request("help", {}, text)


def _meeting_number(text: str) -> dict:
    m = _ORDINAL.search(text) or _NUMBER.search(text)
    return {"number": int(m.group(1))} if m else {}


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
    elif re.fullmatch(r"ws\d+|ws-?\w+", joined):
        args["work_stream"] = joined
    if "limit" not in args and (m := re.search(r"\b(?:next|first)\s+(\d{1,2})\b", low)):
        args["limit"] = int(m.group(1))
    return args


def _sentence(text: str) -> Request:
    low = text.lower()
    if re.search(r"\blead(s|ing|er|ers)?\b|\bin charge of\b", low):
        m = re.search(r"\b(?:leads?|leading|leaders?(?: of)?|in charge of)\b(.*)$", low)
        query = (m.group(1) if m else low).strip()
        return Request("lead", {"query": query or low}, text)
    if "deadline" in low or re.search(r"\bdue\b|\bwhat's next\b", low):
        rest = re.sub(r".*?\bdeadlines?\b", "", low, count=1)
        return Request("deadlines", _deadline_args(rest), text)
    if "agenda" in low or re.search(r"\bnext meeting\b|\bmeeting (?:no\.? ?)?\d", low):
        return Request("agenda", _meeting_number(low), text)
    if re.search(r"\bmeetings\b|\bcalendar\b", low):
        return Request("meetings", {}, text)
    if re.search(r"\bnews\b|\bpublications?\b", low):
        m = re.search(r"\b(?:about|on|for)\s+(.+)$", low)
        return Request("news", {"text": m.group(1) if m else ""}, text)
    m = re.match(r"^(?:who(?:'s| is| are)?|tell me about|what is)\s+(.+)$", low)
    if m:
        return Request("who", {"query": m.group(1)}, text)
    return Request("help", {}, text)
