"""One runner for every external program refurb calls (dmidecode, smartctl, hdparm, nvme, lp...).

It takes an argv list (never a shell string) and records what was run, its exit code, output and
timing, so that a probe can be captured and an erasure record can show exactly what happened.
Tests swap in :class:`ReplayRunner`, which answers from captured outputs.

Every result carries the version of the program that produced it (an erasure record must say
which hdparm or nvme-cli ran each command): :meth:`Runner.version_of` asks each program once per
runner (``hdparm -V``, ``nvme version``...) and caches the answer. The version queries are kept
apart from ``history`` so records list only the commands that did the work.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    started_at: str
    duration_s: float
    tool_version: str | None = None
    found: bool = True

    @property
    def ok(self) -> bool:
        return self.found and self.returncode == 0

    def to_dict(self, max_output: int | None = 20_000) -> dict[str, Any]:
        """JSON-able form; long outputs are cut to keep event payloads small."""
        data = asdict(self)
        data["argv"] = list(self.argv)
        if max_output is not None:
            for key in ("stdout", "stderr"):
                text = data[key]
                if len(text) > max_output:
                    data[key] = text[:max_output] + f"\n[... {len(text) - max_output} more chars]"
        return data


# How each program says its version; the first line that holds a digit is kept. Programs not
# listed here are not asked (not every program takes --version without side effects).
VERSION_ARGV: dict[str, tuple[str, ...]] = {
    "hdparm": ("-V",),
    "nvme": ("version",),
    "smartctl": ("--version",),
    "blkdiscard": ("--version",),
    "lsblk": ("--version",),
    "losetup": ("--version",),
    "mmc": ("--version",),
}
# Packages that ship each program, for the record ("util-linux 2.38.1", not just "lsblk").
TOOL_PACKAGE = {
    "hdparm": "hdparm",
    "nvme": "nvme-cli",
    "smartctl": "smartmontools",
    "blkdiscard": "util-linux",
    "lsblk": "util-linux",
    "losetup": "util-linux",
    "mmc": "mmc-utils",
}
_VERSION_WORD = re.compile(r"\bv?(\d+(?:\.\d+)+[\w.+~-]*|\d+)\b")


def version_text(program: str, output: str) -> str | None:
    """The version a program printed ("hdparm v9.65" -> "9.65"); None when none is seen."""
    for line in output.splitlines():
        line = line.strip()
        if not line:
            continue
        if program == "smartctl" and not line.startswith("smartctl"):
            continue
        m = _VERSION_WORD.search(line)
        if m:
            return m.group(1)
    return None


# Debian and Ubuntu leave the sbin folders off a user's PATH, where dmidecode, smartctl, hdparm
# and lsblk's friends live: a tool there is installed, it just needs root, and saying "not
# installed" would send the volunteer to install what is already there.
SBIN_PATH = "/usr/local/sbin:/usr/sbin:/sbin"


def which(program: str) -> str | None:
    """Where ``program`` is: on PATH, else in the sbin folders; None when it is not installed."""
    found = shutil.which(program)
    if found is None and "/" not in program:
        found = shutil.which(program, path=SBIN_PATH)
    return found


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Runner:
    """Runs programs for real. ``history`` keeps every result of this run, in order."""

    timeout_s: float | None = 600.0
    history: list[CommandResult] = field(default_factory=list)
    env: Mapping[str, str] | None = None
    versions: dict[str, str | None] = field(default_factory=dict)

    def which(self, program: str) -> str | None:
        return which(program)

    def version_of(self, program: str) -> str | None:
        """``program``'s version, asked once and cached; None when it does not say one."""
        name = program.rsplit("/", 1)[-1]
        if name not in self.versions:
            self.versions[name] = None
            if name in VERSION_ARGV and self.which(program) is not None:
                query = (program, *VERSION_ARGV[name])
                res = self._execute(query, None, 30.0, None)
                if res.found and res.returncode in (0, 1):
                    self.versions[name] = version_text(name, res.stdout + "\n" + res.stderr)
        return self.versions[name]

    def tool_versions(self) -> dict[str, str | None]:
        """Every program asked so far and its version, as ``{"hdparm": "9.65", ...}``."""
        return dict(self.versions)

    def run(
        self,
        argv: Sequence[str],
        *,
        input_text: str | None = None,
        timeout_s: float | None = None,
        tool_version: str | None = None,
    ) -> CommandResult:
        argv = tuple(str(a) for a in argv)
        if tool_version is None and argv:
            tool_version = self.version_of(argv[0])
        result = self._execute(argv, input_text, timeout_s, tool_version)
        self.history.append(result)
        return result

    def _execute(
        self,
        argv: tuple[str, ...],
        input_text: str | None,
        timeout_s: float | None,
        tool_version: str | None,
    ) -> CommandResult:
        started = _now_iso()
        t0 = time.perf_counter()
        executable = self.which(argv[0])
        if executable is None:
            result = CommandResult(
                argv, 127, "", f"{argv[0]}: command not found", started, 0.0, tool_version, False
            )
        else:
            try:
                proc = subprocess.run(
                    list(argv),
                    executable=executable,
                    input=input_text,
                    capture_output=True,
                    text=True,
                    errors="replace",
                    timeout=timeout_s or self.timeout_s,
                    env=dict(self.env) if self.env is not None else None,
                    check=False,
                )
                result = CommandResult(
                    argv,
                    proc.returncode,
                    proc.stdout,
                    proc.stderr,
                    started,
                    round(time.perf_counter() - t0, 4),
                    tool_version,
                )
            except subprocess.TimeoutExpired as exc:
                out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
                result = CommandResult(
                    argv,
                    124,
                    out,
                    f"timed out after {exc.timeout} s",
                    started,
                    round(time.perf_counter() - t0, 4),
                    tool_version,
                )
            except OSError as exc:
                result = CommandResult(
                    argv, 126, "", str(exc), started, 0.0, tool_version, found=False
                )
        return result


@dataclass
class ReplayRunner(Runner):
    """Answers from a table of captured outputs instead of running anything.

    ``answers`` maps an argv tuple (or a callable deciding on the argv) to a CommandResult-like
    tuple ``(returncode, stdout, stderr)``. Unknown commands answer "not found", as on a machine
    without that tool.
    """

    answers: dict[tuple[str, ...], tuple[int, str, str]] = field(default_factory=dict)
    fallback: Callable[[tuple[str, ...]], tuple[int, str, str] | None] | None = None

    def which(self, program: str) -> str | None:
        known = {argv[0] for argv in self.answers}
        return f"/usr/bin/{program}" if program in known or self.fallback else None

    def _execute(
        self,
        argv: tuple[str, ...],
        input_text: str | None,
        timeout_s: float | None,
        tool_version: str | None,
    ) -> CommandResult:
        answer = self.answers.get(argv)
        if answer is None and self.fallback is not None:
            answer = self.fallback(argv)
        if answer is None:
            return CommandResult(
                argv, 127, "", f"{argv[0]}: command not found", _now_iso(), 0.0, tool_version, False
            )
        rc, out, err = answer
        return CommandResult(argv, rc, out, err, _now_iso(), 0.0, tool_version)
