"""Direct I/O on a whole disk: aligned buffers, exclusive open, and a filler thread.

O_DIRECT bypasses the page cache, so what is read back comes from the device and memory use does
not grow with the disk. It needs buffers aligned to the sector size: anonymous ``mmap`` gives page
alignment. ``O_EXCL`` on a block device makes the kernel refuse the open while any partition is
mounted or the disk is held by device-mapper or md, a last guard behind the checks in discovery.

Over 400 lines on purpose: every system call that touches a disk (open, queue limits, aligned
buffers, the writer and the filler) is here and nowhere else, so it is audited in one place.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import queue
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from refurb.errors import NotFound, Refused
from refurb.i18n import _

CHUNK = 4 * 1024 * 1024
MiB = 1024 * 1024
KiB = 1024
PAGE = mmap.PAGESIZE
# Used when sysfs says nothing about the disk: small enough for any queue seen in practice.
FALLBACK_REQUEST = 128 * KiB
# Bytes kept in flight while writing (the old 2 x 4 MiB, which ran at the device's speed).
IN_FLIGHT = 8 * MiB
MAX_DEPTH = 16
# A bio holds at most 256 pages: a larger O_DIRECT write becomes several bios (requests).
BIO_MAX_PAGES = 256
VANISHED_ERRNOS = {errno.ENODEV, errno.ENXIO, errno.ENOMEDIUM, errno.ENOENT, errno.ESHUTDOWN}


class AlignedBuffer:
    """A page-aligned buffer for O_DIRECT (anonymous mmap: zero-filled, page aligned)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.map = mmap.mmap(-1, size)
        self.view = memoryview(self.map)

    def close(self) -> None:
        """Unmap now if no slice of the buffer is still alive; otherwise the GC unmaps it."""
        with contextlib.suppress(BufferError):
            self.view.release()
            self.map.close()


def queue_dir(rdev: int, sysfs: str = "/sys") -> str | None:
    """The sysfs ``queue`` folder of the whole disk behind a device number.

    A partition has no queue of its own (its requests go to its disk's queue), so for one the
    parent's is taken. Found by device number, not name: ``mmcblk0``, ``nvme0n1`` and ``loop3``
    are all ``/sys/dev/block/MAJ:MIN``, whatever name the disk was opened by."""
    base = os.path.join(sysfs, "dev", "block", f"{os.major(rdev)}:{os.minor(rdev)}")
    if not os.path.isdir(base):
        return None
    base = os.path.realpath(base)
    if os.path.exists(os.path.join(base, "partition")):
        base = os.path.dirname(base)
    queue_path = os.path.join(base, "queue")
    return queue_path if os.path.isdir(queue_path) else None


LIMIT_FILES = ("max_sectors_kb", "max_segments", "max_segment_size", "chunk_sectors")


def read_limits(rdev: int, sysfs: str = "/sys") -> dict[str, int]:
    """The queue limits that decide whether the kernel splits a request (missing ones left out)."""
    folder = queue_dir(rdev, sysfs)
    limits: dict[str, int] = {}
    if folder is None:
        return limits
    for name in LIMIT_FILES:
        try:
            with open(os.path.join(folder, name)) as fh:
                limits[name] = int(fh.read().strip())
        except (OSError, ValueError):
            continue
    return limits


def request_size(limits: dict[str, int], sector: int, page: int = PAGE) -> int:
    """The largest write the kernel passes to the disk as one request, without splitting it.

    The kernel splits a request larger than ``max_sectors_kb``, one with more than
    ``max_segments`` segments (our buffers are page-aligned but not physically contiguous, so
    count one page per segment, or ``max_segment_size`` if smaller) and one crossing a
    ``chunk_sectors`` boundary, and a write of more than 256 pages is already sent as several
    bios. When a split part fails, some kernels report the whole request as written: refurb
    never gives them one to split. The result is a multiple of the logical sector and of the
    page."""
    align = max(sector, page, 512)
    size = min(CHUNK, BIO_MAX_PAGES * page)
    if limits.get("max_sectors_kb", 0) > 0:
        size = min(size, limits["max_sectors_kb"] * KiB)
    else:
        size = min(size, FALLBACK_REQUEST)
    segments = limits.get("max_segments", 0)
    if segments > 0:
        per_segment = page
        if 0 < limits.get("max_segment_size", 0) < page:
            per_segment = limits["max_segment_size"]
        size = min(size, segments * per_segment)
    size -= size % align
    size = max(size, align)
    chunk = limits.get("chunk_sectors", 0) * 512
    if chunk > 0:
        # Requests start at multiples of their size: one dividing the chunk never crosses it.
        size = min(size, chunk)
        while size > align and chunk % size:
            size -= align
    return size


