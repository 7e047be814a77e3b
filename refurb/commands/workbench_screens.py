"""The workbench's terminal: one screen at a time, keys read one by one, plain enough for a
serial console (80x24, TERM=vt100 or linux, no mouse; ASCII when the terminal cannot show more).

Keys are read in cbreak mode for the whole run so a scanner's burst of characters or a fast
typist's keys are neither echoed twice nor lost between screens. Without a terminal (a pipe,
the test runner) lines are read from stdin instead and keys are the first character of a line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refurb.commands.cbreak import Cbreak
from refurb.i18n import _

if TYPE_CHECKING:
    from rich.console import Console

ENTER = "\n"
BACKSPACE = ("\x7f", "\x08")
# Serial consoles and the Linux text console: their fonts lack ticks, arrows and box lines.
PLAIN_TERMS = ("vt100", "vt102", "vt220", "linux", "dumb", "")


class Keys(Cbreak):
    """One key at a time (cbreak on a terminal); counts every key press for the figures."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self.presses = 0

    def _chunk(self) -> str:
        if self.terminal:
            return self.read_raw(256)
        line = self.stream.readline()
        return line if line.endswith("\n") or not line else line + "\n"

    def key(self) -> str:
        """The next key ("\\n" for Enter); EOFError when the input has ended."""
        while not self.pending:
            chunk = self._chunk()
            if not chunk:
                raise EOFError
            chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
            while "\x1b" in chunk:  # arrow and function keys: not answers
                start = chunk.index("\x1b")
                end = start + 1
                if end < len(chunk) and chunk[end] in "[O":
                    end += 1
                    while end < len(chunk) and not chunk[end].isalpha() and chunk[end] != "~":
                        end += 1
                    end += 1
                chunk = chunk[:start] + chunk[end:]
            self.pending = chunk
        key, self.pending = self.pending[0], self.pending[1:]
        if key == "\x03":
            raise KeyboardInterrupt
        if key == "\x04":
            raise EOFError
        self.presses += 1  # every key, Enter included: the figures count them
        return key

    def choice(self, console: Console, allowed: str, default: str | None = None) -> str:
        """One of ``allowed`` (lower case); Enter gives ``default`` when there is one."""
        while True:
            key = self.key()
            if not self.terminal and key != ENTER:
                self.pending = ""  # a line read from a pipe: its first character is the key
            if key == ENTER and default is not None:
                return default
            if key.lower() in allowed:
                return key.lower()

    def line(self, console: Console, prompt: str, default: str = "") -> str:
        """A line typed (or scanned), echoed as typed; Enter alone gives ``default``."""
        shown = f" [{default}]" if default else ""
        console.print(f"{prompt}{shown}: ", end="", markup=False, highlight=False)
        text = ""
        while True:
            key = self.key()
            if key == ENTER:
                break
            if key in BACKSPACE:
                if text and self.terminal:
                    console.file.write("\b \b")
                    console.file.flush()
                text = text[:-1]
                continue
            if key.isprintable():
                text += key
                if self.terminal:
                    console.file.write(key)
                    console.file.flush()
        console.file.write(("" if self.terminal else text) + "\n")
        console.file.flush()
        return text.strip() or default


def fancy(console: Console, environ: Any) -> bool:
    """Whether box lines and ticks can be shown: a UTF-8 terminal that is not a bare VT100."""
    term = str(environ.get("TERM", "")).lower()
    encoding = (getattr(console, "encoding", "") or "").lower().replace("-", "")
    return encoding == "utf8" and term not in PLAIN_TERMS


MARKS = {
    True: {"done": "✓", "skipped": "–", "again": "!", "todo": "·", "now": "▶"},
    False: {"done": "+", "skipped": "-", "again": "!", "todo": ".", "now": ">"},
}


def step_names() -> dict[str, str]:
    return {
        "probe": _("probe"),
        "wipe": _("erase"),
        "os": _("OS"),
        "grade": _("checks + grade"),
        "label": _("label"),
        "sync": _("sync"),
    }


class Screen:
    """Clears the terminal and draws the header: the device, the steps and what happened."""

    def __init__(self, console: Console, environ: Any, *, clear: bool) -> None:
        self.console = console
        self.fancy = fancy(console, environ)
        self.clear = clear
        self.log: list[str] = []  # one line per thing done in this run, newest last

    def mark(self, state: str) -> str:
        return MARKS[self.fancy][state]

    def note(self, line: str) -> None:
        self.log.append(line)

    def show(self, title: str, asset: str | None, states: list[Any], current: str | None) -> None:
        from rich.markup import escape

        con = self.console
        if self.clear:
            con.clear()
        else:
            con.print()
        head = "refurb workbench" + (f" - {asset}" if asset else "")
        con.print(f"[bold]{escape(head)}[/bold]  [dim]{escape(title)}[/dim]")
        if states:
            names = step_names()
            parts = []
            for s in states:
                mark = self.mark("now") if s.step == current else self.mark(s.state)
                style = {"done": "green", "skipped": "yellow", "again": "red"}.get(s.state, "")
                if s.step == current:
                    style = "bold"
                text = f"{mark} {names.get(s.step, s.step)}"
                parts.append(f"[{style}]{escape(text)}[/{style}]" if style else escape(text))
            con.print("  ".join(parts))
        con.print("-" * min(con.width, 78), style="dim", markup=False)
        for line in self.log[-6:]:
            con.print(line, highlight=False)
