"""Reading a text file a person wrote (the data file, a notes file, the config): UTF-8, or one
clear error naming the file, where the bad byte is, and what to do."""

from __future__ import annotations

from pathlib import Path

from coalition.errors import InputError

_BOMS = {b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16", b"\xff\xfe\x00\x00": "UTF-32"}


def read_text(path: Path, *, what: str, error: type[InputError] = InputError) -> str:
    """The file's text; `error` (an InputError) when it cannot be read or is not UTF-8."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise error(f"{path}: cannot read the {what} ({e.strerror})") from None
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            raise error(f"{path}: the {what} is {name} text; save it as UTF-8") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise error(f"{path}, line {line}: the {what} is not UTF-8 text (byte "
                    f"0x{data[e.start]:02x}); save it as UTF-8") from None
