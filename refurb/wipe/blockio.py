"""Direct I/O on a whole disk: aligned buffers, exclusive open, and a filler thread.

O_DIRECT bypasses the page cache, so what is read back comes from the device and memory use does
not grow with the disk. It needs buffers aligned to the sector size: anonymous ``mmap`` gives page
alignment. ``O_EXCL`` on a block device makes the kernel refuse the open while any partition is
mounted or the disk is held by device-mapper or md, a last guard behind the checks in discovery.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from refurb.errors import NotFound, Refused
from refurb.i18n import _

CHUNK = 4 * 1024 * 1024
MiB = 1024 * 1024
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


@dataclass
class Device:
    """An open disk. ``size`` is what the kernel reports now, not what lsblk said earlier."""

    path: str
    fd: int
    size: int
    sector: int
    direct: bool

    def close(self) -> None:
        with contextlib.suppress(OSError):
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
    except OSError as exc:
        os.close(fd)
        raise _open_error(path, exc) from None
    return Device(path, fd, size, max(512, sector), direct)


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
    """pwrite until done; a zero-length write is an I/O error, not a loop."""
    done = 0
    while done < len(view):
        n = os.pwrite(fd, view[done:], offset + done)
        if n <= 0:
            raise OSError(errno.EIO, "short write")
        done += n


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
    """One finished write: where, what, the buffer to hand back, and the error if any."""

    offset: int
    view: memoryview
    buf: Any
    error: OSError | None


class Writer:
    """Keeps two writes in flight (threads; the GIL is released during ``pwrite``).

    Disks and loop devices take two queued requests faster than one at a time. ``submit`` blocks
    while ``depth`` writes are outstanding; finished writes come back from :meth:`finished` in
    the order they completed, and every error is handed back to the caller, who decides.
    """

    def __init__(self, fd: int, depth: int = 2) -> None:
        self.fd = fd
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
            error: OSError | None = None
            try:
                write_all(self.fd, view, offset)
            except OSError as exc:
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

    def close(self) -> None:
        for _t in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join(timeout=30)
