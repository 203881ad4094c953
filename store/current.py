"""Not retired: the one filter for reference data still in force.

An item removed from the data file is retired (`retired_at` set), never deleted; every question
about the coalition reads the current items only, through `current(Model)`.
"""

from __future__ import annotations

from sqlalchemy import true


def current(model):
    """The SQL condition "this row is not retired" (always true for tables without
    `retired_at`)."""
    column = getattr(model, "retired_at", None)
    return true() if column is None else column.is_(None)
