"""Firmware erase: the drive destroys its own data (ATA Security Erase, NVMe Sanitize or Format).

``plan(disk, runner)`` reads the drive (`hdparm -I` or `nvme id-ctrl -o json`) and returns the exact
commands that would run, or raises :class:`Refused` with a one-line reason when a firmware erase
is impossible or unsafe. ``execute(plan, runner)`` runs them and returns every command's result.
Nothing here decides that a disk *is* erased: the wipe engine always reads a sample back afterwards.

Choices, most trustworthy first:

- NVMe: Sanitize Crypto Erase, then Block Erase, then Overwrite (all Purge; the controller reports
  progress in the sanitize log, which is polled until it says completed or failed); else Format NVM
  with Secure Erase Settings 2 (crypto erase, Purge) when fna says it is supported, else SES 1
  (user-data erase: how thoroughly a drive does this is vendor-specific, so it is recorded as
  Clear). SES 0 (no secure erase) is never used.
- ATA: SANITIZE (crypto scramble, block erase, overwrite on a hard disk; see ata_sanitize.py) where
  the drive has it, else SECURITY ERASE UNIT, enhanced when the drive supports it. Refused when
  security is not supported, already enabled, locked, frozen (the BIOS froze it at boot) or its
  attempt counter expired, and for any disk behind a USB bridge (bridges drop or time out the long
  erase command, which can leave a drive locked with a password). A normal (not enhanced) erase on
  a solid-state drive may leave remapped blocks untouched, so it is Clear; on a hard disk it is
  Purge.

Over 400 lines on purpose: the ATA and NVMe plans share the refusals and the record of what
ran; apart, the rules that decide Purge or Clear for one bus would drift from the other's.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from refurb import ata_sanitize
from refurb.errors import EraseFailed, Refused
from refurb.parsers import hdparm as hdparm_parser
from refurb.parsers import nvme as nvme_parser
from refurb.runner import CommandResult, Runner

NVME_SANITIZE_CRYPTO = 4
NVME_SANITIZE_BLOCK = 2
NVME_SANITIZE_OVERWRITE = 3
POLL_INTERVAL_S = 5.0
# Sanitize on a laptop NVMe drive takes seconds (crypto) to tens of minutes (block erase).
SANITIZE_MAX_WAIT_S = 4 * 3600.0


@dataclass
class FirmwarePlan:
    """What a firmware erase of one disk will do, and why it is considered safe."""

    kind: str  # "ata", "ata_sanitize" or "nvme"
    device: str  # the block device the disk is (/dev/sda, /dev/nvme0n1)
    argv_list: list[list[str]]
    nist_level: str  # "Purge" or "Clear"
    technique: str
    reason: str
    checks: list[str] = field(default_factory=list)
    estimate_s: float | None = None
    timeout_s: float = 600.0
    poll_argv: list[str] | None = None  # NVMe sanitize: the sanitize-log to poll
    password: str | None = None  # ATA: the temporary user password (cleared by the erase)
    identify: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FirmwareEraseError(EraseFailed):
    """A firmware erase command failed; ``results`` holds every command that ran."""

    def __init__(self, message: str, results: list[CommandResult], hint: str | None = None):
        super().__init__(message, hint)
        self.results = results


def device_path(disk: dict[str, Any]) -> str:
    path = disk.get("path") or disk.get("device") or disk.get("name") or ""
    path = str(path)
    if path and not path.startswith("/"):
        path = "/dev/" + path
    return path


def disk_kind(disk: dict[str, Any]) -> str:
    """``nvme``, ``ata``, ``usb`` or ``other`` from the disk's bus/protocol and its name."""
    bus = " ".join(
        str(disk.get(k) or "") for k in ("bus", "protocol", "tran", "transport", "subsystems")
    ).lower()
    name = device_path(disk).rsplit("/", 1)[-1]
    if "usb" in bus:
        return "usb"
    if "nvme" in bus or name.startswith("nvme"):
        return "nvme"
    if any(word in bus for word in ("ata", "sata")):
        return "ata"
    if bus.strip():
        return "other"  # SAS, MMC, virtio...: neither hdparm nor nvme-cli erases them
    if re.fullmatch(r"sd[a-z]+", name) or re.fullmatch(r"hd[a-z]+", name):
        return "ata"
    return "other"


def plan(disk: dict[str, Any], runner: Runner) -> FirmwarePlan:
    """The firmware-erase plan for ``disk``; :class:`Refused` when it is impossible or unsafe."""
    dev = device_path(disk)
    if not dev:
        raise Refused("the disk has no device name, so no firmware erase can be planned")
    kind = disk_kind(disk)
    if kind == "nvme":
        return _plan_nvme(dev, disk, runner)
    if kind in ("ata", "usb"):
        return _plan_ata(dev, disk, runner, behind_usb=kind == "usb")
    raise Refused(
        f"{dev}: firmware erase needs an ATA (SATA) or NVMe disk; this one is "
        f"{disk.get('bus') or disk.get('protocol') or 'of an unknown kind'}",
        hint="use --method zero or prng (an overwrite) instead",
    )


