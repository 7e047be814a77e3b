"""ATA SANITIZE (crypto scramble, block erase, overwrite): the strongest ATA firmware erase.

Preferred over SECURITY ERASE UNIT where `hdparm -I` lists the SANITIZE feature set: it needs no
password (a failed erase cannot leave a drive locked), covers every user block including
remapped ones and, per ACS-3, areas hidden by an HPA or DCO, and reports its result in the
sanitize status, which is polled until the drive says it succeeded or failed. Choice, most
trustworthy first: crypto scramble (Purge; the media key is replaced), block erase (Purge), and
overwrite (Purge on a hard disk; on flash an overwrite cannot reach spare blocks, so it is not
planned there and SECURITY ERASE is tried instead).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from refurb.parsers import hdparm as hdparm_parser
from refurb.runner import CommandResult, Runner

SANITIZE_MAX_WAIT_S = 12 * 3600.0  # an overwrite of a large hard disk takes hours
POLL_INTERVAL_S = 5.0
OVERWRITE_PATTERN = "hex:00000000"


def choose(info: dict[str, Any], rotational: bool | None) -> tuple[str, str, str] | None:
    """(hdparm flag, technique, why) for the strongest sanitize action the drive supports."""
    san = info.get("sanitize") or {}
    if not san.get("supported"):
        return None
    if san.get("crypto_scramble"):
        return (
            "--sanitize-crypto-scramble",
            "ATA SANITIZE CRYPTO SCRAMBLE",
            "the drive supports sanitize crypto scramble, which replaces the key that encrypts "
            "every block, remapped and hidden ones included",
        )
    if san.get("block_erase"):
        return (
            "--sanitize-block-erase",
            "ATA SANITIZE BLOCK ERASE",
            "the drive supports sanitize block erase, which erases every block, remapped and "
            "hidden ones included (no crypto scramble)",
        )
    if san.get("overwrite") and rotational is True:
        return (
            "--sanitize-overwrite",
            "ATA SANITIZE OVERWRITE",
            "the hard disk supports sanitize overwrite (neither crypto scramble nor block erase)",
        )
    return None


def argv_for(flag: str, dev: str) -> list[str]:
    argv = ["hdparm", "--yes-i-know-what-i-am-doing", flag]
    if flag == "--sanitize-overwrite":
        argv.append(OVERWRITE_PATTERN)
    return [*argv, dev]


def execute(
    plan: Any,
    runner: Runner,
    *,
    error: Callable[[str, list[CommandResult]], Exception],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: Callable[[float | None], None] | None = None,
) -> list[CommandResult]:
    """Start the sanitize and poll its status to the end; ``error(message, results)`` builds the
    exception raised when the drive refuses, reports failure, or never finishes."""
    results: list[CommandResult] = []
    start = runner.run(plan.argv_list[0], timeout_s=600.0)
    results.append(start)
    state = hdparm_parser.parse_sanitize_status(start.stdout + "\n" + start.stderr)
    if not start.ok or state["failed"]:
        detail = (start.stderr or start.stdout).strip().splitlines()
        raise error(
            f"{plan.device}: {plan.technique} was refused (exit {start.returncode}"
            + (f": {detail[-1]}" if detail else "")
            + ")",
            results,
        )
    deadline = clock() + plan.timeout_s
    while True:
        status = runner.run(plan.poll_argv)
        results.append(status)
        state = hdparm_parser.parse_sanitize_status(status.stdout + "\n" + status.stderr)
        if not status.ok and not state["failed"]:
            raise error(
                f"{plan.device}: reading the sanitize status failed (exit {status.returncode})",
                results,
            )
        if state["failed"]:
            raise error(f"{plan.device}: the drive reports the sanitize failed", results)
        if state["frozen"]:
            raise error(f"{plan.device}: sanitize is frozen (the BIOS locked it at boot)", results)
        if state["succeeded"]:
            if progress is not None:
                progress(1.0)
            return results
        if not state["valid"]:
            raise error(f"{plan.device}: hdparm --sanitize-status gave no state", results)
        if not state["in_progress"]:
            raise error(
                f"{plan.device}: the drive is idle ({state['state']}) but does not report a "
                "sanitize completed without error",
                results,
            )
        if progress is not None:
            progress(state["progress"])
        if clock() >= deadline:
            raise error(
                f"{plan.device}: sanitize still not finished after {plan.timeout_s / 3600:.1f} h",
                results,
            )
        sleep(POLL_INTERVAL_S)
