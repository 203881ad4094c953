"""The store's errors (light: importing this loads no database library)."""

from __future__ import annotations

from coalition.errors import OperationError


class StoreError(OperationError):
    """The store cannot be reached or used; the message says what to check."""
