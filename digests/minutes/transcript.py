"""A meeting's WebVTT transcript (Teams, Zoom) turned into a notes file to edit and import.

Cues are read with webvtt-py. The speaker is the cue's voice tag (Teams: `<v Hossein
Fadaei>...</v>`) or the name before its first colon (Zoom: `Hossein Fadaei: ...`); a cue with
neither continues the speaker before it. Each speaker is matched to a participant of the
meeting (titles dropped, accents folded, "Fadaei, Hossein" and a missing middle name
accepted), or to the person given with `--speaker "Raw Name=email"`; the others are listed.
Consecutive cues of one speaker are one turn; filler ("um", "uh", ", you know,", a word said
twice) is dropped. Turns go under the agenda item the chair has moved on to ("item 2", "agenda
item 2", "moving on to work stream two"); before the first item they are the opening. Nothing
is summarised: each turn is the speaker's words, for the secretariat to edit.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session

from coalition.errors import InputError
from store.meetings import agenda_items, participants
from store.models import Meeting, Organisation, Person
from store.names import fold, person_key
from store.organisations import organisations
from store.people import everyone, person_by_email


class TranscriptError(InputError):
    """The transcript cannot be read, or a --speaker cannot be used."""


@dataclass(frozen=True)
class Cue:
    speaker: str  # as the transcript names them; "" when it does not
    text: str


@dataclass
class Turn:
    speaker: str
    text: str
    place: int | str = 1  # an agenda item's number, or "opening"


@dataclass
class TranscriptNotes:
    text: str  # the notes file
    turns: int
    matched: dict[str, Person] = field(default_factory=dict)
    unmatched: Counter = field(default_factory=Counter)  # speaker -> turns
    warnings: list[str] = field(default_factory=list)


_PREFIX = re.compile(r"^(?P<name>[^\W\d][^:\d]{0,60}?):\s+(?P<text>\S.*)$", re.S)


_PARTICLES = {"van", "von", "de", "da", "del", "der", "di", "du", "la", "le", "al", "bin"}


def _a_name(text: str) -> bool:
    """Whether the words before a Zoom cue's colon are a name ('Hossein Fadaei'), not speech
    ('the point is')."""
    words = text.split()
    return 0 < len(words) <= 6 and all(w[:1].isupper() or w in _PARTICLES for w in words)


def read_cues(text: str, *, name: str = "the transcript") -> list[Cue]:
    """The transcript's cues, with their speakers; raises TranscriptError."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        captions = webvtt.from_string(text).captions
    except (MalformedFileError, MalformedCaptionError) as e:
        raise TranscriptError(f"{name}: not a WebVTT transcript ({e})",
                              hint="Teams and Zoom save one as .vtt (it starts with WEBVTT)"
                              ) from None
    cues, last = [], ""
    for caption in captions:
        words = " ".join(html.unescape(caption.text).split())
        speaker = caption.voice
        if speaker is None and (m := _PREFIX.match(words)) and _a_name(m["name"]):
            speaker, words = m["name"], m["text"]
        speaker = " ".join(html.unescape(speaker).split()) if speaker else last
        if words:
            cues.append(Cue(speaker, words))
            last = speaker
    if not cues:
        raise TranscriptError(f"{name}: the transcript has no spoken text")
    return cues


_FILLER = re.compile(r"\b(?:u+m+|u+h+|e+r+m+|er|a+h+|h+m+|m+h+m+|mm+)\b,?\s*", re.I)
_YOU_KNOW = re.compile(r"^\s*you know\b,?\s*|,\s*you know\s*(?:,|(?=[.?!;])|$)", re.I)
_REPEATED = re.compile(r"\b(\w+)(?:\s+\1\b)+", re.I)


def clean(text: str) -> str:
    """The words without filler: 'So, um, the the plan is, you know, ready' -> 'So, the plan
    is ready'."""
    text = _FILLER.sub("", text)
    text = _YOU_KNOW.sub("", text)
    text = _REPEATED.sub(r"\1", text)
    text = re.sub(r"\s+([,.;?!])", r"\1", text)
    text = re.sub(r",(?=[,.;?!])", "", text)
    text = re.sub(r"^[\s,.;]+", "", " ".join(text.split()))
    return text[:1].upper() + text[1:]


