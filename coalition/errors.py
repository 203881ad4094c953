"""The errors a user can see: one family, each with the exit code it ends the command with.

This module imports nothing of ours, so that every layer (store, worker, digests, bot) derives
its errors from here. `coalition.cli.main` is the one place that prints them and exits: one
`error: ...` line, and a hint line where one helps. No command translates errors by hand.

    CoalitionError            exit 1 unless a subclass says otherwise
    ├── InputError            exit 2: bad usage, configuration or input (a file, an argument)
    │   ├── UsageError        a command-line argument or option
    │   └── NotFound          what was named does not exist (a meeting, a person, a feed)
    └── OperationError        exit 1: an operation failed (store unreachable, mail server
                              down, port in use)
"""

from __future__ import annotations


class CoalitionError(Exception):
    """An error a user can see. `str(error)` is one line naming what is wrong and where (the
    file, the key or item); `hint` says what to do about it, when that is not obvious."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = ""):
        super().__init__(message)
        self.hint = hint


class InputError(CoalitionError):
    """Bad usage, configuration or input: nothing was done; exit code 2."""

    exit_code = 2


class UsageError(InputError):
    """A command-line argument or option is wrong."""


class NotFound(InputError, LookupError):
    """What the user named (a meeting, a person, a feed, a delivery) does not exist."""


class OperationError(CoalitionError):
    """An operation failed although it was asked for correctly; exit code 1."""
