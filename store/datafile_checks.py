"""What one item of a data file cannot tell alone: keys and ids defined twice, references to
items the file does not define, participants or roles listed twice, dates out of order. It
reads the raw parsed file (tolerant of wrong types, which validation reports), so that these
problems are said together with the validation errors."""

from __future__ import annotations

import datetime as dt

from store.datafile_problems import Problems, did_you_mean


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
