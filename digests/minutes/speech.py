"""Reported speech: reading who said what, and how, from a discussion note; writing it back in
the house style.

A discussion note names its speaker and, optionally, the verb of the report:

    Ms. Marit Nilses (UNESCAP): A needs analysis could be included.       -> noted that ...
    Marit Nilses (UNESCAP): ...                  (a name without a title needs its organisation)
    Ms. Marit Nilses (UNESCAP) asked: a needs analysis could be included. -> asked whether ...
    Ms. Marit Nilses (UNESCAP) asked whether a needs analysis ...         (written out)
    UNESCAP suggested: a matrix of what we do will not ...                -> suggested that ...
    The Chair replied: the intention is not so much ...
    The meeting agreed: the work plan would evolve ...                    -> The meeting agreed that
    It was highlighted that the needs of countries must be understood.    (no speaker: as written)

After a colon, the words are what the speaker said: the verb's connecting word ("that",
"whether", "the meeting that") is added unless they start with one. Without a colon, the note
is the sentence as the secretariat wrote it after the verb. "Closed at 17:00 GVA time" is the
meeting's closing time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MEETING = "The meeting"
CHAIR = "The Chair"

# Each verb and the word that joins it to what was said ("" when it takes an object).
VERBS: dict[str, str] = {
    "noted": "that", "asked": "whether", "suggested": "that", "proposed": "that",
    "informed": "the meeting that", "welcomed": "", "agreed": "that", "decided": "that",
    "highlighted": "that", "replied": "that", "recommended": "that", "confirmed": "that",
    "requested": "that", "indicated": "that", "mentioned": "that", "pointed out": "that",
    "reminded": "the meeting that", "stressed": "that", "explained": "that", "added": "that",
    "enquired": "whether", "concurred": "that", "emphasised": "that", "underlined": "that",
    "recalled": "that", "reported": "that", "clarified": "that", "observed": "that",
    "expressed": "", "thanked": "", "supported": "", "presented": "", "raised": "",
    "questioned": "", "invited": "",
}
DEFAULT_VERB = "noted"

# Words after which no connecting word is needed ("agreed to ...", "asked whether ...").
_JOINED = {"that", "whether", "if", "to", "with", "about", "on", "for", "how", "what", "why",
           "when", "where", "which", "who", "whom", "the meeting", "the group", "members",
           "participants", "all"}
# Capitalised only because they open the note: lowered after a verb.
_LOWER_STARTS = {"the", "it", "a", "an", "we", "there", "this", "that", "these", "those", "from",
                 "countries", "engagement", "she", "he", "they", "our", "its", "in", "on", "for",
                 "as", "if", "when", "while", "both", "more", "several", "many", "some", "all",
                 "whether", "to", "with", "about", "how", "what", "why", "their", "his", "her",
                 "one", "two", "each", "every", "no", "not", "further", "other", "any"}

_VERB = "|".join(re.escape(v).replace(r"\ ", r"\s+")
                 for v in sorted(VERBS, key=len, reverse=True))
_TITLE = r"(?:Mr|Ms|Mrs|Dr|Prof)\.?"
_NAME = rf"{_TITLE}\s(?:(?!\b(?i:{_VERB})\b)[^():])+?"
# a name without a title is read only with its organisation: "Hossein Fadaei (EMG): ..."
_BARE = r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|van|von|de|da|del|der|di|du|la|le|al|bin)){1,4}"
_ORG = r"\((?P<org>[^)]+)\)"
_SAID = rf"(?:\s+(?P<verb>(?i:{_VERB})))?\s*:\s*(?P<said>.+)"  # ": ..." or " asked: ..."
_WROTE = rf"\s+(?P<wverb>(?i:{_VERB}))\s+(?P<wrote>[^:\s].*)"  # " asked whether ..."
_FORMS = [
    (CHAIR, re.compile(rf"^(?i:(?:the\s+)?chair(?:person)?)\b(?:{_SAID}|{_WROTE})$")),
    (MEETING, re.compile(rf"^(?i:the\s+meeting)\b(?:{_SAID}|{_WROTE})$")),
    ("", re.compile(rf"^(?P<who>{_NAME})\s*(?:{_ORG})?(?:{_SAID}|{_WROTE})$")),
    ("", re.compile(rf"^(?P<who>{_BARE})\s*{_ORG}(?:{_SAID}|{_WROTE})$")),
    ("", re.compile(rf"^(?P<org>[A-Z][A-Za-z0-9&/-]{{1,15}}){_SAID}$")),
    ("", re.compile(rf"^(?P<org>[A-Z][A-Z0-9&/-]{{1,15}}){_WROTE}$")),
]
_CLOSED = re.compile(r"^(?:the\s+(?:chair|meeting)\s+)?(?:was\s+)?closed(?:\s+the\s+meeting)?"
                     r"\s+at\s+(?P<h>\d{1,2})[:.h](?P<m>\d{2})\b\s*(?P<label>.*?)[.\s]*$", re.I)


@dataclass(frozen=True)
class Speech:
    speaker: str  # "Ms. Marit Nilses", CHAIR, MEETING or ""
    organisation: str  # as the note wrote it: "UNESCAP"
    verb: str  # "" for noted
    text: str  # what follows the verb


def parse_speech(text: str) -> Speech:
    """Who spoke, how, and what: the discussion note's speaker, organisation, verb and text."""
    for speaker, form in _FORMS:
        m = form.match(text)
        if not m:
            continue
        groups = m.groupdict()
        organisation = (groups.get("org") or "").strip()
        who = speaker or (groups.get("who") or "").strip()
        if groups.get("wrote") is not None:
            verb = _verb(groups["wverb"])
            return Speech(who, organisation, verb, groups["wrote"].strip())
        verb = _verb(groups["verb"]) if groups.get("verb") else ""
        said = groups["said"].strip()
        return Speech(who, organisation, verb, connect(verb, said) if verb else said)
    return Speech("", "", "", text)