# -- ATA ---------------------------------------------------------------------------------------


def _plan_ata(dev: str, disk: dict[str, Any], runner: Runner, behind_usb: bool) -> FirmwarePlan:
    if runner.which("hdparm") is None:
        raise Refused("hdparm is not installed", hint="apt-get install hdparm")
    result = runner.run(["hdparm", "-I", dev])
    info = hdparm_parser.parse(result.stdout)
    sec = info["security"]
    if behind_usb:
        if not result.ok or not info["identified"]:
            raise Refused(
                f"{dev} is behind a USB bridge that does not pass ATA commands through "
                "(hdparm -I could not identify the drive)",
                hint="connect the disk to a SATA port, or use --method zero/prng",
            )
        raise Refused(
            f"{dev} is behind a USB bridge: an ATA secure erase through it can time out and "
            "leave the drive locked",
            hint="connect the disk to a SATA port, or use --method zero/prng",
        )
    if not result.ok or not info["identified"]:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise Refused(
            f"hdparm -I {dev} failed (exit {result.returncode}"
            + (f": {detail[-1]}" if detail else "")
            + ")",
            hint="is it really an ATA disk? use --method zero/prng otherwise",
        )
    checks: list[str] = [f"hdparm -I identified {info['model'] or 'the drive'}"]
    rotational = info["rotational"]
    if rotational is None:
        rotational = disk.get("rotational")
    sanitize = ata_sanitize.choose(info, rotational)
    if sanitize is not None:
        flag, technique, reason = sanitize
        san = info["sanitize"]
        checks.append(
            "SANITIZE feature set: "
            + ", ".join(
                k.replace("_", " ")
                for k in ("crypto_scramble", "block_erase", "overwrite")
                if san[k]
            )  # fmt: skip
        )
        checks.append("chosen over SECURITY ERASE UNIT: no password, status reported by the drive")
        return FirmwarePlan(
            kind="ata_sanitize",
            device=dev,
            argv_list=[ata_sanitize.argv_for(flag, dev)],
            nist_level="Purge",
            technique=technique,
            reason=reason,
            checks=checks,
            timeout_s=ata_sanitize.SANITIZE_MAX_WAIT_S,
            poll_argv=["hdparm", "--sanitize-status", dev],
            identify=_ata_identity(info),
        )
    if info["sanitize"]["supported"]:
        checks.append(
            "SANITIZE feature set without an action that is Purge on this drive "
            "(overwrite on flash cannot reach spare blocks)"
        )
    if not sec["present"] or not sec["supported"]:
        raise Refused(
            f"{dev} does not support the ATA Security feature set",
            hint="use --method zero or prng",
        )
    checks.append("ATA Security feature set supported")
    if sec["locked"]:
        raise Refused(
            f"{dev} is locked with an ATA password",
            hint="unlock it with the password (hdparm --security-unlock) first",
        )
    if sec["enabled"]:
        raise Refused(
            f"{dev} already has an ATA password set (security enabled)",
            hint="remove it with hdparm --security-disable PASSWORD, then try again",
        )
    if sec["frozen"] is not False:
        if sec["frozen"] is None:
            raise Refused(f"{dev}: hdparm -I does not say whether security is frozen")
        raise Refused(
            f"{dev} is frozen: the BIOS locked its security commands at boot",
            hint="suspend and resume the laptop (systemctl suspend), then try again",
        )
    if sec["expired"]:
        raise Refused(
            f"{dev}: the security attempt counter expired",
            hint="power the laptop off and on, then try again",
        )
    checks += ["not enabled", "not locked", "not frozen", "attempt counter not expired"]
    enhanced = bool(sec["enhanced_erase"])
    minutes = sec["enhanced_erase_minutes"] if enhanced else sec["erase_minutes"]
    estimate_s = float(minutes * 60) if minutes else None
    # The erase command blocks until the drive is done: allow twice the drive's own estimate
    # (at least an hour when it gives none, or says "more than N min").
    timeout_s = max(3600.0, 2 * estimate_s) if estimate_s else 4 * 3600.0
    if sec["erase_minutes_more_than"]:
        timeout_s = max(timeout_s, 12 * 3600.0)
    if enhanced:
        nist = "Purge"
        technique = "ATA SECURITY ERASE UNIT (enhanced)"
        reason = "the drive supports enhanced secure erase, which also reaches remapped blocks"
    else:
        nist = "Purge" if rotational is True else "Clear"
        technique = "ATA SECURITY ERASE UNIT (normal)"
        reason = (
            "enhanced secure erase is not supported; a normal secure erase of a hard disk is Purge"
            if rotational is True
            else "enhanced secure erase is not supported; a normal secure erase of a solid-state "
            "or unknown drive may skip remapped blocks, so it counts as Clear"
        )
    password = "refurb-" + secrets.token_hex(4)
    erase_flag = "--security-erase-enhanced" if enhanced else "--security-erase"
    argv_list = [
        ["hdparm", "--user-master", "u", "--security-set-pass", password, dev],
        ["hdparm", "--user-master", "u", erase_flag, password, dev],
        ["hdparm", "-I", dev],
    ]
    if minutes:
        checks.append(
            f"drive estimates {'more than ' if sec['erase_minutes_more_than'] else ''}{minutes} min"
        )
    return FirmwarePlan(
        kind="ata",
        device=dev,
        argv_list=argv_list,
        nist_level=nist,
        technique=technique,
        reason=reason,
        checks=checks,
        estimate_s=estimate_s,
        timeout_s=timeout_s,
        password=password,
        identify=_ata_identity(info),
    )


