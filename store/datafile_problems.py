"""Everything wrong with a data file, at once, in plain words, each at its line.

- `decode`: the bytes as UTF-8 text, or what they look like instead (UTF-16, latin-1...).
- `LineIndex`: the line of every table header, key and array element, found in one pass.
- `Problems`: collected problems (pydantic's validation errors translated into plain words,
  "did you mean" for unknown keys and values), and the one message listing them.
- `raw_problems`: what one item cannot tell alone: keys and ids defined twice, references to
  items the file does not define, participants or roles listed twice, dates out of order.
  It reads the raw parsed file, so it reports alongside the validation errors.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import typing
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ValidationError

MAX_SHOWN = 50
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


# -- decoding ------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """(text, "") for UTF-8 (a byte-order mark is allowed); ("", what is wrong) otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:200].count(b"\x00") > 20:
        return "", ("the data file is UTF-16 (or another wide encoding), not UTF-8: save it as "
                    "UTF-8 (in most editors: Save As, encoding UTF-8)")
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        byte = data[e.start]
        guess = ""
        try:
            sample = " ".join(data[max(0, e.start - 20):e.start + 20].decode("cp1252").split())
            guess = f" (it reads as Windows-1252/latin-1 there: …{sample}…)"
        except UnicodeDecodeError:
            pass
        return "", (f"the data file is not UTF-8: line {line} has the byte 0x{byte:02x}"
                    f"{guess}; save the file as UTF-8")


# -- where things are ----------------------------------------------------------------------


class LineIndex:
    """The line of each table (`("meetings", 0)`), key (`("meetings", 0, "title")`) and
    array element (`("meetings", 0, "participants", 3)`) of a TOML text, found in one pass.
    The text is valid TOML (tomllib read it first); comments and multi-line strings are
    skipped over."""

    def __init__(self, text: str):
        self.lines: dict[tuple, int] = {}
        self._counts: dict[tuple, int] = {}
        self._table: tuple = ()
        self._string: str | None = None  # the closing quotes of a multi-line string
        self._array: list | None = None  # [path, depth, next index, expecting a value]
        for lineno, line in enumerate(text.splitlines(), start=1):
            self._line(line, lineno)

    def line(self, path: tuple) -> int | None:
        """The line of `path`, or of the nearest enclosing thing that has one."""
        path = tuple(path)
        while path:
            for candidate in (path, path + (0,)):
                if candidate in self.lines:
                    return self.lines[candidate]
            path = path[:-1]
        return None

    def _line(self, line: str, lineno: int) -> None:
        at = 0
        if self._string is not None:
            end = line.find(self._string)
            if end < 0:
                return
            at, self._string = end + 3, None
        if self._array is not None:
            self._scan_value(line, at, lineno)
            return
        stripped = line[at:].lstrip()
        if not stripped or stripped.startswith("#"):
            return
        if stripped.startswith("[["):
            self._header(stripped[2:stripped.find("]]")], lineno, array=True)
        elif stripped.startswith("["):
            self._header(stripped[1:stripped.find("]")], lineno, array=False)
        else:
            keys, rest = self._keys(stripped)
            if keys is None:
                return
            path = self._table + tuple(keys)
            self.lines.setdefault(path, lineno)
            self._array = None
            self._scan_value(rest, 0, lineno, path=path)

    def _header(self, name: str, lineno: int, *, array: bool) -> None:
        keys, _ = self._keys(name + "=")
        path: tuple = ()
        for key in (keys or [])[:-1]:
            path += (key,)
            if path in self._counts:
                path += (self._counts[path] - 1,)
        path += tuple((keys or [])[-1:])
        if array:
            index = self._counts.get(path, 0)
            self._counts[path] = index + 1
            path += (index,)
        self._table = path
        self.lines.setdefault(path, lineno)

    @staticmethod
    def _keys(text: str) -> tuple[list[str] | None, str]:
        """The dotted key at the start of `text` and what follows its `=`."""
        keys, at = [], 0
        while True:
            while at < len(text) and text[at] in " \t":
                at += 1
            if at < len(text) and text[at] in "\"'":
                quote = text[at]
                end = text.find(quote, at + 1)
                while quote == '"' and end > 0 and text[end - 1] == "\\":
                    end = text.find(quote, end + 1)
                if end < 0:
                    return None, ""
                keys.append(text[at + 1:end])
                at = end + 1
            else:
                m = _BARE_KEY.match(text, at)
                if not m:
                    return None, ""
                keys.append(m.group())
                at = m.end()
            while at < len(text) and text[at] in " \t":
                at += 1
            if at < len(text) and text[at] == ".":
                at += 1
                continue
            if at < len(text) and text[at] == "=":
                return keys, text[at + 1:]
            return None, ""

    def _scan_value(self, text: str, at: int, lineno: int, path: tuple | None = None) -> None:
        """Follow a value: multi-line strings, and arrays (the line of each element)."""
        array = self._array
        while at < len(text):
            c = text[at]
            if c in "\"'":
                triple = text[at:at + 3]
                if triple in ('"""', "'''"):
                    end = text.find(triple, at + 3)
                    if array is not None and array[3]:
                        self._element(array, lineno)
                    if end < 0:
                        self._string, self._array = triple, array
                        return
                    at = end + 3
                    continue
                end = at + 1
                while end < len(text) and text[end] != c:
                    end += 2 if c == '"' and text[end] == "\\" else 1
                if array is not None and array[3]:
                    self._element(array, lineno)
                at = end + 1
                continue
            if c == "#":
                break
            if c in "[{":
                if array is None and c == "[" and path is not None:
                    array = [path, 1, 0, True]
                else:
                    if array is not None and array[1] == 1 and array[3]:
                        self._element(array, lineno)
                    if array is not None:
                        array[1] += 1
            elif c in "]}":
                if array is not None:
                    array[1] -= 1
                    if array[1] == 0:
                        array = None
            elif c == ",":
                if array is not None and array[1] == 1:
                    array[3] = True
            elif c not in " \t" and array is not None and array[1] == 1 and array[3]:
                self._element(array, lineno)
            at += 1
        self._array = array

    def _element(self, array: list, lineno: int) -> None:
        self.lines.setdefault(array[0] + (array[2],), lineno)
        array[2] += 1
        array[3] = False


