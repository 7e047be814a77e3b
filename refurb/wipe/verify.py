"""Reading a disk back: full or sampled comparison with the pattern, and firmware-erase checks.

Comparisons use ``bytearray == buffer``, which CPython does with one ``memcmp`` (tens of GB/s);
a memoryview comparison walks element by element and hashing costs more than the read. Only when
a block differs is it searched, 64 KiB then sector by sector, to say exactly where.

Over 400 lines on purpose: the pattern read-back and the firmware before/after snapshot share
the reader, the prefetch thread and the locating of a difference, which must stay one code.
"""

from __future__ import annotations

import hashlib
import math
import os
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from refurb.wipe.blockio import (
    CHUNK,
    VANISHED_ERRNOS,
    AlignedBuffer,
    Device,
    Filler,
    IoError,
    MiB,
    errno_name,
    in_flight,
    merge,
    read_all,
    spans,
    still_answers,
)

PIECE = 64 * 1024
MAX_RANGES = 200


class DeviceGone(Exception):
    """The device stopped answering or disappeared; carries the offset where it happened."""

    def __init__(self, offset: int, detail: str) -> None:
        super().__init__(detail)
        self.offset = offset
        self.detail = detail


@dataclass
class VerifyResult:
    mode: str
    bytes_planned: int = 0
    bytes_verified: int = 0
    mismatches: list[IoError] = field(default_factory=list)
    mismatched_bytes: int = 0
    read_errors: list[IoError] = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False
    gone: str | None = None
    blocks: int = 0
    sample_seed: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (
            not self.mismatches
            and not self.read_errors
            and not self.stopped
            and not self.gone
            and self.bytes_verified == self.bytes_planned
        )

    def to_dict(self, size: int) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "result": "passed" if self.passed else "failed",
            "bytes_verified": self.bytes_verified,
            "fraction": round(self.bytes_verified / size, 6) if size else 0.0,
            "blocks": self.blocks,
            "sample_seed": self.sample_seed,
            "mismatched_bytes": self.mismatched_bytes,
            "mismatches": [m.to_dict() for m in merge(self.mismatches)[:MAX_RANGES]],
            "read_errors": [e.to_dict() for e in merge(self.read_errors)[:MAX_RANGES]],
            "seconds": round(self.seconds, 3),
            "throughput_bps": int(self.bytes_verified / self.seconds) if self.seconds else None,
            "notes": self.notes,
        }


MAX_SAMPLES = 16384


class Blocks:
    """A lazy, re-iterable sequence of ``(offset, length)`` blocks with its total size.

    A full verification of a 10 TB disk is 2.4 million blocks: they are generated as they are
    read, never held in a list, so memory does not grow with the disk."""

    def __init__(self, make: Callable[[], Iterator[tuple[int, int]]], total: int | None = None):
        self._make = make
        self.total = total if total is not None else sum(n for _o, n in make())

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return self._make()

    @classmethod
    def whole(cls, size: int, chunk: int = CHUNK) -> Blocks:
        return cls(lambda: spans(0, size, chunk), size)

    def limited(self, most: int) -> Blocks:
        """The same bytes in blocks of at most ``most`` (one request the disk takes whole)."""
        return Blocks(
            lambda: (s for o, n in self._make() for s in spans(o, o + n, most)), self.total
        )

    @classmethod
    def of(cls, ranges: list[tuple[int, int]], chunk: int = CHUNK) -> Blocks:
        return cls(lambda: (s for off, n in ranges for s in spans(off, off + n, chunk)))