def _verb(text: str) -> str:
    return " ".join(text.lower().split())


def connect(verb: str, said: str) -> str:
    """What was said, joined to its verb: 'asked' + 'A needs analysis ...' -> 'whether a
    needs analysis ...'; nothing is added to words that already join ('to ...', 'that ...')."""
    said = lower_start(said)
    joiner = VERBS.get(verb or DEFAULT_VERB, "that")
    low = said.lower()
    if not joiner or any(low == w or low.startswith(w + " ") for w in _JOINED):
        return said
    return f"{joiner} {said}"


def lower_start(text: str) -> str:
    """'The analysis ...' -> 'the analysis ...', after a verb; names and acronyms stay."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    if first.lower().strip(",;:") in _LOWER_STARTS and first[:1].isupper() and \
            not first[1:2].isupper():
        return text[0].lower() + text[1:]
    return text


def report(subject: str, verb: str, text: str) -> str:
    """The sentence of the minutes: 'Ms. X (ORG) asked whether ...'; a note without a speaker
    is the secretariat's own sentence, kept as written."""
    if not subject:
        return text[:1].upper() + text[1:]
    if not verb:
        return f"{subject} {DEFAULT_VERB} {connect(DEFAULT_VERB, text)}"
    return f"{subject} {verb} {text}"


def closing_time(text: str) -> str | None:
    """'Closed at 17:00 GVA time' -> '17:00 GVA time'; None when the note is not a closing
    time; ValueError when its time is not one."""
    m = _CLOSED.match(text.strip())
    if not m:
        return None
    if int(m.group("h")) > 23 or int(m.group("m")) > 59:
        raise ValueError(f"{m.group('h')}:{m.group('m')} is not a time of day (closed at "
                         f"HH:MM, e.g. 17:00)")
    return f"{int(m.group('h')):02d}:{m.group('m')} {m.group('label')}".strip()
