"""Driving `refurb workbench` through a pseudo-terminal (pexpect), as a volunteer would: an
80x24 plain terminal (TERM=vt100), keys sent one at a time and counted."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


class Bench:
    """A running `refurb workbench`; ``press`` counts the keys sent after the asset id."""

    def __init__(self, home: Path, *args: str, lang: str | None = None, term: str = "vt100"):
        pexpect = pytest.importorskip("pexpect")
        self.pexpect = pexpect
        env = dict(os.environ, REFURB_HOME=str(home), PYTHONPATH=str(REPO), TERM=term)
        env.update(REFURB_ACTOR="tester", COLUMNS="80", LINES="24", LANG="C.UTF-8")
        env.pop("REFURB_DB", None)
        if lang:
            env["REFURB_LANG"] = lang
        else:
            env.pop("REFURB_LANG", None)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "refurb", "workbench", *args],
            env=env,
            encoding="utf-8",
            timeout=60,
            dimensions=(24, 80),
        )
        self.keys = 0
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 60) -> str:
        self.child.expect(pattern, timeout=timeout)
        self.seen += self.child.before + self.child.after
        return self.child.before

    def press(self, key: str) -> None:
        self.child.send(key)
        self.keys += 1

    def type(self, text: str) -> None:
        """A scanned or typed line (not counted as decisions: the text itself), then Enter."""
        self.child.send(text + "\r")

    def wait(self) -> int:
        self.child.expect(self.pexpect.EOF, timeout=120)
        self.seen += self.child.before
        self.child.close()
        return (
            self.child.exitstatus if self.child.exitstatus is not None else -self.child.signalstatus
        )


def settings(home: Path, **values: str) -> None:
    """Add settings to the site's config.toml (after `refurb init`)."""
    path = home / "config.toml"
    text = path.read_text() if path.exists() else ""
    text += "".join(f'{k} = "{v}"\n' for k, v in values.items())
    path.write_text(text)