def turns_of(cues: list[Cue], key=lambda speaker: speaker) -> list[Turn]:
    """Consecutive cues of one speaker (by `key`) as one turn, filler dropped."""
    turns: list[Turn] = []
    for cue in cues:
        text = clean(cue.text)
        if not text.strip(" .,;"):
            continue
        if turns and key(turns[-1].speaker) == key(cue.speaker):
            turns[-1].text += " " + text
        else:
            turns.append(Turn(cue.speaker, text))
    return turns


_NUMBERS = {w: str(n) for n, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve"])}
_NUMBER_WORDS = {w: str(n) for n, w in enumerate(
    ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
     "ninth", "tenth"])}
_ITEM = re.compile(r"\bitem\s+(?:number\s+|no\.?\s+)?(\d{1,3})\b")
_MOVE = re.compile(r"\b(?:mov(?:e|ing)\s+on|turn(?:ing)?|go(?:ing)?\s+on|proceed(?:ing)?|"
                   r"let\s*'?s\s+(?:go|move|turn)|we\s+now\s+(?:go|come|move))\s+(?:now\s+)?"
                   r"to\s+(?P<rest>[^.?!;]+)")
_SENTENCE = re.compile(r"(?<=[.?!])\s+")


def _words(text: str) -> str:
    """Folded, numbers as digits: 'Work Stream Two' -> 'work stream 2'."""
    return " ".join(_NUMBERS.get(w, _NUMBER_WORDS.get(w, w)) for w in fold(text).split())


_OTHER = re.compile(r"\b(?:other matters|any other business|aob)\b")
_CLOSE = re.compile(r"\b(?:close|closing|adjourn|adjourning) (?:the|this) meeting\b|"
                    r"\bmeeting is (?:closed|adjourned)\b")


def _moved_to(sentence: str, items: dict[int, str], here: int | str) -> int | str | None:
    """The agenda item (or "other", "closure") a sentence moves on to, if it does."""
    words = _words(sentence)
    if _CLOSE.search(words):
        return "closure"
    if _OTHER.search(words):
        return "other"
    if (m := _ITEM.search(words)) and int(m[1]) in items:
        return int(m[1])
    if not (m := _MOVE.search(words)):
        return None
    rest = set(m["rest"].split()) - {"the", "a", "of", "on", "and", "our", "item", "agenda"}
    if "next" in rest:
        following = [n for n in sorted(items) if not isinstance(here, int) or n > here]
        return following[0] if following else None
    scores = {n: len(rest & set(_words(title).split())) for n, title in items.items()}
    best = max(scores.values(), default=0)
    found = [n for n, score in scores.items() if score == best]
    return found[0] if best and len(found) == 1 else None


def split_by_item(turns: list[Turn], items: dict[int, str], *, mover) -> bool:
    """Place each turn under the item the chair (`mover(turn)`) last moved on to (or other
    matters, or the closure), splitting a turn where the move is said; before the first move
    to an item the turns are the opening (or item 1 when that move is to a later item).
    Whether any move to an agenda item was found."""
    placed: list[Turn] = []
    here: int | str = "opening"
    first: int | None = None
    for turn in turns:
        if not mover(turn):
            placed.append(Turn(turn.speaker, turn.text, here))
            continue
        part: list[str] = []
        for sentence in _SENTENCE.split(turn.text):
            target = _moved_to(sentence, items, here)
            if target is not None and target != here:
                if part:
                    placed.append(Turn(turn.speaker, " ".join(part), here))
                here, part = target, []
                if first is None and isinstance(target, int):
                    first = target
            part.append(sentence)
        placed.append(Turn(turn.speaker, " ".join(part), here))
    start = min(items) if items else "opening"
    for turn in placed:
        if turn.place == "opening" and (first is None or first != start):
            turn.place = start
    turns[:] = placed
    return first is not None


def match_speaker(raw: str, people: list[Person]) -> Person | None:
    """The one person `raw` names: same words (any order: 'FADAEI Hossein', 'Fadaei, Hossein'),
    or a name it shortens ('Doris Delgado' for 'Doris Maritza Delgado')."""
    key = person_key(re.sub(r"\s*[(\[].*?[)\]]\s*", " ", raw))
    words = set(key.split())
    if not words:
        return None
    for same in (lambda name: set(name.split()) == words,
                 lambda name: len(words) >= 2 and words <= set(name.split())):
        found = {p.id: p for p in people if same(fold(p.name))}
        if len(found) == 1:
            return next(iter(found.values()))
        if found:
            return None  # two people answer to it: ask
    return None


