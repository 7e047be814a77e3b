"""Domain errors: each carries the one-line message a user sees, a hint and an exit status.

The core raises these; only ``refurb.cli`` turns them into output and exit codes.
"""

from __future__ import annotations

from refurb.exit import ExitStatus


class RefurbError(Exception):
    """An error with a message meant for the person at the keyboard."""

    exit_status: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotFound(RefurbError):
    """An asset, file or record that does not exist."""


class InvalidInput(RefurbError):
    """Bad input: a malformed id, a bad row, an unreadable file."""


class Refused(RefurbError):
    """A move the rules do not allow (status transition, unsafe disk, duplicate)."""


class BulkRefused(Refused):
    """Some moves of a bulk change are refused, so none is made: ``refusals`` says each."""

    def __init__(self, refusals: list[tuple[str, str]], total: int) -> None:
        from refurb.i18n import _

        super().__init__(
            _("{n} of {total} moves refused; nothing was changed").format(
                n=len(refusals), total=total
            ),
            _("fix or leave out those devices and run it again"),
        )
        self.refusals = refusals


class StoreError(RefurbError):
    """The local store cannot be opened, read or written."""


class InventoryUnreachable(RefurbError):
    exit_status = ExitStatus.INVENTORY_UNREACHABLE


class EraseFailed(RefurbError):
    """An erasure or its verification did not succeed."""

    exit_status = ExitStatus.ERASE_FAILED