# -- collecting and saying -----------------------------------------------------------------


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(str(value).lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[match[0]]!r}?)" if match else ""


def _shown(value) -> str:
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.date | int | float):
        text = str(value)
    elif isinstance(value, dict):
        text = "a table"
    elif isinstance(value, list):
        text = "a list"
    else:
        text = type(value).__name__
    return text if len(text) <= 60 else text[:57] + "…"


_LABELS = ("key", "acronym", "email")


class Problems:
    """The problems found in one file; `message()` says them all, by line."""

    def __init__(self, path: Path, text: str, raw: dict | None = None):
        self.path = path
        self.text = text
        self.raw = raw or {}
        self.found: list[tuple[tuple, tuple, str]] = []

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, where: tuple, text: str, *, named: tuple | None = None) -> None:
        """A problem at `where` (its line is looked up); `named` is the part of the path the
        message names, when the text itself names the rest (an unknown key)."""
        self.found.append((tuple(where), tuple(where if named is None else named), text))

    def message(self) -> str:
        index = LineIndex(self.text)
        said: list[tuple[int, str]] = []
        seen: set[str] = set()
        for where, named, text in self.found:
            line = index.line(where)
            sentence = self._sentence(named, line, text)
            if sentence not in seen:
                seen.add(sentence)
                said.append((line or 0, sentence))
        said.sort(key=lambda pair: pair[0])
        if len(said) == 1:
            return f"{self.path}: {said[0][1]}"
        shown = [s for _, s in said[:MAX_SHOWN]]
        more = f"\n  … and {len(said) - MAX_SHOWN} more" if len(said) > MAX_SHOWN else ""
        return (f"{self.path}: {len(said)} problems, nothing was imported:\n  "
                + "\n  ".join(shown) + more)

    def _sentence(self, where: tuple, line: int | None, text: str) -> str:
        at = f"line {line}" if line else ""
        if len(where) < 2 or not isinstance(where[1], int):
            return f"{at}: {text}" if at else text
        section, index = where[0], where[1]
        head = f"{section}[{index + 1}]"
        items = self.raw.get(section)
        item = items[index] if isinstance(items, list) and index < len(items) else None
        if isinstance(item, dict):
            label = next((item[k] for k in _LABELS if isinstance(item.get(k), str)), None)
            if label:
                head += f" ({label})"
        rest = ".".join(f"{p}" if isinstance(p, str) else f"[{p + 1}]" for p in where[2:])
        rest = rest.replace(".[", "[")
        head = f"{head}, {at}" if at else head
        return f"{head}: {rest}: {text}" if rest else f"{head}: {text}"

    def add_validation(self, error: ValidationError, model: type[BaseModel]) -> None:
        """pydantic's errors in plain words; the errors of one field (a union's branches)
        become one."""
        by_path: dict[tuple, list[dict]] = {}
        for err in error.errors(include_url=False):
            path, owner = _path(tuple(err["loc"]), model)
            by_path.setdefault(path, []).append({**err, "model": owner})
        for path, errs in by_path.items():
            # "unknown key 'colour'" and "name is missing" name their field themselves
            named = any(e["type"] in ("extra_forbidden", "missing") for e in errs)
            self.add(path, _say(path, errs), named=path[:-1] if named else None)