def parse_speaker_options(options: list[str]) -> dict[str, str]:
    """`--speaker "Raw Name=email"` options as {raw name: email}; raises TranscriptError."""
    given = {}
    for option in options:
        raw, sep, email = option.rpartition("=")
        if not sep or not raw.strip() or "@" not in email:
            raise TranscriptError(f"--speaker {option!r}: expected \"Raw Name=email\", e.g. "
                                  "--speaker \"Hossein F.=hossein.fadaei@example.org\"")
        given[raw.strip()] = email.strip()
    return given


def transcript_notes(*, session: Session, meeting: Meeting, text: str, name: str,
                     speakers: dict[str, str], ref: str) -> TranscriptNotes:
    """The notes file for `meeting` from the transcript `text` (named `name` in messages)."""
    cues = read_cues(text, name=name)
    raw_names = list(dict.fromkeys(c.speaker for c in cues if c.speaker))
    people = participants(session=session, meeting=meeting)
    anyone = everyone(session=session)
    matched: dict[str, Person] = {}
    for raw, email in speakers.items():
        said = [r for r in raw_names if fold(r) == fold(raw)]
        if not said:
            raise TranscriptError(f"--speaker {raw!r}: nobody of that name speaks in {name}",
                                  hint="its speakers: " + ", ".join(raw_names))
        person = person_by_email(session=session, email=email)
        if person is None:
            raise TranscriptError(f"--speaker {raw!r}: no person has the email {email!r}",
                                  hint="people and their emails are in the data file")
        matched.update({r: person for r in said})
    for raw in raw_names:
        if raw not in matched and (person := match_speaker(raw, people)
                                   or match_speaker(raw, anyone)):
            matched[raw] = person

    def key(raw: str):
        return matched[raw].id if raw in matched else raw

    turns = turns_of(cues, key)
    items = {i.number: i.title for i in agenda_items(session=session, meeting=meeting)}
    chair_speaks = any(p.id == meeting.chair_id for p in matched.values())
    moved = split_by_item(turns, items, mover=lambda t: not chair_speaks or (
        t.speaker in matched and matched[t.speaker].id == meeting.chair_id))
    result = TranscriptNotes("", len(turns), matched=matched)  # turns, split by item
    result.unmatched.update(t.speaker or "(no name)" for t in turns if t.speaker not in matched)
    if not moved:
        result.warnings.append(
            f"no move to another agenda item was found (\"item 2\", \"moving on to ...\"): "
            f"every turn is under item {min(items) if items else 'opening'}")
    orgs = organisations(session=session)
    result.text = _notes_file(meeting, name, ref, turns, result, orgs)
    return result


def _speaker_label(person: Person, orgs: dict[int, Organisation]) -> str:
    name = f"{person.title} {person.name}".strip()
    org = orgs.get(person.organisation_id)
    return f"{name} ({org.acronym})" if org else name


def _notes_file(meeting: Meeting, name: str, ref: str, turns: list[Turn],
                result: TranscriptNotes, orgs: dict[int, Organisation]) -> str:
    lines = [f"# Notes of {meeting.title} from the transcript {name}.",
             "# Each turn is in the speaker's words (filler dropped, nothing summarised): edit",
             "# them into the minutes' notes (see README, Meeting minutes), then import them:",
             f"#   coalition minutes import {ref} NOTES.txt", "# Speakers:"]
    for raw, person in result.matched.items():
        chair = ", the Chair" if person.id == meeting.chair_id else ""
        lines.append(f"#   {raw} = {_speaker_label(person, orgs)}{chair}")
    for raw, count in result.unmatched.items():
        lines.append(f"#   {raw}: not matched ({count} turn{'s' if count != 1 else ''}); "
                     f"give --speaker \"{raw}=EMAIL\" or edit the lines")
    lines += [f"# Warning: {w}" for w in result.warnings]
    place = None
    for turn in turns:
        if turn.place != place:
            lines.append("")
            place = turn.place
        who = _speaker_label(result.matched[turn.speaker], orgs) \
            if turn.speaker in result.matched else turn.speaker
        lines.append(f"{turn.place} {who}: {turn.text}" if who else f"{turn.place} {turn.text}")
    return "\n".join(lines) + "\n"
