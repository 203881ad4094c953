"""Where each thing in a data file's text is (in one pass)."""

from __future__ import annotations

import re

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


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
