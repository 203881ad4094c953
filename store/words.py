"""Words for people: counts with their nouns. Imports nothing, so every layer can use it."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """'1 note', '2 notes', '0 notes'; `many` for nouns that do not take an s
    ('1 entry', '2 entries')."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {many or noun + 's'}"


# Numbers people write as words ("work stream one", "the sixth meeting").
CARDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20,
}