def _ata_identity(info: dict[str, Any]) -> dict[str, Any]:
    return {
        k: info[k] for k in ("model", "serial", "firmware", "transport", "rotational", "size_bytes")
    } | {"security": info["security"], "sanitize": info["sanitize"]}


# -- NVMe --------------------------------------------------------------------------------------


def controller_of(dev: str) -> str:
    """/dev/nvme0n1 -> /dev/nvme0 (sanitize acts on the controller)."""
    m = re.fullmatch(r"(/dev/nvme\d+)(n\d+)?(p\d+)?", dev)
    return m.group(1) if m else dev


def _plan_nvme(dev: str, disk: dict[str, Any], runner: Runner) -> FirmwarePlan:
    if runner.which("nvme") is None:
        raise Refused("nvme-cli is not installed", hint="apt-get install nvme-cli")
    if re.search(r"n\d+p\d+$", dev):
        raise Refused(f"{dev} is a partition; a firmware erase acts on the whole disk")
    ctrl = controller_of(dev)
    result = runner.run(["nvme", "id-ctrl", dev, "-o", "json"])
    info = nvme_parser.parse_id_ctrl(result.stdout)
    if not result.ok or not info["identified"]:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise Refused(
            f"nvme id-ctrl {dev} failed (exit {result.returncode}"
            + (f": {detail[-1]}" if detail else "")
            + ")"
        )
    checks = [f"nvme id-ctrl identified {info['model'] or 'the controller'}"]
    identity = {
        k: info[k]
        for k in ("model", "serial", "firmware", "namespaces", "capacity_bytes")
        + ("oacs", "sanicap", "fna", "sanitize", "format_crypto_erase")
    }
    san = info["sanitize"]
    if san["crypto_erase"] or san["block_erase"] or san["overwrite"]:
        crypto = san["crypto_erase"]
        if crypto:
            action, name = NVME_SANITIZE_CRYPTO, "Crypto Erase"
        elif san["block_erase"]:
            action, name = NVME_SANITIZE_BLOCK, "Block Erase"
        else:  # neither crypto nor block erase: one overwrite pass by the controller
            action, name = NVME_SANITIZE_OVERWRITE, "Overwrite"
        checks.append(
            "sanitize supported: "
            + ", ".join(k.replace("_", " ") for k, v in san.items() if v)
            + f" (sanicap {info['sanicap']:#x})"
        )
        checks.append("sanitize acts on every namespace of the controller")
        return FirmwarePlan(
            kind="nvme",
            device=dev,
            argv_list=[["nvme", "sanitize", ctrl, f"--sanact={action}"]],
            nist_level="Purge",
            technique="NVMe Sanitize " + name,
            reason="the controller supports sanitize, which erases all user data including "
            "caches and over-provisioned blocks",
            checks=checks,
            estimate_s=None,
            timeout_s=SANITIZE_MAX_WAIT_S,
            poll_argv=["nvme", "sanitize-log", ctrl, "-o", "json"],
            identify=identity,
        )
    checks.append("sanitize not supported (sanicap 0)")
    if not info["format_supported"]:
        raise Refused(
            f"{dev} supports neither sanitize nor Format NVM",
            hint="use --method zero or prng",
        )
    ses = 2 if info["format_crypto_erase"] else 1
    checks.append(
        "Format NVM supported; "
        + ("crypto erase supported (fna bit 2)" if ses == 2 else "no crypto erase (fna bit 2 = 0)")
    )
    if info["namespaces"] and info["namespaces"] > 1 and info["secure_erase_all_namespaces"]:
        checks.append("a secure erase format acts on every namespace (fna bit 1)")
    argv = ["nvme", "format", dev, f"--ses={ses}", "--force"]
    assert "--ses=0" not in argv  # a format without secure erase erases nothing
    return FirmwarePlan(
        kind="nvme",
        device=dev,
        argv_list=[argv],
        nist_level="Purge" if ses == 2 else "Clear",
        technique="NVMe Format "
        + ("Cryptographic Erase (SES=2)" if ses == 2 else "User Data Erase (SES=1)"),
        reason="sanitize is not supported; "
        + (
            "Format with crypto erase replaces the media encryption key"
            if ses == 2
            else "Format user-data erase is vendor-specific in depth, so it counts as Clear"
        ),
        checks=checks,
        timeout_s=3600.0,
        identify=identity,
    )


