"""Everything wrong with a data file, at once, in plain words, each at its line: the problems
collected (pydantic's validation errors translated into plain words, "did you mean" for unknown
keys and values), and the one message that lists them by line (`store.datafile_text`'s index).
"""

from __future__ import annotations

import datetime as dt
import difflib
import typing
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from store.datafile_text import LineIndex

MAX_SHOWN = 50


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
