"""Keys read one at a time: the terminal in cbreak mode for as long as a flow asks questions.

One mode throughout means a fast typist's (or a scanner's, or a paste's) keys are neither echoed
nor dropped between two questions; Ctrl-C still interrupts. Without a real terminal (a pipe, the
tests' runner, a platform without termios) the stream is left as it is and ``terminal`` is False.
Used by ``refurb grade``'s questionnaire and by the workbench's screens.
"""

from __future__ import annotations

import os
import sys
from typing import Any


class Cbreak:
    """A context: cbreak on ``stream`` (stdin by default) when it is a terminal, restored after."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stdin
        self.pending = ""
        self._fd: int | None = None
        self._saved: Any = None

    def __enter__(self) -> Any:
        try:
            import termios
            import tty

            fd = self.stream.fileno()
            if os.isatty(fd):
                self._saved = termios.tcgetattr(fd)
                tty.setcbreak(fd, termios.TCSANOW)
                self._fd = fd
        except (ImportError, OSError, ValueError, AttributeError):
            self._fd = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)

    @property
    def terminal(self) -> bool:
        return self._fd is not None

    def read_raw(self, size: int) -> str:
        """Whatever the terminal has, up to ``size`` bytes (only when ``terminal``)."""
        assert self._fd is not None
        return os.read(self._fd, size).decode("utf-8", errors="replace")