def _shape(model: type[BaseModel]) -> dict[str, tuple[bool, type[BaseModel] | None]]:
    """Each field of a model: (whether it is a list, the model of its items or value)."""
    shape = {}
    for name, info in model.model_fields.items():
        ann = info.annotation
        is_list = typing.get_origin(ann) is list
        inner = typing.get_args(ann)[0] if is_list else ann
        sub = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
        shape[name] = (is_list, sub)
    return shape


def _path(loc: tuple, model: type[BaseModel]) -> tuple[tuple, type[BaseModel] | None]:
    """pydantic's error location as a path in the file (union branches and validator names
    left out), and the model whose field it is."""
    path: list = []
    current: type[BaseModel] | None = model
    owner = model
    at = 0
    while at < len(loc):
        part = loc[at]
        if current is not None and isinstance(part, str):
            shape = _shape(current)
            path.append(part)
            owner = current
            if part not in shape:
                break
            is_list, sub = shape[part]
            at += 1
            if is_list and at < len(loc) and isinstance(loc[at], int):
                path.append(loc[at])
                at += 1
            current = sub
            continue
        if current is None and isinstance(part, int):
            path.append(part)
        at += 1
    return tuple(path), owner


_PATTERNS = {
    "email": "is not an email address",
    "slack_user_id": "is not a Slack user id (letters and digits, e.g. U0123ABCD)",
}
_EXPECTED = {
    "starts": "a date and time (2017-10-05T15:30:00) or a date (2017-10-05)",
    "ends": "a date and time (2017-10-05T17:30:00)",
    "due": "a date (2017-11-30) or a period in quotes (\"November 2017\", \"Ongoing\")",
    "since": "a date (2017-10-05)", "until": "a date (2017-10-05)",
}
_TYPES = {
    "string": "text in quotes", "int": "a whole number", "bool": "true or false",
    "list": "a list ([...])", "dict": "a table", "model": "a table", "date": "a date",
    "datetime": "a date and time", "float": "a number",
}
_VALUE_ERRORS = ("value_error", "greater_than_equal", "less_than_equal", "greater_than",
                 "less_than", "string_too_long", "string_too_short", "string_pattern_mismatch",
                 "literal_error", "extra_forbidden", "missing", "too_long")


