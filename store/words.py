"""Words for people: counts with their nouns. Imports nothing, so every layer can use it."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """'1 note', '2 notes', '0 notes'; `many` for nouns that do not take an s
    ('1 entry', '2 entries')."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {many or noun + 's'}"
