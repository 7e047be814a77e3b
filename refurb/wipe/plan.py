"""What will be done to one disk, decided before a byte is written: the options, the method
(firmware erase or overwrite, and why), the hidden areas, the steps ``--dry-run`` prints."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from refurb import units
from refurb.errors import Refused
from refurb.i18n import _
from refurb.runner import CommandResult, Runner
from refurb.wipe import hidden as hidden_areas
from refurb.wipe.blockio import (
    CHUNK,
    MiB,
    request_size_of,
)
from refurb.wipe.discovery import Confirmation, Disk, confirmation_for
from refurb.wipe.hidden import HiddenArea

METHODS = ("auto", "zero", "prng", "firmware")
VERIFY_MODES = ("full", "sample", "off")
STATUSES = ("erased", "erased_with_exceptions", "failed", "interrupted")
VIRTUAL_PROTOCOLS = ("loop", "device-mapper", "virtio", "image")


@dataclass
class WipeOptions:
    method: str = "auto"
    verify: str = "full"
    chunk_size: int = CHUNK
    sample_fraction: float = 0.01
    sample_block: int = MiB
    key_bits: int = 128
    # Give up on a disk after this many distinct bad ranges, or this many 4 MiB blocks in a row
    # that fail completely (a disk that stopped answering).
    max_error_ranges: int = 1000
    dead_after_chunks: int = 8
    # An HPA found on an ATA disk: lift it for the erasure (volatile), and set it back after.
    unlock_hidden: bool = False
    restore_hidden: bool = False

    def check(self) -> None:
        from refurb.errors import InvalidInput

        if self.method not in METHODS:
            raise InvalidInput(
                _("unknown method {m!r}: choose {choices}").format(
                    m=self.method, choices=", ".join(METHODS)
                )
            )
        if self.verify not in VERIFY_MODES:
            raise InvalidInput(
                _("unknown verification {v!r}: choose {choices}").format(
                    v=self.verify, choices=", ".join(VERIFY_MODES)
                )
            )


class StopFlag:
    """Set by a signal handler (or a test) to stop every running wipe at the next block.
    A second signal makes it ``forced``: stop waiting for disks that do not answer."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None
        self.count = 0

    def set(self, reason: str) -> None:
        self.count += 1
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    @property
    def forced(self) -> bool:
        return self.count >= 2

    def is_set(self) -> bool:
        return self._event.is_set()


@dataclass
class Progress:
    """One progress report: which disk, which phase, how far, how fast."""

    disk: str
    phase: str
    done: int
    total: int | None
    rate_bps: float | None = None
    eta_s: float | None = None


ProgressFn = Callable[[Progress], None]


