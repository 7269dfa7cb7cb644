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


class NetBoxHTTPError(SourceError):
    """NetBox answered a request with an HTTP error status (4xx/5xx).

    Carries what a caller needs to decide without parsing the message: the request's
    method and path, the status, NetBox's parsed body (None when not JSON) and, when a
    bulk write of a plan stopped, `partial`: the report of what the plan had written
    before it (inventory.netbox.reconcile.Report).
    """

    def __init__(self, message: str, hint: str | None = None, *, method: str, path: str, status: int,
                 body: object = None, partial: object = None) -> None:
        super().__init__(message, hint)
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        self.partial = partial


class WriteOutcomeUnknown(SourceError):
    """A write was sent, but its answer was lost (connection dropped, timeout, a gateway's
    502/504): NetBox may or may not have done it. Never re-send it blindly: re-read first."""

    def __init__(self, message: str, hint: str | None = None, *, method: str, path: str) -> None:
        super().__init__(message, hint)
        self.method = method
        self.path = path
