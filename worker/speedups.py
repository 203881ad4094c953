"""Faster paths through feedparser's `FeedParserDict`, with the same results.

feedparser reads its dictionaries about 150 times per entry parsed, and each lookup goes
through Python code that checks for a dozen legacy aliases ("channel", "guid",
"description"...) before the plain dict lookup; each `copy.deepcopy` of one of them also asks
`__getattr__` for a `__deepcopy__` and fails through a KeyError. On the captured corpus and
the benchmark's generated feeds, going around that saved a fifth of the parse time.
`install()` gives keys that are not aliases the plain dict lookup (aliases still take
feedparser's own path, warnings included) and gives the class a `__deepcopy__` that builds
what the generic one builds. `tests/worker/test_speedups.py` parses
every corpus feed with and without them and compares the results in full.

Installed in the processes that parse feeds for us (`worker.parse.parse_feed`); it changes the
class for the whole process, for any other caller too, with the same results.
"""

from __future__ import annotations

import copy

from feedparser.util import FeedParserDict

_ORIGINAL = {name: FeedParserDict.__dict__[name] for name in ("__getitem__", "get",
                                                               "__contains__")}
# Keys whose lookup feedparser's own methods special-case or translate.
_SPECIAL = frozenset(FeedParserDict.keymap) | {"category", "enclosures", "license", "updated",
                                               "updated_parsed"}
_ATOMIC = (str, int, float, bool, type(None))


def _getitem(self, key, _special=_SPECIAL, _original=_ORIGINAL["__getitem__"]):
    if key in _special:
        return _original(self, key)
    return dict.__getitem__(self, key)


def _get(self, key, default=None, _special=_SPECIAL, _original=_ORIGINAL["get"]):
    if key in _special:
        return _original(self, key, default)
    return dict.get(self, key, default)


def _contains(self, key, _special=_SPECIAL, _original=_ORIGINAL["__contains__"]):
    if key in _special:
        return _original(self, key)
    return dict.__contains__(self, key)


def _deepcopy(self, memo):
    """What `copy.deepcopy` builds through `__reduce_ex__`: a new instance, its `__dict__`
    copied, then each item copied and set through the class's own `__setitem__`."""
    cls = type(self)
    result = cls.__new__(cls)
    memo[id(self)] = result
    if self.__dict__:
        result.__dict__.update(copy.deepcopy(self.__dict__, memo))
    for key, value in dict.items(self):
        result[key if type(key) is str else copy.deepcopy(key, memo)] = \
            value if type(value) in _ATOMIC else copy.deepcopy(value, memo)
    return result


_FAST = {"__getitem__": _getitem, "get": _get, "__contains__": _contains,
         "__deepcopy__": _deepcopy}


def install() -> None:
    """Switch FeedParserDict to the fast paths (idempotent)."""
    for name, method in _FAST.items():
        setattr(FeedParserDict, name, method)


def uninstall() -> None:
    """Back to feedparser's own methods (for comparisons)."""
    for name, method in _ORIGINAL.items():
        setattr(FeedParserDict, name, method)
    if "__deepcopy__" in FeedParserDict.__dict__:
        delattr(FeedParserDict, "__deepcopy__")


def installed() -> bool:
    return FeedParserDict.__dict__.get("__getitem__") is _getitem
