"""Reading a text file a person wrote (the data file, a notes file, the config): UTF-8, or one
clear error naming the file, where the bad byte is, and what to do."""

from __future__ import annotations

from pathlib import Path

from coalition.errors import InputError


def decode(data: bytes, *, what: str) -> tuple[str, str]:
    """(text, "") for UTF-8 (a byte-order mark is allowed); ("", what is wrong) otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:200].count(b"\x00") > 20:
        return "", (f"the {what} is UTF-16 (or another wide encoding), not UTF-8: save it as "
                    "UTF-8 (in most editors: Save As, encoding UTF-8)")
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        guess = ""
        try:
            sample = " ".join(data[max(0, e.start - 20):e.start + 20].decode("cp1252").split())
            guess = f" (it reads as Windows-1252/latin-1 there: …{sample}…)"
        except UnicodeDecodeError:
            pass
        return "", (f"the {what} is not UTF-8: line {line} has the byte 0x{data[e.start]:02x}"
                    f"{guess}; save the file as UTF-8")


def read_text(path: Path, *, what: str, error: type[InputError] = InputError,
              max_bytes: int | None = None) -> str:
    """The file's text; `error` (an InputError) when it cannot be read, is larger than
    `max_bytes` or is not UTF-8."""
    try:
        with open(path, "rb") as f:
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
    except OSError as e:
        raise error(f"{path}: cannot read the {what} ({e.strerror or e})") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise error(f"{path}: the {what} is larger than {max_bytes // (1024 * 1024)} MB; is "
                    "it the right file?")
    text, problem = decode(data, what=what)
    if problem:
        raise error(f"{path}: {problem}")
    return text
