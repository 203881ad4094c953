"""What every `coalition` sub-command shares: the consoles, the configuration and runtime from
the global options, and writing output files.

Light on purpose: the CLI's parsing and `--help` import this and typer, nothing else; each
command imports what it uses.
"""

from __future__ import annotations

import errno
import gc
import os
import re
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from coalition.errors import OperationError, UsageError

if TYPE_CHECKING:
    from coalition.config import Config
    from coalition.runtime import Runtime

__all__ = ["UsageError", "config_from", "err", "out", "print_text", "runtime_from",
           "write_output"]


class _LazyConsole:
    """A rich Console made at its first use (importing rich costs every command that prints
    nothing, `--help` included). Colour follows the terminal and `NO_COLOR`, as rich does."""

    def __init__(self, **options: Any):
        self._options = options
        self._console = None

    def __getattr__(self, name: str):
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


out = _LazyConsole(soft_wrap=True)  # lines are whole; `print_text` wraps for terminals
err = _LazyConsole(stderr=True, soft_wrap=True)


def _root_options(ctx: typer.Context) -> dict:
    return ctx.find_root().obj or {}


def config_from(ctx: typer.Context) -> Config:
    """The configuration for this invocation (--config, else COALITION_CONFIG, else the
    built-in defaults, then the environment), with logging set up by it."""
    options = _root_options(ctx)
    if "config" in options:
        return options["config"]
    from coalition.config import load_config
    from coalition.logs import setup_logging

    config = load_config(options.get("config_path"))
    setup_logging(level=config.log.level, fmt=config.log.format,
                  secrets=config.secrets.values())
    options["config"] = config
    return config


def _imports_done() -> None:
    """The program's modules are in: keep them out of every later collection (`gc.freeze`),
    and collect garbage from here on (the entry point held it off while importing)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def runtime_from(ctx: typer.Context, *, now: str | None = None, upgrade: bool = True,
                 create: bool = True) -> Runtime:
    """The Runtime for this invocation: the configuration and `--now`. With `create=False`
    (commands that only read), a SQLite store that does not exist yet is an error saying how to
    make one, instead of an empty store made on the spot."""
    from coalition.runtime import Runtime

    _imports_done()
    config = config_from(ctx)
    if now is not None:
        from coalition.clock import parse_instant

        try:
            parse_instant(now, config.coalition.timezone)
        except ValueError as e:
            raise UsageError(f"--now: {e}") from None
    return Runtime(config, now=now, upgrade_schema=upgrade, create=create)


_USAGE_ERRNOS = {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM,
                 errno.EROFS, errno.ENAMETOOLONG, errno.ELOOP}


def write_output(path: Path, data: bytes | str) -> None:
    """Write a command's output file whole or not at all: a full disk or a killed process
    never leaves half a file where a good one was. A folder that does not exist or cannot be
    written is bad usage (exit 2); a write that fails on the way is an operation failure."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    target = Path(path)
    try:
        if target.exists() and not target.is_file():  # /dev/stdout, a pipe: write in place
            with open(target, "wb") as f:
                f.write(payload)
            return
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        reason = e.strerror or str(e)
        if e.errno in _USAGE_ERRNOS:
            raise UsageError(f"--out {path}: cannot write there ({reason})") from None
        raise OperationError(f"--out {path}: writing failed ({reason}); nothing was written"
                             ) from None


def _terminal_out() -> bool:
    """Whether standard output is a terminal, as rich decides it, without importing rich for
    the plain case (a pipe, a file) when nothing forces terminal output."""
    if not sys.stdout.isatty() and not (os.environ.get("FORCE_COLOR")
                                        or os.environ.get("TTY_COMPATIBLE")):
        return False
    return out.is_terminal


_HANGING = re.compile(r"^(\s*)(?:[•\-*] |\d+\. |[A-Z][\w ]{0,24}: )?")


def print_text(text: str) -> None:
    """An answer for a person: on a terminal, wrapped at its width with hanging indents (a
    bullet's or a label's continuation lines start under its text) and OVERDUE in red; to a
    pipe or a file, exactly as given. No colour with NO_COLOR."""
    if not _terminal_out():
        sys.stdout.write(text + "\n")
        return
    from rich.text import Text

    width = max(out.width, 40)
    for line in text.splitlines() or [""]:
        hang = _HANGING.match(line).end()
        wrapped = textwrap.wrap(line, width=width, subsequent_indent=" " * min(hang, width // 2),
                                break_long_words=False, break_on_hyphens=False,
                                drop_whitespace=True) or [""]
        for piece in wrapped:
            rendered = Text(piece)
            rendered.highlight_regex(r"\bOVERDUE\b", "bold red")
            out.print(rendered, soft_wrap=True, highlight=False)
