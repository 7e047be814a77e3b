"""Erasing one disk: the plan, the overwrite pass or firmware erase, verification, the outcome.

The outcome is decided only from what the device and the verifier actually answered:
``erased`` needs every write accepted, every flush accepted and a passed verification;
``erased_with_exceptions`` means some ranges failed at first but were rewritten and read back
correctly (the drive remapped them), or that verification was switched off; ``failed`` covers any
range that stayed unwritable or unreadable, data that did not read back as written, and a device
that disappeared; ``interrupted`` means the wipe was stopped (signal) before it finished.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from refurb import units
from refurb.errors import RefurbError, Refused
from refurb.i18n import _
from refurb.runner import CommandResult, Runner
from refurb.wipe import hidden as hidden_areas
from refurb.wipe.blockio import (
    CHUNK,
    VANISHED_ERRNOS,
    Device,
    Filler,
    IoError,
    MiB,
    Writer,
    errno_name,
    in_flight,
    merge,
    open_device,
    request_size_of,
    spans,
    still_answers,
    write_all,
)
from refurb.wipe.discovery import Confirmation, Disk, check_same_disk, confirmation_for
from refurb.wipe.hidden import HiddenArea
from refurb.wipe.patterns import AesCtrPattern, ZeroPattern, make_pattern
from refurb.wipe.verify import (
    PIECE,
    Blocks,
    VerifyResult,
    compare_snapshot,
    new_seed,
    sample_spans,
    snapshot,
    verify_pattern,
)

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
    # Why this method: a code (see METHOD_CHOICES) and the planner's words.
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
            return _plan_emmc(disk, options, runner, common)
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


def _plan_emmc(
    disk: Disk, options: WipeOptions, runner: DiskRunner, common: dict[str, Any]
) -> DiskPlan:
    """An eMMC: the chip's Sanitize (or Secure Erase) where it has one, then the overwrite and
    read-back every disk gets; without one, the overwrite alone, saying why."""
    from refurb import emmc_sanitize

    overwrite = {
        "method": "prng",
        "pattern": f"aes-{options.key_bits}-ctr",
        "passes": 1,
        "verify": options.verify,
        "commands": runner.history,
        **common,
    }
    try:
        step = emmc_sanitize.plan(disk.to_dict(), runner)
    except emmc_sanitize.EmmcRefused as exc:
        if options.method == "firmware":
            raise Refused(
                _("{path}: {why}").format(path=disk.path, why=exc.message),
                exc.hint or _("use --method prng or --method zero"),
            ) from exc
        return DiskPlan(
            nist_method="Clear",
            technique="overwrite",
            fallback_reason=exc.message,
            choice_code=exc.code,
            choice_reason=exc.message,
            notes=[_("eMMC erase command not used: {why}").format(why=exc.message)]
            + _overwrite_notes(disk),
            **overwrite,
        )
    notes = [
        _(
            "{technique} first ({commands}), then one overwrite pass that the read-back checks"
        ).format(technique=step.technique, commands="; ".join(" ".join(a) for a in step.argv_list))
    ]
    if step.nist_level != "Purge":
        notes += _overwrite_notes(disk)
    return DiskPlan(
        nist_method=step.nist_level,
        technique=f"{step.technique} + overwrite",
        pre_erase=step,
        choice_code=step.code,
        choice_reason=step.reason,
        notes=notes,
        **overwrite,
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


class _Meter:
    """Turns byte counts into throttled progress reports with rate and ETA."""

    def __init__(self, disk: str, on_progress: ProgressFn | None) -> None:
        self.disk = disk
        self.on_progress = on_progress
        self.phase = ""
        self.total: int | None = None
        self.done = 0
        self.t0 = 0.0
        self.last = 0.0

    def start(self, phase: str, total: int | None) -> None:
        self.phase, self.total, self.done = phase, total, 0
        self.t0 = self.last = time.perf_counter()
        self._emit()

    def add(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.last >= 0.1 or (self.total is not None and self.done >= self.total):
            self.last = now
            self._emit()

    def set(self, done: int, total: int) -> None:
        """For phases that report a fraction (a firmware erase polling the drive)."""
        self.total = total
        self.done = 0
        self.add(done)

    def _emit(self) -> None:
        if self.on_progress is None:
            return
        elapsed = time.perf_counter() - self.t0
        rate = self.done / elapsed if elapsed > 0 and self.done else None
        eta = (self.total - self.done) / rate if rate and self.total is not None else None
        self.on_progress(Progress(self.disk, self.phase, self.done, self.total, rate, eta))


@dataclass
class DiskOutcome:
    status: str
    reason: str | None
    record: dict[str, Any]


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


@dataclass
class WipeContext:
    """Who, where and which wipe: the parts of the record that are not about the disk."""

    wipe_id: str
    asset_id: str | None
    actor: str
    workstation: str
    site: str | None
    clock: Callable[[], datetime]
    discovery_commands: list[CommandResult] = field(default_factory=list)


class DiskEraser:
    """Erases one disk according to its plan; :meth:`run` never raises, it returns an outcome."""

    def __init__(
        self,
        plan: DiskPlan,
        context: WipeContext,
        *,
        runner: Runner,
        options: WipeOptions,
        stop: StopFlag,
        on_progress: ProgressFn | None = None,
        firmware: Any | None = None,
    ) -> None:
        self.plan = plan
        self.ctx = context
        self.runner = DiskRunner(runner)
        self.options = options
        self.stop = stop
        self.meter = _Meter(plan.disk.name, on_progress)
        self.firmware = firmware
        self.errors: list[IoError] = []
        self.bytes_written = 0
        self.write_seconds = 0.0
        self.bytes_done = 0
        self._row: dict[str, Any] = {}
        self.verification: VerifyResult | None = None
        self.extra_checks: VerifyResult | None = None
        self.pattern: ZeroPattern | AesCtrPattern | None = None
        self.gone: str | None = None
        self.direct = True
        self.device_size: int | None = None
        # Bytes past the last whole logical sector (a loop device with 4096-byte sectors over a
        # file of another size): no read or write can address them.
        self.unaddressable = 0
        self.sector = 512
        self.request: int | None = None  # bytes per write request, once the disk is open
        self.depth: int | None = None  # write requests in flight
        self.queue_limits: dict[str, int] = {}
        self._dead_after = options.dead_after_chunks

    # -- the whole job ------------------------------------------------------------------------
    def run(self) -> DiskOutcome:
        started = self.ctx.clock()
        t0 = time.perf_counter()
        status, reason = "failed", None
        try:
            status, reason = self._run()
        except RefurbError as exc:
            status, reason = "failed", exc.message
        except Exception as exc:  # a bug must never become "erased"
            status, reason = "failed", f"internal error: {type(exc).__name__}: {exc}"
        from refurb.wipe.verdict import hidden_exception, outcome_contradiction

        status, reason = hidden_exception(self, status, reason)
        contradiction = outcome_contradiction(self, status)
        if contradiction is not None:
            status, reason = "failed", contradiction
        ended = self.ctx.clock()
        record = self._record(status, reason, started, ended, time.perf_counter() - t0)
        # The record may overrule an "erased" it does not prove (refurb.wipe.record).
        status, reason = record["status"], record["reason"]
        return DiskOutcome(status, reason, record)

    def _run(self) -> tuple[str, str | None]:
        hidden = self.plan.hidden
        if hidden is not None and hidden.unlock:
            if not hidden_areas.lift(hidden, self.runner):
                return "failed", _(
                    "the Host Protected Area ({n} sectors) could not be lifted: {why}"
                ).format(n=hidden.hpa_sectors, why=hidden.unlock_error)
            self._resized((hidden.native_sectors or 0) * hidden.sector_size)
        try:
            if self.plan.method == "firmware":
                return self._firmware()
            return self._overwrite()
        finally:
            if (
                hidden is not None
                and hidden.unlocked
                and hidden.restore
                and hidden_areas.put_back(hidden, self.runner)
            ):
                self._resized((hidden.current_sectors or 0) * hidden.sector_size)

    def _resized(self, size: int) -> None:
        """The drive now shows ``size`` bytes: have the kernel read its capacity again and
        expect that size when the disk is opened (the operator confirmed the drive, not a size)."""
        from dataclasses import replace

        rescan = f"/sys/block/{self.plan.disk.name}/device/rescan"
        try:
            with open(rescan, "w") as fh:
                fh.write("1")
        except OSError:
            pass  # not a SCSI/ATA device node (a test's stand-in): its size is what it is
        self.plan.disk = replace(self.plan.disk, size_bytes=size)

    def _open(self) -> Device:
        dev = open_device(
            self.plan.disk.path, sector=self.plan.disk.logical_sector_size, write=True
        )
        try:
            # The operator confirmed a disk minutes ago: is this still it?
            if self.plan.disk.type == "image":
                from refurb.wipe.image import check_same_image

                check_same_image(self.plan.disk, dev.fd)
            else:
                check_same_disk(self.plan.disk, dev.fd, dev.size, self.runner)
        except BaseException:
            dev.close()
            raise
        self.direct = dev.direct
        self.device_size = dev.size
        self.unaddressable = dev.size % dev.sector
        self.sector = dev.sector
        self.queue_limits = dict(dev.limits)
        return dev

    def _addressable(self, dev: Device) -> int:
        """The size up to the last whole logical sector: what I/O can reach."""
        return dev.size - dev.size % dev.sector

    # -- overwrite ----------------------------------------------------------------------------
    def _overwrite(self) -> tuple[str, str | None]:
        if self.plan.pre_erase is not None:
            stopped = self._pre_erase()
            if stopped is not None:
                return stopped
        pattern = make_pattern(self.plan.method, self.options.key_bits)
        self.pattern = pattern
        dev = self._open()
        try:
            size = self._addressable(dev)
            stopped = self._write_pass(dev, pattern, size)
            if stopped:
                return "interrupted", self._stop_reason()
            if self.gone:
                return "failed", self.gone
            flushed = self._flush(dev)
            self._retry_failed_writes(dev, pattern)
            if self.stop.is_set():
                return "interrupted", self._stop_reason()
            if len(merge(self.errors)) > self.options.max_error_ranges:
                return "failed", _("too many I/O errors: the disk is failing")
            if self.options.verify != "off" or self._recovered():
                self._verify(dev, pattern, size)
            self._close(dev)
            return self._judge_overwrite(flushed)
        finally:
            dev.close()

    def _pre_erase(self) -> tuple[str, str | None] | None:
        """The chip's own erase before the overwrite; a failure fails the disk (nothing is
        recorded as erased on an overwrite whose first step broke)."""
        from refurb import emmc_sanitize
        from refurb.firmware import FirmwareEraseError

        step = self.plan.pre_erase
        self.meter.start("firmware", None)
        try:
            emmc_sanitize.execute(step, self.runner)
        except FirmwareEraseError as exc:
            return "failed", _("{technique} failed: {why}").format(
                technique=step.technique, why=exc.message
            )
        if self.stop.is_set():
            return "interrupted", _("stopped by {signal} after the {technique}").format(
                signal=self.stop.reason, technique=step.technique
            )
        return None

    def _close(self, dev: Device) -> None:
        """Close the disk before judging: an error the kernel reports only now still counts."""
        try:
            dev.close_checked()
        except OSError as exc:
            self.errors.append(
                IoError("close", 0, dev.size, errno_name(exc), exc.strerror or "close failed")
            )

    def _stop_reason(self) -> str:
        return _("stopped by {signal} at {done} of {size}").format(
            signal=self.stop.reason or "request",
            done=_human(self.bytes_done),
            size=_human(self.device_size or self.plan.disk.size_bytes),
        )

    def _write_pass(self, dev: Device, pattern: Any, size: int) -> bool:
        """One pass over the disk. Returns True when stopped by a signal.

        The pattern is generated into buffers of several requests; each request is one write
        the disk's queue takes whole (``dev.request``: no split by the kernel, whose split
        errors some kernels lose), and enough are kept in flight to run at the disk's speed."""
        request = dev.request
        chunk = request * max(1, self.options.chunk_size // request)
        depth = in_flight(request)
        count = -(-depth * request // chunk) + 2
        self.request, self.depth = request, depth
        # "This many 4 MiB blocks in a row" stays the same number of bytes with smaller writes.
        self._dead_after = max(1, -(-self.options.dead_after_chunks * CHUNK // request))
        filler = Filler(pattern, spans(0, size, chunk), size=chunk, count=count, aligned=True)
        writer = Writer(dev.fd, depth)
        pending: dict[int, int] = {}  # buffer -> its requests still in flight
        self._row = {"failed": 0, "first": 0, "last_good": None}
        self.meter.start("write", size)
        t0 = time.perf_counter()

        def finish(done: Any) -> None:
            self._written(dev, done)
            key = id(done.buf)
            pending[key] -= 1
            if not pending[key]:
                del pending[key]
                filler.done(done.buf)

        try:
            for offset, view, buf in filler:
                if self.stop.is_set() or self.gone or self._too_many_errors():
                    break
                pieces = list(spans(0, len(view), request))
                pending[id(buf)] = pending.get(id(buf), 0) + len(pieces)
                for rel, n in pieces:
                    writer.submit(offset + rel, view[rel : rel + n], buf)
                    for done in writer.finished():
                        finish(done)
                # The filler needs a free buffer for the next block: wait for writes to finish
                # until one is free beside the one it may be filling.
                while len(pending) > count - 2:
                    finish(writer.wait_one())
            for done in writer.finished(wait=True):
                finish(done)
        finally:
            writer.close()
            filler.close()
            self.write_seconds = time.perf_counter() - t0
        return self.stop.is_set() and self.bytes_done < size

    def _too_many_errors(self) -> bool:
        return len(merge(self.errors)) > self.options.max_error_ranges

    def _written(self, dev: Device, done: Any) -> None:
        """Account for one finished write; on an error find out exactly what failed."""
        offset, view, row = done.offset, done.view, self._row
        self.bytes_done += len(view)
        self.meter.add(len(view))
        if done.error is None:
            row["failed"], row["last_good"] = 0, offset
            self.bytes_written += len(view)
            return
        exc = done.error
        if not isinstance(exc, OSError):
            raise exc  # a bug, not the disk: run() records it as failed
        if exc.errno in VANISHED_ERRNOS:
            self.gone = self.gone or self._gone_message(offset, exc)
            return
        bad = self._isolate_write(dev, view, offset, exc)
        self.errors += bad
        failed = sum(e.length for e in bad if not e.recovered)
        self.bytes_written += len(view) - failed
        if failed < len(view):
            row["failed"] = 0
            return
        if row["failed"] == 0:
            row["first"] = offset
        row["failed"] += 1
        dead = still_answers(dev, row["last_good"])
        if dead is None and row["failed"] >= self._dead_after:
            dead = _("every write fails from offset {offset} on").format(offset=row["first"])
        if dead is not None and not self.gone:
            self.gone = _("the disk stopped answering at offset {offset}: {why}").format(
                offset=offset, why=dead
            )

    def _gone_message(self, offset: int, exc: OSError) -> str:
        return _("the disk vanished at offset {offset} ({err})").format(
            offset=offset, err=f"{errno_name(exc)}: {exc.strerror}"
        )

    def _isolate_write(
        self, dev: Device, view: memoryview, offset: int, first: OSError
    ) -> list[IoError]:
        """Find which parts of a failed write the disk refuses: 64 KiB, then sector by sector.
        A part that succeeds on this second try is kept as a recovered error."""
        pieces = list(spans(0, len(view), min(PIECE, dev.request)))
        failed = []
        for rel, n in pieces:
            try:
                write_all(dev.fd, view[rel : rel + n], offset + rel)
            except OSError as exc:
                failed.append((rel, n, exc))
        if len(pieces) > 1 and len(failed) == len(pieces):
            return [IoError("write", offset, len(view), errno_name(first), first.strerror or "")]
        out = []
        if not failed:
            return [
                IoError(
                    "write",
                    offset,
                    len(view),
                    errno_name(first),
                    (first.strerror or "") + "; rewritten in 64 KiB parts",
                    recovered=True,
                )
            ]
        for rel, n, _exc in failed:
            for srel, slen in spans(rel, rel + n, dev.sector):
                try:
                    write_all(dev.fd, view[srel : srel + slen], offset + srel)
                except OSError as exc:
                    out.append(
                        IoError("write", offset + srel, slen, errno_name(exc), exc.strerror or "")
                    )
        if not out:
            out.append(
                IoError(
                    "write",
                    offset,
                    len(view),
                    errno_name(first),
                    (first.strerror or "") + "; rewritten sector by sector",
                    recovered=True,
                )
            )
        return merge(out)

    def _flush(self, dev: Device) -> bool:
        """Ask the disk to commit its write cache (FLUSH CACHE); a refusal is an error."""
        try:
            os.fsync(dev.fd)
            return True
        except OSError as exc:
            if exc.errno in VANISHED_ERRNOS:
                self.gone = self._gone_message(dev.size, exc)
            self.errors.append(
                IoError("flush", 0, dev.size, errno_name(exc), exc.strerror or "flush failed")
            )
            return False

    def _retry_failed_writes(self, dev: Device, pattern: Any) -> None:
        """One more try for each range that failed: drives remap a bad sector when it is
        written. What succeeds now is marked recovered and is always read back below."""
        pending = [e for e in merge(self.errors) if e.op == "write" and not e.recovered]
        if not pending:
            return
        from refurb.wipe.blockio import AlignedBuffer

        buf = AlignedBuffer(max(dev.sector, min(PIECE, dev.request)))
        remaining: list[IoError] = []
        recovered: list[IoError] = []
        try:
            for err in pending:
                for off, n in spans(err.offset, err.offset + err.length, buf.size):
                    if self.stop.is_set():
                        return
                    view = buf.view[:n]
                    pattern.fill(view, off)
                    try:
                        write_all(dev.fd, view, off)
                        os.fsync(dev.fd)
                        recovered.append(
                            IoError("write", off, n, err.errno, err.message + "; rewritten", True)
                        )
                        self.bytes_written += n
                    except OSError as exc:
                        remaining.append(
                            IoError("write", off, n, errno_name(exc), exc.strerror or "")
                        )
        finally:
            buf.close()
        others = [e for e in self.errors if not (e.op == "write" and not e.recovered)]
        self.errors = merge(others + remaining + recovered)

    def _recovered(self) -> list[IoError]:
        return [e for e in self.errors if e.recovered]

    def _verify(self, dev: Device, pattern: Any, size: int) -> None:
        mode = self.options.verify
        blocks: Blocks | None = None
        seed = None
        if mode == "full":
            blocks = Blocks.whole(size, self.options.chunk_size)
        elif mode == "sample":
            seed = new_seed()
            blocks = sample_spans(
                size,
                fraction=self.options.sample_fraction,
                block=self.options.sample_block,
                align=max(4096, dev.sector),
                seed=seed,
            )
        if blocks is not None:
            self.meter.start("verify", blocks.total)
            self.verification = verify_pattern(
                dev,
                pattern,
                blocks,
                mode=mode,
                progress=self.meter.add,
                should_stop=self.stop.is_set,
                dead_after=self.options.dead_after_chunks,
            )
            self.verification.sample_seed = seed
        # Ranges rewritten after an error are always read back, whatever the mode.
        recovered = [(e.offset, e.length) for e in merge(self._recovered())]
        if recovered and mode != "full":
            self.extra_checks = verify_pattern(
                dev,
                pattern,
                Blocks.of(recovered, self.options.chunk_size),
                mode="rewritten ranges",
                progress=lambda n: None,
                should_stop=self.stop.is_set,
            )

    def _judge_overwrite(self, flushed: bool) -> tuple[str, str | None]:
        v, extra = self.verification, self.extra_checks
        if self.stop.is_set() and ((v and v.stopped) or (extra and extra.stopped)):
            return "interrupted", self._stop_reason()
        if self.gone:
            return "failed", self.gone
        for check in (v, extra):
            if check and check.gone:
                return "failed", _("the disk stopped answering during verification: {d}").format(
                    d=check.gone
                )
        hard = [e for e in self.errors if not e.recovered and e.op == "write"]
        if hard:
            first = hard[0]
            return "failed", _(
                "{n} range(s) could not be written, first at offset {offset} ({err})"
            ).format(n=len(hard), offset=first.offset, err=first.errno)
        if not flushed or any(e.op == "flush" for e in self.errors):
            return "failed", _("the disk refused to flush its write cache")
        closing = [e for e in self.errors if not e.recovered]
        if closing:
            return "failed", _(
                "the disk reported an error ({err}) when it was closed after the erasure"
            ).format(err=closing[0].errno)
        for check in (v, extra):
            if check is None:
                continue
            if check.read_errors:
                first = check.read_errors[0]
                return "failed", _(
                    "{n} range(s) could not be read back, first at offset {offset} ({err})"
                ).format(n=len(merge(check.read_errors)), offset=first.offset, err=first.errno)
            if check.mismatches:
                return "failed", _(
                    "verification failed: {n} bytes did not read back as written, first at "
                    "offset {offset}"
                ).format(n=check.mismatched_bytes, offset=check.mismatches[0].offset)
            if not check.passed:
                return "failed", _("verification did not cover what it should")
        exceptions = []
        if self._recovered():
            exceptions.append(
                _("{n} range(s) failed at first, were rewritten and read back correctly").format(
                    n=len(merge(self._recovered()))
                )
            )
        if self.options.verify == "off":
            exceptions.append(_("not verified (--verify off)"))
        if self.unaddressable:
            exceptions.append(self._tail_reason())
        if exceptions:
            return "erased_with_exceptions", "; ".join(exceptions)
        return "erased", None

    def _tail_reason(self) -> str:
        return _(
            "the last {n} bytes of the reported size are not a whole {sector}-byte sector: "
            "the disk can neither write nor read them"
        ).format(n=self.unaddressable, sector=self.sector)

    # -- firmware -----------------------------------------------------------------------------
    def _firmware(self) -> tuple[str, str | None]:
        fw = self.firmware
        if fw is None:
            from refurb import firmware as fw
        disk = self.plan.disk
        dev = self._open()
        try:
            seed = new_seed()
            blocks = sample_spans(
                self._addressable(dev),
                fraction=self.options.sample_fraction,
                block=self.options.sample_block,
                align=max(4096, dev.sector),
                seed=seed,
            )
            self.meter.start("sample", blocks.total)
            before = snapshot(dev, blocks, progress=self.meter.add, should_stop=self.stop.is_set)
        finally:
            # hdparm / nvme need the disk to themselves; we reopen for the read-back.
            dev.close()
        if self.stop.is_set():
            return "interrupted", _("stopped by {signal} before the firmware erase").format(
                signal=self.stop.reason
            )
        self.meter.start("firmware", None)

        def firmware_progress(fraction: float | None) -> None:
            if fraction is not None:
                self.meter.set(int(fraction * 1000), 1000)

        results = fw.execute(self.plan.firmware, self.runner, progress=firmware_progress)
        for res in results:
            if res not in self.runner.history:
                self.runner.history.append(res)
        failed = [r for r in results if not r.ok]
        if failed or not results:
            res = failed[0] if failed else None
            return "failed", (
                _("firmware erase failed: {argv} exited {rc}: {err}").format(
                    argv=" ".join(res.argv),
                    rc=res.returncode,
                    err=(res.stderr.strip().splitlines() or [""])[0],
                )
                if res
                else _("firmware erase ran no command")
            )
        dev = self._open()
        try:
            self.meter.start("verify", before.blocks.total)
            self.verification = compare_snapshot(
                dev, before, progress=self.meter.add, should_stop=self.stop.is_set
            )
            self.verification.sample_seed = seed
            self._close(dev)
        finally:
            dev.close()
        v = self.verification
        if v.stopped:
            return "interrupted", _("stopped by {signal} during the read-back").format(
                signal=self.stop.reason
            )
        if v.gone:
            return "failed", _("the disk stopped answering after the firmware erase: {d}").format(
                d=v.gone
            )
        if v.read_errors:
            return "failed", _("{n} sampled range(s) cannot be read after the erase").format(
                n=len(merge(v.read_errors))
            )
        if v.mismatches:
            return "failed", _(
                "{n} sampled block(s) still hold the data they held before the erase on {path}"
            ).format(n=len(v.mismatches), path=disk.path)
        if not v.passed:
            return "failed", _("verification did not cover what it should")
        return "erased", None

    # -- the record ---------------------------------------------------------------------------
    def _record(
        self, status: str, reason: str | None, started: datetime, ended: datetime, seconds: float
    ) -> dict[str, Any]:
        from refurb.wipe.record import build_record

        return build_record(
            eraser=self,
            status=status,
            reason=reason,
            started=started,
            ended=ended,
            seconds=seconds,
        )