def in_flight(request: int) -> int:
    """How many requests to keep queued so that about :data:`IN_FLIGHT` bytes are in flight."""
    return max(2, min(MAX_DEPTH, -(-IN_FLIGHT // request)))


@dataclass
class Device:
    """An open disk. ``size`` is what the kernel reports now, not what lsblk said earlier;
    ``request`` is the largest write its queue takes without splitting (:func:`request_size`)."""

    path: str
    fd: int
    size: int
    sector: int
    direct: bool
    request: int = FALLBACK_REQUEST
    limits: dict[str, int] = field(default_factory=dict)
    closed: bool = False

    def close(self) -> None:
        """Close, ignoring errors (for cleanup paths; see :meth:`close_checked`)."""
        with contextlib.suppress(OSError):
            self.close_checked()

    def close_checked(self) -> None:
        """Close once; an error the kernel reports at close is raised, not swallowed."""
        if self.closed:
            return
        self.closed = True
        os.close(self.fd)


def open_device(path: str, *, sector: int, write: bool) -> Device:
    """Open exclusively with O_DIRECT; turn the kernel's refusals into clear errors."""
    flags = (os.O_RDWR if write else os.O_RDONLY) | os.O_CLOEXEC | os.O_EXCL
    direct = True
    try:
        try:
            fd = os.open(path, flags | os.O_DIRECT)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            # A few stacked drivers refuse O_DIRECT; cached I/O still works but reads may be
            # answered from memory, so the record says so.
            fd = os.open(path, flags)
            direct = False
    except OSError as exc:
        raise _open_error(path, exc) from None
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        os.lseek(fd, 0, os.SEEK_SET)
        st = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise _open_error(path, exc) from None
    sector = max(512, sector)
    limits = read_limits(st.st_rdev) if stat.S_ISBLK(st.st_mode) else {}
    return Device(path, fd, size, sector, direct, request_size(limits, sector), limits)


def request_size_of(path: str, sector: int) -> int:
    """:func:`request_size` for a device path (for a plan, before the disk is opened)."""
    try:
        st = os.stat(path)
    except OSError:
        return request_size({}, max(512, sector))
    limits = read_limits(st.st_rdev) if stat.S_ISBLK(st.st_mode) else {}
    return request_size(limits, max(512, sector))


def check_not_held(path: str) -> None:
    """Refuse now, before anything is recorded, a disk another program holds exclusively
    (another `refurb wipe run` on it, a mount made since lsblk looked, an md/dm member).

    Only "busy" refuses: without the right to open it (a dry run as a normal user) the plan is
    still shown, and the real run opens it exclusively anyway."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_EXCL | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            raise _open_error(path, exc) from None
        return
    os.close(fd)


def _open_error(path: str, exc: OSError) -> Exception:
    code = exc.errno
    if code == errno.EBUSY:
        return Refused(
            _("{path} is in use (mounted, or held by another program)").format(path=path),
            _("unmount it and close what uses it, then try again"),
        )
    if code in (errno.EROFS,):
        return Refused(_("{path} is read-only").format(path=path))
    if code in (errno.EACCES, errno.EPERM):
        return Refused(
            _("{path}: permission denied").format(path=path),
            _("erasing a disk needs root: run refurb with sudo"),
        )
    if code in VANISHED_ERRNOS:
        return NotFound(_("{path} is gone (was the disk removed?)").format(path=path))
    return Refused(_("{path} cannot be opened: {why}").format(path=path, why=exc.strerror))


def spans(start: int, end: int, step: int) -> Iterator[tuple[int, int]]:
    """(offset, length) blocks covering [start, end)."""
    offset = start
    while offset < end:
        length = min(step, end - offset)
        yield offset, length
        offset += length


def write_all(fd: int, view: memoryview, offset: int) -> None:
    """One pwrite of the whole view. A short write is an error, never continued: on a block
    device opened with O_DIRECT it means the device did not take the rest, and the caller must
    find out which part that was."""
    n = os.pwrite(fd, view, offset)
    if n != len(view):
        raise OSError(errno.EIO, f"short write: {n} of {len(view)} bytes accepted")


def read_all(fd: int, view: memoryview, offset: int) -> None:
    """preadv until full; reading past the end of the device is an error here."""
    done = 0
    while done < len(view):
        n = os.preadv(fd, [view[done:]], offset + done)
        if n <= 0:
            raise OSError(errno.EIO, "short read (device ended early)")
        done += n


def still_answers(dev: Device, offset: int | None) -> str | None:
    """After a whole block failed: can the disk still read a sector that worked moments ago?
    None when it can; otherwise why not (the device node is gone, or it answers nothing)."""
    if not os.path.exists(dev.path):
        return _("the device node {path} is gone").format(path=dev.path)
    if offset is None:
        return None
    buf = AlignedBuffer(max(4096, dev.sector))
    try:
        read_all(dev.fd, buf.view[: dev.sector], offset - offset % dev.sector)
        return None
    except OSError as exc:
        return _("it cannot even read back offset {offset} any more ({err})").format(
            offset=offset, err=errno_name(exc)
        )
    finally:
        buf.close()


@dataclass
class IoError:
    """A range the device refused, with what it said."""

    op: str
    offset: int
    length: int
    errno: str
    message: str
    recovered: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "offset": self.offset,
            "length": self.length,
            "errno": self.errno,
            "message": self.message,
            "recovered": self.recovered,
        }


def errno_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, str(exc.errno))


def merge(errors: Iterable[IoError]) -> list[IoError]:
    """Join touching ranges of the same kind so a bad area is one line, not thousands."""
    out: list[IoError] = []
    for err in sorted(errors, key=lambda e: (e.op, e.offset)):
        last = out[-1] if out else None
        if (
            last is not None
            and last.op == err.op
            and last.errno == err.errno
            and last.recovered == err.recovered
            and last.offset + last.length >= err.offset
        ):
            last.length = max(last.offset + last.length, err.offset + err.length) - last.offset
        else:
            out.append(IoError(**err.to_dict()))
    return out


@dataclass
class Filler:
    """Fills buffers with a pattern in a thread while the caller uses the previous one.

    Iterating yields ``(offset, view)``; the caller hands each buffer back with :meth:`done`.
    A constant pattern (zeros) is filled once and yielded again and again, without a thread.
    """

    pattern: Any
    blocks: Iterable[tuple[int, int]]
    size: int = CHUNK
    count: int = 2
    aligned: bool = True
    _free: queue.Queue = field(default_factory=queue.Queue)
    _ready: queue.Queue = field(default_factory=queue.Queue)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _buffers: list[Any] = field(default_factory=list)

    def _new(self) -> Any:
        return AlignedBuffer(self.size) if self.aligned else bytearray(self.size)

    @staticmethod
    def _view(buf: Any) -> memoryview:
        return buf.view if isinstance(buf, AlignedBuffer) else memoryview(buf)

    def __iter__(self) -> Iterator[tuple[int, memoryview, Any]]:
        if self.pattern.constant:
            buf = self._new()
            self._buffers.append(buf)
            if self.pattern.name != "zero":  # fresh buffers are already zero
                self.pattern.fill(self._view(buf), 0)
            for offset, length in self.blocks:
                yield offset, self._view(buf)[:length], buf
            return
        for _i in range(self.count):
            buf = self._new()
            self._buffers.append(buf)
            self._free.put(buf)
        self._thread = threading.Thread(target=self._produce, name="refurb-fill", daemon=True)
        self._thread.start()
        while True:
            item = self._ready.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _produce(self) -> None:
        try:
            for offset, length in self.blocks:
                buf = self._free.get()
                if self._stop.is_set() or buf is None:
                    break
                view = self._view(buf)[:length]
                self.pattern.fill(view, offset)
                self._ready.put((offset, view, buf))
        except BaseException as exc:  # handed to the consumer, which raises it
            self._ready.put(exc)
        self._ready.put(None)

    def done(self, buf: Any) -> None:
        if not self.pattern.constant:
            self._free.put(buf)

    def close(self) -> None:
        self._stop.set()
        self._free.put(None)
        if self._thread is not None:
            self._thread.join(timeout=5)
        for buf in self._buffers:
            if isinstance(buf, AlignedBuffer):
                buf.close()
        self._buffers.clear()


@dataclass
class Written:
    """One finished write: where, what, the buffer it came from, and the error if any."""

    offset: int
    view: memoryview
    buf: Any
    error: BaseException | None


class Writer:
    """Keeps ``depth`` writes in flight (threads; the GIL is released during ``pwrite``).

    Each write is one request the disk takes whole (:func:`request_size`); several are queued so
    the disk is never idle. ``submit`` blocks while ``depth`` writes are outstanding; finished
    writes come back from :meth:`finished` in the order they completed, and every error,
    whatever its kind, is handed back to the caller, who decides.
    """

    def __init__(self, fd: int, depth: int = 2) -> None:
        self.fd = fd
        self.depth = depth
        self._slots = threading.BoundedSemaphore(depth)
        self._jobs: queue.Queue[tuple[int, memoryview, Any] | None] = queue.Queue()
        self._done: queue.Queue[Written] = queue.Queue()
        self.outstanding = 0
        self._threads = [
            threading.Thread(target=self._work, name="refurb-write", daemon=True)
            for _ in range(depth)
        ]
        for t in self._threads:
            t.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            offset, view, buf = job
            error: BaseException | None = None
            try:
                write_all(self.fd, view, offset)
            except BaseException as exc:  # handed back: a dead thread would hang submit()
                error = exc
            self._done.put(Written(offset, view, buf, error))
            self._slots.release()

    def submit(self, offset: int, view: memoryview, buf: Any) -> None:
        self._slots.acquire()
        self.outstanding += 1
        self._jobs.put((offset, view, buf))

    def finished(self, *, wait: bool = False) -> Iterator[Written]:
        """Writes that completed since the last call (all outstanding ones with ``wait``)."""
        while self.outstanding:
            try:
                item = self._done.get(block=wait)
            except queue.Empty:
                return
            self.outstanding -= 1
            yield item

    def wait_one(self) -> Written:
        """The next write to finish (one must be outstanding)."""
        item = self._done.get()
        self.outstanding -= 1
        return item

    def close(self) -> None:
        for _t in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join(timeout=30)