def _say(path: tuple, errs: list[dict]) -> str:
    """One field's problem in plain words (the most telling of its errors)."""
    err = next((e for e in errs if e["type"] in _VALUE_ERRORS), errs[0])
    kind, field = err["type"], next((p for p in reversed(path) if isinstance(p, str)), "")
    given = err.get("input")
    ctx = err.get("ctx") or {}
    model = err.get("model")
    if kind == "missing":
        return f"{field} is missing"
    if kind == "extra_forbidden":
        known = list(model.model_fields) if model is not None else []
        what = "section" if len(path) == 1 else "key"
        return f"unknown {what} {field!r}{did_you_mean(field, known)}"
    if kind == "literal_error":
        choices = _choices(model, field)
        listed = ", ".join(repr(c) for c in choices)
        return (f"{_shown(given)} is not one of {listed}"
                f"{did_you_mean(str(given), map(str, choices))}")
    if kind == "string_pattern_mismatch":
        if field in _PATTERNS:
            return f"{_shown(given)} {_PATTERNS[field]}"
        return (f"{_shown(given)}: a key is lower-case letters, digits, - and _ (and . in "
                f"deadline keys), starting with a letter or digit, e.g. ws1-report")
    if kind == "string_too_short":
        return "is empty"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{_shown(given)} is too small (at least {ctx.get('ge', ctx.get('gt'))})"
    if kind in ("less_than_equal", "less_than"):
        return f"{_shown(given)} is too large (at most {ctx.get('le', ctx.get('lt'))})"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    expected = _EXPECTED.get(field) or next(
        (words for prefix, words in _TYPES.items() if kind.startswith(prefix)), None)
    if expected:
        return f"must be {expected}, not {_shown(given)}"
    return err["msg"][0].lower() + err["msg"][1:]


def _choices(model: type[BaseModel] | None, field: str) -> list:
    if model is None or field not in model.model_fields:
        return []
    ann = model.model_fields[field].annotation
    return list(typing.get_args(ann)) if typing.get_origin(ann) is typing.Literal else []


# -- what one item cannot tell alone -------------------------------------------------------


def _items(raw: dict, section: str) -> list[tuple[int, dict]]:
    items = raw.get(section)
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


def _text(item: dict, key: str) -> str:
    value = item.get(key)
    return value.strip() if isinstance(value, str) else ""


def _texts(item: dict, key: str) -> list[tuple[int, str]]:
    values = item.get(key)
    if not isinstance(values, list):
        return []
    return [(i, v.strip()) for i, v in enumerate(values) if isinstance(v, str) and v.strip()]


def raw_problems(problems: Problems, raw: dict) -> None:
    """Keys and ids defined twice, references the file does not define, parts listed twice,
    dates out of order; on the raw file, so that they are said with the validation errors."""
    problems.raw = raw
    known = {
        "organisations": _defined(problems, raw, "organisations", "acronym"),
        "people": _defined(problems, raw, "people", "email"),
        "work_streams": _defined(problems, raw, "work_streams", "key"),
        "meetings": _defined(problems, raw, "meetings", "key"),
    }
    _defined(problems, raw, "deadlines", "key")
    _slack_ids(problems, raw)

    def ref(where: tuple, section: str, value: str, what: str) -> None:
        if value and value.lower() not in known[section]:
            problems.add(where, f"{what} {value!r} is not defined in the file"
                         f"{did_you_mean(value, known[section].values())}")

    _parents(problems, raw, known["organisations"])
    for i, p in _items(raw, "people"):
        ref(("people", i, "organisation"), "organisations", _text(p, "organisation"),
            "organisation")
    for i, w in _items(raw, "work_streams"):
        seen: set[tuple[str, str]] = set()
        for j, r in _items(w, "roles"):
            where = ("work_streams", i, "roles", j)
            org = _text(r, "organisation")
            ref(where + ("organisation",), "organisations", org, "organisation")
            pair = (org.lower(), _text(r, "role"))
            if org and pair in seen:
                problems.add(where, f"{org} has the role {pair[1]!r} twice in this work stream")
            seen.add(pair)
            _ordered(problems, where, r, "since", "until")
    for i, m in _items(raw, "meetings"):
        ref(("meetings", i, "chair"), "people", _text(m, "chair"), "person")
        emails: set[str] = set()
        for j, email in _texts(m, "participants"):
            ref(("meetings", i, "participants", j), "people", email, "person")
            if email.lower() in emails:
                problems.add(("meetings", i, "participants", j),
                             f"{email} is listed twice")
            emails.add(email.lower())
        numbers: set[int] = set()
        for j, a in _items(m, "agenda"):
            ref(("meetings", i, "agenda", j, "work_stream"), "work_streams",
                _text(a, "work_stream"), "work stream")
            number = a.get("number")
            if isinstance(number, int) and number in numbers:
                problems.add(("meetings", i, "agenda", j, "number"),
                             f"agenda item {number} is listed twice")
            numbers.add(number)
        _meeting_times(problems, i, m)
    for i, d in _items(raw, "deadlines"):
        where = ("deadlines", i)
        ref(where + ("owner",), "organisations", _text(d, "owner"), "organisation")
        owners: set[str] = set()
        for j, owner in _texts(d, "owners"):
            ref(where + ("owners", j), "organisations", owner, "organisation")
            if owner.lower() in owners:
                problems.add(where + ("owners", j), f"{owner} is listed twice")
            owners.add(owner.lower())
        if _text(d, "owner") and owners:
            problems.add(where + ("owners",), 'give owners = ["BRS", "UNITAR"] or '
                         'owner = "BRS", not both')
        ref(where + ("owner_person",), "people", _text(d, "owner_person"), "person")
        ref(where + ("work_stream",), "work_streams", _text(d, "work_stream"), "work stream")
        ref(where + ("meeting",), "meetings", _text(d, "meeting"), "meeting")
        ref(where + ("from_meeting",), "meetings", _text(d, "from_meeting"), "meeting")