@dataclass
class DiskPlan:
    """Exactly what will be done to one disk; what ``--dry-run`` prints."""

    disk: Disk
    requested: str
    method: str
    nist_method: str
    technique: str
    pattern: str | None
    passes: int
    verify: str
    sample_fraction: float
    chunk_size: int
    request_size: int = CHUNK
    firmware: Any | None = None
    fallback_reason: str | None = None
    notes: list[str] = field(default_factory=list)
    commands: list[CommandResult] = field(default_factory=list)
    hidden: HiddenArea | None = None
    # The chip's own erase run before an overwrite (an eMMC's Sanitize: refurb.emmc_sanitize).
    pre_erase: Any | None = None
    # Why this method: a code (refurb.events.METHOD_CHOICES) and the planner's words.
    choice_code: str = "requested"
    choice_reason: str | None = None

    def choice(self) -> dict[str, Any]:
        """Why this method was chosen, as the record and the ``wipe`` event carry it."""
        return {
            "requested": self.requested,
            "method": self.method,
            "technique": self.technique,
            "nist_method": self.nist_method,
            "code": self.choice_code,
            "reason": self.choice_reason,
        }

    @property
    def confirmation(self) -> Confirmation:
        return confirmation_for(self.disk)

    def firmware_argv(self) -> list[list[str]]:
        if self.firmware is None:
            return []
        return [list(map(str, argv)) for argv in getattr(self.firmware, "argv_list", [])]

    def steps(self) -> list[str]:
        d = self.disk
        size = units.disk_size(d.size_bytes)
        out = []
        h = self.hidden
        lift = h is not None and h.unlock and h.unlock_argv()
        if lift:
            out.append(" ".join(h.unlock_argv() or []))
            size = _human((h.native_sectors or 0) * h.sector_size)
        out += self._erase_steps(size)
        if lift and h.restore:
            out.append(" ".join(h.restore_argv() or []))
        return out

    def _erase_steps(self, size: str) -> list[str]:
        d = self.disk
        out: list[str] = [" ".join(argv) for argv in getattr(self.pre_erase, "argv_list", [])]
        if self.method == "firmware":
            out.append(
                _("read a {pct}% sample of {path} to compare after the erase").format(
                    pct=_pct(self.sample_fraction), path=d.path
                )
            )
            out += [" ".join(argv) for argv in self.firmware_argv()]
            out.append(_("read the same sample back: every block must have changed or be blank"))
            return out
        what = _("zeros") if self.method == "zero" else _("an AES-CTR keystream")
        out.append(
            _(
                "write {size} of {what} to {path} in O_DIRECT requests of {request} (the largest "
                "its queue takes without splitting), then flush"
            ).format(size=size, what=what, path=d.path, request=_human(self.request_size))
        )
        if self.verify == "full":
            out.append(_("read every byte back and compare it with what was written"))
        elif self.verify == "sample":
            out.append(
                _(
                    "read back {pct}% of the disk (spread over it, plus the first and last MiB) "
                    "and compare"
                ).format(pct=_pct(self.sample_fraction))
            )
        else:
            out.append(_("no read-back (--verify off): the result cannot be 'erased'"))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "disk": self.disk.to_dict(),
            "requested_method": self.requested,
            "method": self.method,
            "nist_method": self.nist_method,
            "technique": self.technique,
            "pattern": self.pattern,
            "passes": self.passes,
            "verify": self.verify,
            "sample_fraction": self.sample_fraction,
            "chunk_size": self.chunk_size,
            "request_size": self.request_size,
            "fallback_reason": self.fallback_reason,
            "method_choice": self.choice(),
            "firmware_commands": self.firmware_argv(),
            "pre_erase": self.pre_erase.to_dict() if self.pre_erase is not None else None,
            "steps": self.steps(),
            "notes": self.notes,
            "hidden_area": self.hidden.to_dict() if self.hidden is not None else None,
            "confirm_with": {
                "what": self.confirmation.what,
                "tokens": list(self.confirmation.tokens),
            },
        }


@dataclass
class Preparation:
    """The plans of one run, and the discovery commands they came from (for the record)."""

    plans: list[DiskPlan]
    commands: list[CommandResult] = field(default_factory=list)


def _pct(fraction: float) -> str:
    return f"{fraction * 100:g}"


def _human(n: int) -> str:
    return units.byte_count(n)


def plan_disk(
    disk: Disk,
    options: WipeOptions,
    runner: Runner,
    firmware: Any | None = None,
) -> DiskPlan:
    """Decide the method for one disk. ``firmware`` is the module (or a stand-in) that plans and
    runs firmware erases; it is imported only when a firmware erase is considered."""
    options.check()
    runner = DiskRunner(runner)
    hidden = hidden_areas.read(disk, runner)
    hidden.unlock = options.unlock_hidden and hidden.hpa_sectors > 0
    hidden.restore = hidden.unlock and options.restore_hidden
    plan = _plan_method(disk, options, runner, firmware)
    plan.hidden = hidden
    plan.commands = runner.history
    plan.notes += hidden_notes(hidden)
    return plan


def hidden_notes(hidden: HiddenArea) -> list[str]:
    """What the plan says about a hidden area, before anything is written."""
    notes = []
    if hidden.hpa_sectors:
        if hidden.unlock:
            notes.append(
                _(
                    "a Host Protected Area hides {n} sectors ({size}): it is lifted for the "
                    "erasure (hdparm -N, until the drive's next reset){restore}"
                ).format(
                    n=hidden.hpa_sectors,
                    size=_human(hidden.hpa_bytes),
                    restore=_(" and set back afterwards") if hidden.restore else "",
                )
            )
        else:
            notes.append(
                _(
                    "a Host Protected Area hides {n} sectors ({size}) that this erasure will not "
                    "reach: the result can only be erased_with_exceptions (lift it with "
                    "--unlock-hidden)"
                ).format(n=hidden.hpa_sectors, size=_human(hidden.hpa_bytes))
            )
    if hidden.dco_sectors:
        notes.append(
            _(
                "a Device Configuration Overlay hides {n} sectors ({size}) that this erasure "
                "will not reach: the result can only be erased_with_exceptions"
            ).format(n=hidden.dco_sectors, size=_human(hidden.dco_bytes))
        )
    if hidden.finding == "could_not_be_read":
        notes.append(_("hidden areas (HPA/DCO) could not be read: {why}").format(why=hidden.why))
    return notes


