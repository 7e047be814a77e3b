"""Erasing one disk: the plan, the overwrite pass or firmware erase, verification, the outcome.

The outcome is decided only from what the device and the verifier actually answered:
``erased`` needs every write accepted, every flush accepted and a passed verification;
``erased_with_exceptions`` means some ranges failed at first but were rewritten and read back
correctly (the drive remapped them), or that verification was switched off; ``failed`` covers any
range that stayed unwritable or unreadable, data that did not read back as written, and a device
that disappeared; ``interrupted`` means the wipe was stopped (signal) before it finished.

The plan is :mod:`refurb.wipe.plan` (its names are re-exported here), the overwrite pass
:mod:`refurb.wipe.overwrite`, the last word on a status :mod:`refurb.wipe.verdict`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from refurb.errors import RefurbError
from refurb.i18n import _
from refurb.runner import CommandResult, Runner
from refurb.wipe import hidden as hidden_areas
from refurb.wipe.blockio import (
    Device,
    IoError,
    errno_name,
    merge,
    open_device,
)
from refurb.wipe.discovery import check_same_disk
from refurb.wipe.overwrite import Overwrite
from refurb.wipe.patterns import AesCtrPattern, ZeroPattern
from refurb.wipe.plan import (  # noqa: F401  (re-exported: callers import them from here)
    METHODS,
    STATUSES,
    VERIFY_MODES,
    VIRTUAL_PROTOCOLS,
    DiskPlan,
    DiskRunner,
    Progress,
    ProgressFn,
    StopFlag,
    WipeOptions,
    _human,
    _pct,
    consent_to_unlock,
    hidden_notes,
    plan_disk,
)
from refurb.wipe.verify import (
    VerifyResult,
    compare_snapshot,
    new_seed,
    sample_spans,
    snapshot,
)


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


class DiskEraser(Overwrite):
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
