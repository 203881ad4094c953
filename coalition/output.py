"""Answers as JSON: dataclasses to plain values, dates as ISO text."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in dir(type(value)):  # derived facts (e.g. `no_lead`) are part of the answer
            if isinstance(getattr(type(value), name, None), property):
                data[name] = to_jsonable(getattr(value, name))
        return data
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
