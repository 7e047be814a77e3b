"""Reading a disk back: full or sampled comparison with the pattern, and firmware-erase checks.

Comparisons use ``bytearray == buffer``, which CPython does with one ``memcmp`` (tens of GB/s);
a memoryview comparison walks element by element and hashing costs more than the read. Only when
a block differs is it searched, 64 KiB then sector by sector, to say exactly where.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import time
from collections.abc import Callable, Iterable
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


def sample_spans(
    size: int,
    *,
    fraction: float = 0.01,
    block: int = MiB,
    align: int = 4096,
    seed: int | None = None,
) -> list[tuple[int, int]]:
    """At least ``fraction`` of the disk in ``block``-sized reads, one in each equal stratum at a
    random place, plus the first and the last MiB (where partition tables and backups live)."""
    if size <= 0:
        return []
    block = max(align, block - block % align)
    if size <= 2 * block + MiB * 2:
        return [(0, size)]
    rng = random.Random(seed)
    count = max(16, math.ceil(size * fraction / block))
    stratum = size / count
    found = {(0, min(MiB, size)), (max(0, size - MiB), min(MiB, size))}
    for i in range(count):
        lo = math.ceil(int(i * stratum) / align) * align
        hi = int((i + 1) * stratum) - block
        hi = hi - hi % align
        start = lo if hi <= lo else lo + rng.randrange(0, (hi - lo) // align + 1) * align
        start = min(start, size - block)
        start -= start % align
        found.add((start, block))
    # Merge overlaps so no byte is counted twice.
    merged: list[list[int]] = []
    for start, length in sorted(found):
        if merged and start <= merged[-1][0] + merged[-1][1]:
            end = max(merged[-1][0] + merged[-1][1], start + length)
            merged[-1][1] = end - merged[-1][0]
        else:
            merged.append([start, length])
    out: list[tuple[int, int]] = []
    for start, length in merged:
        out += list(spans(start, start + length, CHUNK))
    return out


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
            self.failed_in_row, self.last_good = 0, offset
            return True
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
        if len(failed) == len(pieces):
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
    blocks: list[tuple[int, int]],
    *,
    mode: str,
    progress: Callable[[int], None],
    should_stop: Callable[[], bool],
    dead_after: int = 8,
) -> VerifyResult:
    """Read ``blocks`` back and compare each with the pattern regenerated for its offset."""
    result = VerifyResult(mode=mode, bytes_planned=sum(n for _o, n in blocks))
    size = max((n for _o, n in blocks), default=CHUNK)
    reader = Reader(dev, dead_after=dead_after)
    readbuf = AlignedBuffer(size)
    expected_iter = Filler(pattern, blocks, size=size, count=3, aligned=False)
    t0 = time.perf_counter()
    try:
        for offset, expected, ebuf in expected_iter:
            if should_stop():
                result.stopped = True
                break
            got = readbuf.view[: len(expected)]
            try:
                ok = reader.read(got, offset, result.read_errors)
            except DeviceGone as gone:
                result.gone = gone.detail
                expected_iter.done(ebuf)
                break
            if ok:
                if not _equal(ebuf, expected, got):
                    found = _locate(expected, got, offset, dev.sector)
                    result.mismatches += found
                    result.mismatched_bytes += sum(m.length for m in found)
                    if len(result.mismatches) > 4 * MAX_RANGES:
                        result.mismatches = merge(result.mismatches)
                result.bytes_verified += len(expected)
            result.blocks += 1
            expected_iter.done(ebuf)
            progress(len(expected))
    finally:
        expected_iter.close()
        readbuf.close()
        result.seconds = time.perf_counter() - t0
    return result


@dataclass
class Snapshot:
    """Digests of sampled blocks taken before a firmware erase."""

    blocks: list[tuple[int, int]]
    digests: list[bytes | None]


def _digest(view: memoryview) -> bytes:
    return hashlib.blake2b(view, digest_size=16).digest()


def _uniform(view: memoryview) -> bool:
    first = view[0:1].tobytes()
    return bytearray(first * len(view)) == view


def snapshot(
    dev: Device,
    blocks: list[tuple[int, int]],
    *,
    progress: Callable[[int], None],
    should_stop: Callable[[], bool],
) -> Snapshot:
    """Read the sample before a firmware erase (blocks that cannot be read stay None)."""
    size = max((n for _o, n in blocks), default=CHUNK)
    buf = AlignedBuffer(size)
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
    return Snapshot(blocks[: len(digests)], digests)


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
    result = VerifyResult(mode="sample", bytes_planned=sum(n for _o, n in blocks))
    size = max((n for _o, n in blocks), default=CHUNK)
    buf = AlignedBuffer(size)
    reader = Reader(dev)
    uniform = 0
    t0 = time.perf_counter()
    try:
        for (offset, length), old in zip(blocks, before.digests, strict=True):
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


def total(blocks: Iterable[tuple[int, int]]) -> int:
    return sum(n for _o, n in blocks)
