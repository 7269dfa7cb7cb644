"""Exceptions the library raises; the CLI turns each into one `Error: ...` line.

`exit_code` follows the CLI contract: 1 a negative answer or a failed operation,
2 bad input (a malformed file, an unknown rack, an invalid NIP).
"""

from __future__ import annotations


class ColoError(Exception):
    """Base of every error a user should see as one clear line."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:  # pragma: no cover - trivial
        base = super().__str__()
        return f"{base} ({self.hint})" if self.hint else base


class InputError(ColoError):
    """The user's input is wrong: a file, an option, a reference."""

    exit_code = 2


class SourceError(ColoError):
    """The data source (NetBox, a file) cannot be read or written."""

    exit_code = 1
