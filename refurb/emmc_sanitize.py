"""eMMC: the chip's own erase (Sanitize, or Secure Erase) before the overwrite every disk gets.

``plan(disk, runner)`` reads ``mmc extcsd read DEV`` (mmc-utils; parsed by
``refurb.parsers.mmc_extcsd``) and returns the commands to run first, or raises
:class:`EmmcRefused` with a ``code`` and a one-line reason when the chip offers neither or its
registers cannot be read. The wipe engine then overwrites and reads back as for any disk, so
the record always holds a verification of what was written.

- Sanitize (SEC_FEATURE_SUPPORT bit 6): ``blkdiscard -f DEV`` unmaps every block, then
  ``mmc sanitize DEV`` makes the chip physically erase every unmapped block, spare and retired
  blocks included: NIST SP 800-88 Purge for eMMC.
- Secure Erase only (bit 0): ``blkdiscard --secure -f DEV`` (the kernel sends Secure Erase or
  Secure TRIM). Obsolete since eMMC 4.51 and vendor-defined in depth, so it counts as Clear,
  like the overwrite after it.
- Neither, or the registers cannot be read (no mmc-utils, the read fails): no chip erase is
  planned and the overwrite goes ahead alone, with the reason in the plan and the record.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from refurb.errors import Refused
from refurb.parsers import mmc_extcsd
from refurb.runner import CommandResult, Runner

SANITIZE_MAX_S = 3600.0  # a 64 GB eMMC sanitizes in minutes; allow an hour per command


class EmmcRefused(Refused):
    """No chip erase for this eMMC; ``code`` says why (for the record and the certificate)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.code = code


@dataclass
class EmmcStep:
    """The chip-erase commands run before the overwrite, and why they were chosen."""

    device: str
    argv_list: list[list[str]]
    technique: str
    nist_level: str
    code: str  # "emmc_sanitize" or "emmc_secure_erase"
    reason: str
    checks: list[str] = field(default_factory=list)
    identify: dict[str, Any] = field(default_factory=dict)
    timeout_s: float = SANITIZE_MAX_S

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_emmc(disk: dict[str, Any]) -> bool:
    """An eMMC (not an SD card) by its protocol or its kernel name."""
    if str(disk.get("mmc_type") or "").upper() == "SD":
        return False
    name = str(disk.get("name") or disk.get("path") or "").rsplit("/", 1)[-1]
    return str(disk.get("protocol") or "").upper() == "MMC" or bool(
        re.fullmatch(r"mmcblk\d+", name)
    )


def _device(disk: dict[str, Any]) -> str:
    path = str(disk.get("path") or disk.get("name") or "")
    return path if path.startswith("/") or not path else "/dev/" + path


def plan(disk: dict[str, Any], runner: Runner) -> EmmcStep:
    """The chip erase for this eMMC; :class:`EmmcRefused` when there is none to run."""
    dev = _device(disk)
    if runner.which("mmc") is None:
        raise EmmcRefused(
            "emmc_unreadable",
            f"mmc-utils is not installed, so whether {dev} supports sanitize cannot be read",
            "apt-get install mmc-utils",
        )
    result = runner.run(["mmc", "extcsd", "read", dev])
    facts = mmc_extcsd.parse(result.stdout)
    if not result.ok or facts["ext_csd_rev"] is None:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise EmmcRefused(
            "emmc_unreadable",
            f"mmc extcsd read {dev} failed (exit {result.returncode}"
            + (f": {detail[-1]}" if detail else "")
            + "), so its erase features are unknown",
        )
    identify = {k: v for k, v in facts.items() if k != "warnings"}
    support = facts["sec_feature_support"]
    shown = f"{support:#04x}" if support is not None else "not reported"
    checks = [f"mmc extcsd read: eMMC {facts['mmc_version']}, SEC_FEATURE_SUPPORT {shown}"]
    if runner.which("blkdiscard") is None:
        raise EmmcRefused(
            "emmc_unreadable",
            "blkdiscard (util-linux) is not installed",
            "apt-get install util-linux",
        )
    if facts["sanitize"]:
        return EmmcStep(
            device=dev,
            argv_list=[["blkdiscard", "-f", dev], ["mmc", "sanitize", dev]],
            technique="eMMC Sanitize",
            nist_level="Purge",
            code="emmc_sanitize",
            reason=f"the eMMC supports Sanitize (SEC_FEATURE_SUPPORT {shown}, bit 6), which "
            "physically erases every unmapped block, spare blocks included",
            checks=checks + ["every block unmapped first (blkdiscard), then sanitized"],
            identify=identify,
        )
    if facts["secure_erase"]:
        return EmmcStep(
            device=dev,
            argv_list=[["blkdiscard", "--secure", "-f", dev]],
            technique="eMMC Secure Erase",
            nist_level="Clear",
            code="emmc_secure_erase",
            reason=f"the eMMC has no Sanitize but supports Secure Erase (SEC_FEATURE_SUPPORT "
            f"{shown}, bit 0); its depth is vendor-defined, so with the overwrite it is Clear",
            checks=checks,
            identify=identify,
        )
    raise EmmcRefused(
        "emmc_no_secure_feature",
        f"{dev} supports neither Sanitize nor Secure Erase (SEC_FEATURE_SUPPORT {shown})",
        "the overwrite is Clear: it cannot reach the chip's spare blocks",
    )


def execute(step: EmmcStep, runner: Runner) -> list[CommandResult]:
    """Run the chip erase; every command's result. :class:`FirmwareEraseError` on a failure."""
    from refurb.firmware import FirmwareEraseError

    results: list[CommandResult] = []
    for argv in step.argv_list:
        result = runner.run(argv, timeout_s=step.timeout_s)
        results.append(result)
        if not result.ok:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise FirmwareEraseError(
                f"{' '.join(argv[:-1])} {step.device} failed (exit {result.returncode}"
                + (f": {detail[-1]}" if detail else "")
                + ")",
                results,
            )
    return results