def consent_to_unlock(plan: DiskPlan, *, restore: bool) -> None:
    """The operator agreed (at the prompt) to lift this disk's HPA for the erasure."""
    hidden = plan.hidden
    if hidden is None or not hidden.hpa_sectors or hidden.unlock:
        return
    old = hidden_notes(hidden)
    hidden.unlock, hidden.restore = True, restore
    plan.notes = [n for n in plan.notes if n not in old] + hidden_notes(hidden)


def _plan_method(
    disk: Disk, options: WipeOptions, runner: DiskRunner, firmware: Any | None
) -> DiskPlan:
    common = {
        "disk": disk,
        "requested": options.method,
        "sample_fraction": options.sample_fraction,
        "chunk_size": options.chunk_size,
        "request_size": request_size_of(disk.path, disk.logical_sector_size),
    }
    if options.method in ("firmware", "auto"):
        from refurb import emmc_sanitize

        if emmc_sanitize.is_emmc(disk.to_dict()):
            from refurb.wipe.plan_emmc import plan_emmc

            return plan_emmc(disk, options, runner, common)
        fallback = None
        if disk.protocol in VIRTUAL_PROTOCOLS:
            fallback = _("{kind} has no firmware erase").format(kind=disk.media_type)
            if options.method == "firmware":
                raise Refused(
                    _("{path}: {why}").format(path=disk.path, why=fallback),
                    _("use --method prng or --method zero"),
                )
        else:
            if firmware is None:
                from refurb import firmware as firmware_module

                firmware = firmware_module
            try:
                fw_plan = firmware.plan(disk.to_dict(), runner)
            except Refused as exc:
                if options.method == "firmware":
                    raise
                fallback = exc.message
            else:
                notes = []
                if options.verify != "sample":
                    notes.append(
                        _(
                            "a firmware erase is checked by a before/after sample of the disk, "
                            "whatever --verify says"
                        )
                    )
                return DiskPlan(
                    method="firmware",
                    nist_method=str(getattr(fw_plan, "nist_level", "Purge")),
                    technique=str(getattr(fw_plan, "technique", "firmware erase")),
                    pattern=None,
                    passes=1,
                    verify="sample",
                    firmware=fw_plan,
                    notes=notes,
                    commands=runner.history,
                    choice_code="firmware" if options.method == "auto" else "requested",
                    choice_reason=getattr(fw_plan, "reason", None),
                    **common,
                )
        virtual = disk.protocol in VIRTUAL_PROTOCOLS
        return DiskPlan(
            method="prng",
            nist_method="Clear",
            technique="overwrite",
            pattern=f"aes-{options.key_bits}-ctr",
            passes=1,
            verify=options.verify,
            fallback_reason=fallback,
            choice_code="no_firmware_erase" if virtual else "firmware_refused",
            choice_reason=fallback,
            notes=([_("firmware erase not used: {why}").format(why=fallback)] if fallback else [])
            + _overwrite_notes(disk),
            commands=runner.history,
            **common,
        )
    return DiskPlan(
        method=options.method,
        nist_method="Clear",
        technique="overwrite",
        pattern="zero" if options.method == "zero" else f"aes-{options.key_bits}-ctr",
        passes=1,
        verify=options.verify,
        notes=_overwrite_notes(disk),
        choice_reason=f"--method {options.method} was asked for",
        **common,
    )


def _overwrite_notes(disk: Disk) -> list[str]:
    """What an overwrite cannot reach on this kind of disk, said before it starts (NIST: Clear)."""
    notes = []
    if disk.rotational is False and disk.protocol not in VIRTUAL_PROTOCOLS:
        notes.append(
            _(
                "an overwrite cannot reach the spare blocks of flash storage: this is Clear, "
                "not Purge; prefer --method firmware where the drive allows it"
            )
        )
    return notes


class DiskRunner(Runner):
    """Runs through the shared runner but keeps this disk's own list of commands."""

    def __init__(self, inner: Runner) -> None:
        super().__init__(timeout_s=inner.timeout_s, history=[], env=inner.env)
        self.inner = inner

    def which(self, program: str) -> str | None:
        return self.inner.which(program)

    def version_of(self, program: str) -> str | None:
        return self.inner.version_of(program)

    def tool_versions(self) -> dict[str, str | None]:
        return self.inner.tool_versions()

    def run(self, argv: Any, **kwargs: Any) -> CommandResult:  # type: ignore[override]
        result = self.inner.run(argv, **kwargs)
        self.history.append(result)
        return result
