"""The overwrite pass of :class:`refurb.wipe.engine.DiskEraser`: the pattern written in
requests the disk's queue takes whole, failed ranges isolated and rewritten, the read-back, and
the judgement of what the disk answered."""

from __future__ import annotations

import os
import time
from typing import Any

from refurb.i18n import _
from refurb.wipe.blockio import (
    CHUNK,
    VANISHED_ERRNOS,
    Device,
    Filler,
    IoError,
    Writer,
    errno_name,
    in_flight,
    merge,
    spans,
    still_answers,
    write_all,
)
from refurb.wipe.patterns import make_pattern
from refurb.wipe.verify import (
    PIECE,
    Blocks,
    new_seed,
    sample_spans,
    verify_pattern,
)


class Overwrite:
    """The overwrite half of the eraser (a mixin: its state is set up by ``DiskEraser``)."""

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
        """The chip's own erase before the overwrite (refurb.emmc_sanitize); a failure fails the
        disk before anything is written."""
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