def _defined(problems: Problems, raw: dict, section: str, key: str) -> dict[str, str]:
    """The section's keys (lower-case -> as written); a key written twice is a problem."""
    seen: dict[str, str] = {}
    first: dict[str, int] = {}
    for i, item in _items(raw, section):
        value = _text(item, key)
        if not value:
            continue
        if value.lower() in seen:
            problems.add((section, i, key), f"{value!r} is defined twice (first as "
                         f"{section}[{first[value.lower()] + 1}])")
        else:
            seen[value.lower()], first[value.lower()] = value, i
    return seen


def _slack_ids(problems: Problems, raw: dict) -> None:
    seen: dict[str, str] = {}
    for i, p in _items(raw, "people"):
        user = _text(p, "slack_user_id")
        if user and user in seen:
            problems.add(("people", i, "slack_user_id"),
                         f"{user} is already the Slack user id of {seen[user]}")
        elif user:
            seen[user] = _text(p, "email") or f"people[{i + 1}]"


def _parents(problems: Problems, raw: dict, orgs: dict[str, str]) -> None:
    parent_of = {_text(o, "acronym").lower(): _text(o, "parent").lower()
                 for _, o in _items(raw, "organisations")}
    for i, o in _items(raw, "organisations"):
        parent = _text(o, "parent")
        if not parent:
            continue
        if parent.lower() not in orgs:
            problems.add(("organisations", i, "parent"),
                         f"organisation {parent!r} is not defined in the file"
                         f"{did_you_mean(parent, orgs.values())}")
            continue
        start, at, steps = _text(o, "acronym").lower(), parent.lower(), 0
        while at and steps <= len(parent_of):
            if at == start:
                problems.add(("organisations", i, "parent"),
                             "its parents lead back to itself")
                break
            at, steps = parent_of.get(at, ""), steps + 1


def _ordered(problems: Problems, where: tuple, item: dict, first: str, then: str) -> None:
    a, b = item.get(first), item.get(then)
    if isinstance(a, dt.date) and isinstance(b, dt.date) and type(a) is type(b) and b < a:
        problems.add(where + (then,), f"is before {first} ({a})")


def _meeting_times(problems: Problems, i: int, m: dict) -> None:
    starts, ends = m.get("starts"), m.get("ends")
    precision = m.get("precision")
    dated = isinstance(starts, dt.date) and not isinstance(starts, dt.datetime)
    if precision == "minute" and dated:
        problems.add(("meetings", i, "starts"), 'has no time: give it one '
                     '(2017-10-05T15:30:00), or say precision = "day" (or "month")')
    if ends is None:
        return
    if dated or precision in ("day", "month"):
        problems.add(("meetings", i, "ends"), "a meeting known by its day or month has no "
                     "end time: remove ends, or give starts a time")
    elif isinstance(starts, dt.datetime) and isinstance(ends, dt.datetime) and \
            (starts.tzinfo is None) == (ends.tzinfo is None) and ends <= starts:
        problems.add(("meetings", i, "ends"), f"is not after starts ({starts})")
