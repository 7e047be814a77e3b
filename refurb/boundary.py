"""The one place where what escapes a command becomes a line on stderr and an exit status.

Used by the Typer boundary in ``refurb.cli`` and by the ``probe --json`` fast path, which runs
without Typer's parsing; both must end a failure the same way (httpie's ``raw_main``).
"""

from __future__ import annotations

import sys

import typer

from refurb.errors import RefurbError
from refurb.exit import ExitStatus
from refurb.i18n import _


def exit_status_for(exc: BaseException) -> int:
    """Say in one line (and a hint) on stderr what went wrong; return the exit status."""
    if isinstance(exc, RefurbError):
        report_error(exc.message, exc.hint)
        return int(exc.exit_status)
    if isinstance(exc, typer.Abort) and isinstance(exc.__context__, EOFError):
        # A prompt turns end of input into Abort, which Typer would print as English "Aborted!".
        report_error(
            _("no answer: the input ended at a question"),
            _("answer at a terminal, or give the answer as an option (see --help)"),
        )
        return int(ExitStatus.ERROR)
    if isinstance(exc, (KeyboardInterrupt, typer.Abort)):  # Ctrl-C, also at a prompt
        sys.stderr.write("\n" + _("refurb: interrupted") + "\n")
        return int(ExitStatus.CTRL_C)
    report_error(
        _("unexpected {kind}: {detail}").format(
            kind=type(exc).__name__, detail=str(exc).splitlines()[0] if str(exc) else ""
        ),
        _("run again with --debug to see where it happened"),
    )
    return int(ExitStatus.ERROR)


def is_usage_error(exc: Exception) -> bool:
    # Typer's own parameter and usage errors must reach Typer, which prints usage and exits 2.
    # They all derive from (Typer's vendored) ClickException, which Typer does not export.
    return isinstance(exc, typer.BadParameter) or any(
        cls.__name__ == "ClickException" for cls in type(exc).__mro__
    )


def report_error(message: str, hint: str | None = None) -> None:
    sys.stderr.write(_("refurb: error: {message}").format(message=message) + "\n")
    if hint:
        sys.stderr.write(_("hint: {hint}").format(hint=hint) + "\n")
    sys.stderr.flush()