def sample_spans(
    size: int,
    *,
    fraction: float = 0.01,
    block: int = MiB,
    align: int = 4096,
    seed: int | None = None,
) -> Blocks:
    """At least ``fraction`` of the disk, one block in each of equal strata at a random place,
    plus the first and the last MiB (where partition tables and their backups live).

    Blocks grow beyond ``block`` on very large disks so there are at most ``MAX_SAMPLES``."""
    if size <= 0:
        return Blocks(lambda: iter(()), 0)
    block = max(align, block - block % align)
    if size <= 2 * block + 2 * MiB:
        return Blocks.whole(size)
    count = max(16, math.ceil(size * fraction / block))
    if count > MAX_SAMPLES:
        block = math.ceil(size * fraction / MAX_SAMPLES / align) * align
        count = math.ceil(size * fraction / block)
    rng_seed = seed

    def starts() -> Iterator[tuple[int, int]]:
        rng = random.Random(rng_seed)
        stratum = size / count
        yield 0, min(MiB, size)
        for i in range(count):
            lo = math.ceil(int(i * stratum) / align) * align
            hi = int((i + 1) * stratum) - block
            hi -= hi % align
            start = lo if hi <= lo else lo + rng.randrange(0, (hi - lo) // align + 1) * align
            start = min(start, size - block)
            yield start - start % align, block
        yield max(0, size - MiB), min(MiB, size)

    def merged() -> Iterator[tuple[int, int]]:
        # Strata are in order, so merging neighbours on the fly keeps blocks sorted and disjoint.
        cur_start, cur_end = -1, -1
        for start, length in starts():
            end = start + length
            if start <= cur_end:
                cur_end = max(cur_end, end)
                continue
            if cur_end > cur_start >= 0:
                yield from spans(cur_start, cur_end, CHUNK)
            cur_start, cur_end = start, end
        if cur_end > cur_start >= 0:
            yield from spans(cur_start, cur_end, CHUNK)

    return Blocks(merged)


class Reader:
    """Reads ranges of a device, isolating unreadable ones and noticing a device that died."""

    def __init__(self, dev: Device, *, dead_after: int = 8) -> None:
        self.dev = dev
        self.dead_after = dead_after
        self.failed_in_row = 0
        self.first_failed: int | None = None
        self.last_good: int | None = None

    def read(self, view: memoryview, offset: int, errors: list[IoError]) -> bool:
        """Fill ``view`` from ``offset``; on errors record the bad ranges and return False."""
        try:
            read_all(self.dev.fd, view, offset)
            return self.ok(offset)
        except OSError as exc:
            if exc.errno in VANISHED_ERRNOS:
                raise DeviceGone(offset, f"{errno_name(exc)}: {exc.strerror}") from None
            bad = self._isolate(view, offset, exc)
            errors += bad
            if sum(e.length for e in bad) < len(view):
                self.failed_in_row = 0
                return False
            if self.failed_in_row == 0:
                self.first_failed = offset
            self.failed_in_row += 1
            dead = still_answers(self.dev, self.last_good)
            if dead is None and self.failed_in_row >= self.dead_after:
                dead = f"every read fails from offset {self.first_failed} on"
            if dead is not None:
                raise DeviceGone(offset, dead) from None
            return False

    def ok(self, offset: int) -> bool:
        """A block at ``offset`` was read without error."""
        self.failed_in_row, self.last_good = 0, offset
        return True

    def _isolate(self, view: memoryview, offset: int, first: OSError) -> list[IoError]:
        sector = self.dev.sector
        bad: list[IoError] = []
        pieces = list(spans(0, len(view), PIECE))
        failed = []
        for rel, length in pieces:
            try:
                read_all(self.dev.fd, view[rel : rel + length], offset + rel)
            except OSError as exc:
                failed.append((rel, length, exc))
        if len(pieces) > 1 and len(failed) == len(pieces):
            return [IoError("read", offset, len(view), errno_name(first), first.strerror or "")]
        for rel, length, exc in failed:
            for srel, slen in spans(rel, rel + length, sector):
                try:
                    read_all(self.dev.fd, view[srel : srel + slen], offset + srel)
                except OSError as sexc:
                    bad.append(
                        IoError("read", offset + srel, slen, errno_name(sexc), sexc.strerror or "")
                    )
            del exc
        return merge(bad)


def _readable(offset: int, length: int, bad: list[IoError]) -> list[tuple[int, int]]:
    """The (relative offset, length) spans of a block outside its unreadable ranges."""
    spans_out, pos = [], 0
    for err in sorted(bad, key=lambda e: e.offset):
        start = max(err.offset - offset, 0)
        end = min(err.offset + err.length - offset, length)
        if start > pos:
            spans_out.append((pos, start - pos))
        pos = max(pos, end)
    if pos < length:
        spans_out.append((pos, length - pos))
    return spans_out


def _bounded(ranges: list[IoError]) -> list[IoError]:
    """Merged, and at most a few hundred ranges: a lying 10 TB disk must not fill memory."""
    if len(ranges) <= 4 * MAX_RANGES:
        return ranges
    return merge(ranges)[: 2 * MAX_RANGES]


def _equal(expected_buf: Any, expected: memoryview, got: memoryview) -> bool:
    # bytearray == buffer is one memcmp; memoryview == memoryview is element by element.
    if len(expected) == len(expected_buf) and isinstance(expected_buf, bytearray):
        return expected_buf == got
    return bytearray(expected) == got


def _locate(expected: memoryview, got: memoryview, offset: int, sector: int) -> list[IoError]:
    """Where two blocks differ, to the sector (whole block when every 64 KiB piece differs)."""
    pieces = list(spans(0, len(expected), PIECE))
    differing = [
        (rel, n) for rel, n in pieces if bytearray(expected[rel : rel + n]) != got[rel : rel + n]
    ]
    if len(differing) == len(pieces):
        return [IoError("verify", offset, len(expected), "MISMATCH", "data differs from pattern")]
    out = []
    for rel, n in differing:
        for srel, slen in spans(rel, rel + n, sector):
            if bytearray(expected[srel : srel + slen]) != got[srel : srel + slen]:
                out.append(
                    IoError("verify", offset + srel, slen, "MISMATCH", "data differs from pattern")
                )
    return merge(out)


def verify_pattern(
    dev: Device,
    pattern: Any,
    blocks: Blocks,
    *,
    mode: str,
    progress: Callable[[int], None],
    should_stop: Callable[[], bool],
    dead_after: int = 8,
) -> VerifyResult:
    """Read ``blocks`` back and compare each with the pattern regenerated for its offset.

    Reads, like writes, are requests the disk takes whole (``dev.request``), several in flight:
    a read error the kernel lost in a split would leave a zero-filled buffer, which a zero
    pattern would take for a pass."""
    result = VerifyResult(mode=mode, bytes_planned=blocks.total)
    blocks = blocks.limited(dev.request)
    size = min(dev.request, max(blocks.total, 1))
    # The "dead" threshold stays in bytes (that many 4 MiB blocks), whatever the request size.
    reader = Reader(dev, dead_after=max(1, -(-dead_after * CHUNK // dev.request)))
    expected_iter = Filler(pattern, blocks, size=size, count=2, aligned=False)
    reads = Prefetcher(dev.fd, blocks, size, depth=in_flight(dev.request))
    t0 = time.perf_counter()
    try:
        for (offset, expected, ebuf), (_offset, got, rbuf, failure) in zip(
            expected_iter, reads, strict=True
        ):
            if should_stop():
                result.stopped = True
                break
            bad: list[IoError] = []
            try:
                # A read that failed ahead of time is retried here, where errors are isolated.
                ok = reader.read(got, offset, bad) if failure else reader.ok(offset)
                if not ok:
                    result.read_errors = _bounded(result.read_errors + bad)
            except DeviceGone as gone:
                result.gone = gone.detail
                break
            if ok:
                if not _equal(ebuf, expected, got):
                    found = _locate(expected, got, offset, dev.sector)
                    result.mismatched_bytes += sum(m.length for m in found)
                    result.mismatches = _bounded(result.mismatches + found)
                result.bytes_verified += len(expected)
            else:
                # The rest of a block with an unreadable sector was read: compare it too, so
                # the record says how much was checked and what else differs.
                for rel, n in _readable(offset, len(expected), bad):
                    part = expected[rel : rel + n]
                    if bytearray(part) != got[rel : rel + n]:
                        found = _locate(part, got[rel : rel + n], offset + rel, dev.sector)
                        result.mismatched_bytes += sum(m.length for m in found)
                        result.mismatches = _bounded(result.mismatches + found)
                    result.bytes_verified += n
            result.blocks += 1
            expected_iter.done(ebuf)
            reads.done(rbuf)
            progress(len(expected))
    finally:
        expected_iter.close()
        reads.close()
        result.seconds = time.perf_counter() - t0
    return result


class Prefetcher:
    """Reads blocks with ``depth`` requests in flight and hands them back in order.

    Disks (and loop devices) answer queued requests faster than one at a time, which keeps a
    full verification at the speed of ``dd``'s read or above. A read that fails is handed back
    with its error; the caller retries it, so error isolation stays in one thread.
    """

    def __init__(
        self, fd: int, blocks: Iterable[tuple[int, int]], size: int, depth: int = 2
    ) -> None:
        self.fd = fd
        self._blocks = iter(blocks)
        self._count: int | None = None  # known once the blocks run out
        self._next = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition()
        self._results: dict[int, tuple[int, memoryview, AlignedBuffer, OSError | None]] = {}
        self._free: queue.Queue[AlignedBuffer | None] = queue.Queue()
        self._buffers = [AlignedBuffer(size) for _ in range(depth + 1)]
        for buf in self._buffers:
            self._free.put(buf)
        self._stop = False
        self._threads = [
            threading.Thread(target=self._work, name="refurb-read", daemon=True)
            for _ in range(depth)
        ]
        for t in self._threads:
            t.start()

    def _work(self) -> None:
        while True:
            buf = self._free.get()
            if buf is None or self._stop:
                return
            with self._lock:
                item = next(self._blocks, None)
                index = self._next
                if item is None:
                    with self._cond:
                        self._count = index
                        self._cond.notify_all()
                    return
                self._next += 1
            offset, length = item
            view = buf.view[:length]
            failure: OSError | None = None
            try:
                read_all(self.fd, view, offset)
            except OSError as exc:
                failure = exc
            with self._cond:
                self._results[index] = (offset, view, buf, failure)
                self._cond.notify_all()

    def __iter__(self) -> Iterator[tuple[int, memoryview, AlignedBuffer, OSError | None]]:
        index = 0
        while True:
            with self._cond:
                while index not in self._results:
                    if self._count is not None and index >= self._count:
                        return
                    self._cond.wait()
                item = self._results.pop(index)
            yield item
            index += 1

    def done(self, buf: AlignedBuffer) -> None:
        self._free.put(buf)

    def close(self) -> None:
        self._stop = True
        for _t in self._threads:
            self._free.put(None)
        for t in self._threads:
            t.join(timeout=30)
        self._results.clear()
        for buf in self._buffers:
            buf.close()


@dataclass
class Snapshot:
    """Digests of sampled blocks taken before a firmware erase (None: could not be read)."""

    blocks: Blocks
    digests: list[bytes | None]


def _digest(view: memoryview) -> bytes:
    return hashlib.blake2b(view, digest_size=16).digest()


def _uniform(view: memoryview) -> bool:
    first = view[0:1].tobytes()
    return bytearray(first * len(view)) == view


def snapshot(
    dev: Device,
    blocks: Blocks,
    *,
    progress: Callable[[int], None],
    should_stop: Callable[[], bool],
) -> Snapshot:
    """Read the sample before a firmware erase and keep a digest of each block."""
    blocks = blocks.limited(dev.request)
    buf = AlignedBuffer(min(dev.request, max(blocks.total, 1)))
    reader = Reader(dev)
    digests: list[bytes | None] = []
    try:
        for offset, length in blocks:
            if should_stop():
                break
            view = buf.view[:length]
            errors: list[IoError] = []
            digests.append(_digest(view) if reader.read(view, offset, errors) else None)
            progress(length)
    finally:
        buf.close()
    return Snapshot(blocks, digests)


def compare_snapshot(
    dev: Device,
    before: Snapshot,
    *,
    progress: Callable[[int], None],
    should_stop: Callable[[], bool],
) -> VerifyResult:
    """After a firmware erase every sampled block must read back and be either one repeated byte
    (zeros, 0xFF) or different from before; an unchanged block of data means the erase missed it."""
    blocks = before.blocks
    result = VerifyResult(mode="sample", bytes_planned=blocks.total)
    size = min(dev.request, max(blocks.total, 1))
    buf = AlignedBuffer(size)
    reader = Reader(dev)
    uniform = 0
    t0 = time.perf_counter()
    try:
        for (offset, length), old in zip(blocks, before.digests, strict=False):
            if should_stop():
                result.stopped = True
                break
            view = buf.view[:length]
            try:
                ok = reader.read(view, offset, result.read_errors)
            except DeviceGone as gone:
                result.gone = gone.detail
                break
            result.blocks += 1
            if ok:
                if _uniform(view):
                    uniform += 1
                elif old is not None and _digest(view) == old:
                    result.mismatches.append(
                        IoError("verify", offset, length, "UNCHANGED", "same data as before erase")
                    )
                    result.mismatched_bytes += length
                result.bytes_verified += length
            progress(length)
    finally:
        buf.close()
        result.seconds = time.perf_counter() - t0
    result.notes.append(
        f"{uniform} of {result.blocks} sampled blocks read back as one repeated byte; "
        "the others differ from what they held before the erase"
    )
    return result


def new_seed() -> int:
    return int.from_bytes(os.urandom(8), "big")
