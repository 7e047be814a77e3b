"""The erasure record (NIST SP 800-88 Rev. 2 sanitization record) and crash bookkeeping.

A record holds what NIST asks a sanitization record to hold: the media (make, model, serial, type,
size, source), the method (Clear / Purge) and technique, passes, tool and version, verification
(full or sampled, which fraction), who and where, start and end, and the result; plus what a
workshop needs to trust it: bytes written, throughput, every I/O error with its offset, and every
external command run with its exit code and output.

A ``wipe_started`` event is written before the first byte; if refurb is killed (``kill -9``,
power cut) no ``wipe`` event follows it. :func:`dangling` finds such starts whose process is
gone, and :func:`interrupted_record` is what the next run appends for them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from refurb import __version__
from refurb.runner import TOOL_PACKAGE
from refurb.wipe.blockio import merge
from refurb.wipe.verdict import (  # noqa: F401  (erased_shortfalls: re-exported)
    Erasure,
    erased_shortfalls,
    scope,
)

SCHEMA = "refurb.wipe-record/1"
GUIDELINE = "NIST SP 800-88 Rev. 2"
MAX_ERRORS = 200


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def media_of(disk: Any, asset_id: str | None) -> dict[str, Any]:
    return {
        "manufacturer": disk.vendor,
        "model": disk.model,
        "serial": disk.serial,
        "type": disk.media_type,
        "bus": disk.bus,
        "protocol": disk.protocol,
        "size_bytes": disk.size_bytes,
        "logical_sector_size": disk.logical_sector_size,
        "physical_sector_size": disk.physical_sector_size,
        "firmware": disk.firmware,
        "wwn": disk.wwn,
        "rotational": disk.rotational,
        "removable": disk.removable,
        "device": disk.path,
        "backing_file": disk.backing_file,
        "source": asset_id,
    }


def build_record(
    *,
    eraser: Erasure,
    status: str,
    reason: str | None,
    started: datetime,
    ended: datetime,
    seconds: float,
) -> dict[str, Any]:
    plan, ctx = eraser.plan, eraser.ctx
    disk = plan.disk
    size = eraser.device_size or disk.size_bytes
    errors = merge(eraser.errors)
    verification: dict[str, Any]
    if eraser.verification is not None:
        verification = eraser.verification.to_dict(size)
    else:
        verification = {
            "mode": plan.verify,
            "result": "not done",
            "bytes_verified": 0,
            "fraction": 0.0,
        }
    if eraser.extra_checks is not None:
        verification["rewritten_ranges"] = eraser.extra_checks.to_dict(size)
    if plan.method == "firmware":
        verification["mode"] = "sample (before/after firmware erase)"
    verification["scope"] = scope(verification)
    pattern = eraser.pattern.describe() if eraser.pattern is not None else None
    ran = [r for r in ctx.discovery_commands if _about(r.argv, disk.path)]
    ran += list(plan.commands)
    ran += [r for r in eraser.runner.history if r not in plan.commands]
    commands = [command_entry(r, eraser.runner) for r in ran]
    record: dict[str, Any] = {
        "schema": SCHEMA,
        "guideline": GUIDELINE,
        "wipe_id": ctx.wipe_id,
        "asset_id": ctx.asset_id,
        "status": status,
        "reason": reason,
        "media": media_of(disk, ctx.asset_id),
        "method": plan.method,
        "nist_method": plan.nist_method,
        "technique": plan.technique,
        "passes": plan.passes,
        "method_choice": plan.choice() if hasattr(plan, "choice") else None,
        "sanitization": {
            "requested_method": plan.requested,
            "pattern": pattern,
            "block_size": plan.chunk_size,
            "request_bytes": eraser.request,
            "requests_in_flight": eraser.depth,
            "queue_limits": eraser.queue_limits,
            "o_direct": eraser.direct,
            "firmware_fallback_reason": plan.fallback_reason,
            "pre_erase": _pre_erase(plan),
            "tool": {"name": "refurb", "version": __version__},
            "external_tools": tools_of(commands),
            "notes": plan.notes,
        },
        "verification": verification,
        "hidden_area": hidden_finding(plan.hidden),
        "operator": {
            "name": ctx.actor,
            "workstation": ctx.workstation,
            "host": hostname(),
            "site": ctx.site,
        },
        "start": _iso(started),
        "end": _iso(ended),
        "duration_s": round(seconds, 3),
        "bytes_written": eraser.bytes_written,
        "device_size_bytes": size,
        "write_seconds": round(eraser.write_seconds, 3),
        "write_throughput_bps": (
            int(eraser.bytes_written / eraser.write_seconds) if eraser.write_seconds else None
        ),
        "exceptions": _exceptions(status, reason, errors),
        "errors": [e.to_dict() for e in errors[:MAX_ERRORS]],
        "error_count": len(errors),
        "commands": commands,
        "post_sanitization": {"destination": "reuse (refurbished device)"},
    }
    if status == "erased":
        # The engine judged the disk erased: the record must prove it by the store's rule too.
        shortfalls = erased_shortfalls(record)
        if shortfalls:
            record["status"] = "failed"
            record["reason"] = "; ".join(shortfalls)
            record["exceptions"] = _exceptions("failed", record["reason"], errors)
    return record


def _pre_erase(plan: Any) -> dict[str, Any] | None:
    """The chip erase run before the overwrite (an eMMC's Sanitize), as planned."""
    step = getattr(plan, "pre_erase", None)
    if step is None:
        return None
    return {
        "technique": step.technique,
        "nist_level": step.nist_level,
        "argv": [list(a) for a in step.argv_list],
        "checks": list(step.checks),
        "identify": dict(step.identify),
    }


def hidden_finding(hidden: Any) -> dict[str, Any]:
    """The record's hidden-area finding; a plan made before hidden areas were read has none."""
    if hidden is None:
        return {"finding": "could_not_be_read", "statement": "could not be read: not asked"}
    return hidden.to_dict()


def command_entry(result: Any, runner: Any) -> dict[str, Any]:
    """One command of the record, with the version and package of the program that ran it."""
    entry = result.to_dict()
    program = str(entry["argv"][0]).rsplit("/", 1)[-1] if entry["argv"] else ""
    if entry.get("tool_version") is None and program and result.found:
        entry["tool_version"] = runner.version_of(program)
    entry["tool"] = TOOL_PACKAGE.get(program, program) or None
    return entry


def tools_of(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each external program the record's commands used, once: package and version."""
    seen: dict[str, dict[str, Any]] = {}
    for entry in commands:
        program = str(entry["argv"][0]).rsplit("/", 1)[-1] if entry.get("argv") else ""
        if program and program not in seen:
            seen[program] = {
                "program": program,
                "package": entry.get("tool"),
                "version": entry.get("tool_version"),
                "found": entry.get("found", True),
            }
    return list(seen.values())


def _exceptions(status: str, reason: str | None, errors: list[Any]) -> list[str]:
    """What keeps this disk from a plain ``erased``, in sentences (for the certificate)."""
    if status == "erased":
        return []
    out = [reason] if reason else []
    for err in errors[:20]:
        what = "rewritten and read back correctly" if err.recovered else "not written"
        out.append(f"{err.op} error {err.errno} at offset {err.offset}, {err.length} bytes: {what}")
    return out


def _about(argv: Iterable[str], path: str) -> bool:
    """Discovery commands that concern this disk (lsblk lists them all)."""
    argv = list(argv)
    return bool(argv) and (argv[0] == "lsblk" or path in argv)


# -- process identity, so a later run can tell a live wipe from a killed one ----------------------


def boot_id() -> str | None:
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (pid + this is unique per boot)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after the last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def hostname() -> str:
    return socket.gethostname() or "unknown"


def owner(workstation: str) -> dict[str, Any]:
    """Who runs this wipe: written into ``wipe_started`` so a later run can check on it."""
    pid = os.getpid()
    return {
        "pid": pid,
        "process_start": process_start(pid),
        "boot_id": boot_id(),
        "workstation": workstation,
        "host": hostname(),
    }


def owner_alive(payload: dict[str, Any], workstation: str) -> bool | None:
    """Whether the process that started a wipe still runs: True/False on the workstation that
    started it, None elsewhere (another bench's process cannot be seen from here)."""
    own = payload.get("owner") or {}
    if own.get("workstation") != workstation:
        return None
    if not own.get("boot_id") or own.get("boot_id") != boot_id():
        return False  # the machine rebooted since: that process is gone
    pid = own.get("pid")
    if not isinstance(pid, int):
        return False
    start = process_start(pid)
    return start is not None and start == own.get("process_start")


def dangling(events: Iterable[Any]) -> list[tuple[Any, dict[str, Any]]]:
    """``wipe_started`` events with no ``wipe`` event for the same wipe id, oldest first."""
    started: dict[str, tuple[Any, dict[str, Any]]] = {}
    for event in events:
        payload = _payload(event)
        wipe_id = payload.get("wipe_id")
        if not wipe_id:
            continue
        kind = _kind(event)
        if kind == "wipe_started":
            started[wipe_id] = (event, payload)
        elif kind == "wipe":
            started.pop(wipe_id, None)
    return list(started.values())


def _payload(event: Any) -> dict[str, Any]:
    """A decoded event's payload as plain values (an event dict's payload as it is)."""
    payload = event.get("payload") if isinstance(event, dict) else getattr(event, "payload", None)
    if hasattr(payload, "data"):
        payload = payload.data()
    return payload if isinstance(payload, dict) else {}


def payload_of(event: Any) -> dict[str, Any]:
    """An event's payload as a dict (a decoded store event, or an event dict)."""
    return _payload(event)


def _kind(event: Any) -> str | None:
    return event.get("kind") if isinstance(event, dict) else getattr(event, "kind", None)


def interrupted_record(
    started_payload: dict[str, Any], *, asset_id: str | None, found_at: datetime, actor: str
) -> dict[str, Any]:
    """The record appended for a wipe whose process died without writing its end."""
    disk = started_payload.get("disk") or {}
    own = started_payload.get("owner") or {}
    return {
        "schema": SCHEMA,
        "guideline": GUIDELINE,
        "wipe_id": started_payload.get("wipe_id"),
        "asset_id": asset_id,
        "status": "interrupted",
        "reason": (
            "refurb stopped during this wipe without recording its end "
            f"(process {own.get('pid')} on {own.get('host')} is gone); "
            "the disk may hold partly overwritten data"
        ),
        "media": {
            "model": disk.get("model"),
            "serial": disk.get("serial"),
            "size_bytes": disk.get("size_bytes"),
            "device": disk.get("path") or disk.get("name"),
        },
        "method": started_payload.get("method"),
        "nist_method": started_payload.get("nist_method"),
        "technique": started_payload.get("technique"),
        "passes": started_payload.get("passes"),
        "method_choice": started_payload.get("choice"),
        "sanitization": {"tool": {"name": "refurb", "version": __version__}},
        "verification": {
            "mode": started_payload.get("verify"),
            "result": "not done",
            "scope": scope({"mode": started_payload.get("verify"), "result": "not done"}),
        },
        "operator": {"name": actor, "workstation": own.get("workstation")},
        "start": started_payload.get("start"),
        "end": None,
        "found_interrupted_at": _iso(found_at),
        "bytes_written": None,
        "errors": [],
        "error_count": 0,
        "commands": [],
    }