# -- execution ---------------------------------------------------------------------------------


def execute(
    plan: FirmwarePlan,
    runner: Runner,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: Callable[[float | None], None] | None = None,
) -> list[CommandResult]:
    """Run the plan; every command's result, in order. :class:`FirmwareEraseError` on failure."""
    for argv in plan.argv_list:
        if any(arg.startswith("--ses=0") or arg == "-s0" for arg in argv):
            raise Refused("refusing to run nvme format --ses=0: it erases nothing securely")
    if plan.kind == "ata":
        return _execute_ata(plan, runner)
    if plan.kind == "ata_sanitize":
        return ata_sanitize.execute(
            plan, runner, error=FirmwareEraseError, sleep=sleep, clock=clock, progress=progress
        )
    return _execute_nvme(plan, runner, sleep=sleep, clock=clock, progress=progress)


def _execute_ata(plan: FirmwarePlan, runner: Runner) -> list[CommandResult]:
    results: list[CommandResult] = []
    set_pass, erase, check = plan.argv_list
    first = runner.run(set_pass)
    results.append(first)
    if not first.ok:
        raise FirmwareEraseError(
            f"{plan.device}: setting the temporary ATA password failed (exit {first.returncode})",
            results,
        )
    done = runner.run(erase, timeout_s=plan.timeout_s)
    results.append(done)
    if not done.ok:
        # Never leave a drive locked with our password: try to remove it, and say so.
        undo = runner.run(
            ["hdparm", "--user-master", "u", "--security-disable", plan.password or "", plan.device]
        )
        results.append(undo)
        raise FirmwareEraseError(
            f"{plan.device}: ATA secure erase failed (exit {done.returncode})",
            results,
            hint=(
                "the temporary password was removed again"
                if undo.ok
                else f"the drive may still be locked with password {plan.password!r}: "
                f"run hdparm --user-master u --security-disable {plan.password} {plan.device}"
            ),
        )
    after = runner.run(check)
    results.append(after)
    info = hdparm_parser.parse(after.stdout)
    if info["security"]["enabled"] or info["security"]["locked"]:
        raise FirmwareEraseError(
            f"{plan.device}: after the erase the drive still has security enabled",
            results,
            hint=f"run hdparm --user-master u --security-disable {plan.password} {plan.device}",
        )
    return results


def _execute_nvme(
    plan: FirmwarePlan,
    runner: Runner,
    *,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    progress: Callable[[float | None], None] | None,
) -> list[CommandResult]:
    results: list[CommandResult] = []
    for argv in plan.argv_list:
        result = runner.run(argv, timeout_s=plan.timeout_s if plan.poll_argv is None else None)
        results.append(result)
        if not result.ok:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise FirmwareEraseError(
                f"{' '.join(argv[:2])} {plan.device} failed (exit {result.returncode}"
                + (f": {detail[-1]}" if detail else "")
                + ")",
                results,
            )
    if plan.poll_argv is None:
        return results
    deadline = clock() + plan.timeout_s
    while True:
        log = runner.run(plan.poll_argv)
        results.append(log)
        state = nvme_parser.parse_sanitize_log(log.stdout)
        if log.ok and state["valid"]:
            if progress is not None:
                progress(state["progress"])
            if state["completed"] and not state["in_progress"]:
                return results
            if state["failed"]:
                raise FirmwareEraseError(
                    f"{plan.device}: the controller reports the sanitize failed",
                    results,
                    hint="the drive stays in sanitize failure mode; run "
                    f"nvme sanitize {controller_of(plan.device)} --sanact=1 to exit it, "
                    "then erase again",
                )
            if state["status"] == 0:
                # "never sanitized" right after a successful start: the drive ignored it.
                raise FirmwareEraseError(
                    f"{plan.device}: the sanitize log says no sanitize ever ran",
                    results,
                )
        elif not log.ok:
            raise FirmwareEraseError(
                f"{plan.device}: reading the sanitize log failed (exit {log.returncode})", results
            )
        if clock() >= deadline:
            raise FirmwareEraseError(
                f"{plan.device}: sanitize still not finished after {plan.timeout_s / 3600:.1f} h",
                results,
            )
        sleep(POLL_INTERVAL_S)
