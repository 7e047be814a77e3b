"""Real stand-ins for disks in the wipe tests: loop devices, and a small FUSE file system that
misbehaves on purpose underneath a loop device (this kernel has no dm-flakey / dm-error).

Run as a script it is the FUSE file system itself (the tests start it in a subprocess):

    python tests/support_wipe.py MOUNTPOINT BACKING_FILE \\
        --mode normal|drop|eio|remap|short|slow|die \\
        [--start N --end N] [--delay S] [--die-after N] [--counter FILE] [--fsync-eio]

It shows one file, ``disk.img``, backed by BACKING_FILE, and is mounted with ``direct_io`` so
the kernel never answers a read from its cache: what the loop device reads is what this process
returns. Modes:

- ``normal``: an honest disk;
- ``drop``: accepts every write touching [start, end) (everything without ``--end``) and stores
  nothing of it (a lying disk);
- ``eio``: every read or write touching [start, end) fails with EIO (bad sectors);
- ``remap``: the first write touching a sector of [start, end) fails, later ones succeed and
  reads succeed once the sector was rewritten (a drive remapping pending sectors);
- ``short``: a write touching [start, end) stores and reports only the part before ``start``
  (a short write; at ``start`` itself it stores nothing and says so: 0 bytes);
- ``slow``: every write sleeps ``delay`` seconds (time to send a signal mid-wipe);
- ``die``: the process exits after ``die_after`` bytes were written (a disk that vanishes).

``--counter FILE`` keeps the number of bytes written so far in FILE. ``--fsync-eio`` makes every
fsync fail with EIO (the loop device passes a FLUSH to its backing file as an fsync).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

SECTOR = 512
MiB = 1024 * 1024


# -- helpers used by the tests ---------------------------------------------------------------


def random_file(path: Path, size: int) -> Path:
    """A file of ``size`` random bytes (a disk full of someone's data)."""
    with path.open("wb") as fh:
        left = size
        while left:
            n = min(left, 4 * MiB)
            fh.write(os.urandom(n))
            left -= n
    return path


@contextlib.contextmanager
def max_sectors_kb(dev: str, kb: int) -> Iterator[int]:
    """Set a loop device's ``queue/max_sectors_kb`` (the largest request it takes unsplit);
    the old value is put back, since the setting outlives the device's binding to a file."""
    path = Path("/sys/block") / Path(dev).name / "queue" / "max_sectors_kb"
    old = path.read_text().strip()
    path.write_text(str(kb))
    try:
        yield int(path.read_text())
    finally:
        path.write_text(old)


def write_requests(dev: str) -> int:
    """Write requests the device has completed (field 5 of its sysfs stat): a write the kernel
    splits counts once per part."""
    return int((Path("/sys/block") / Path(dev).name / "stat").read_text().split()[4])


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


@contextlib.contextmanager
def loop_device(
    backing: Path, *, direct_io: bool = True, read_only: bool = False, partscan: bool = False
) -> Iterator[str]:
    """Attach ``backing`` to a free loop device; always detached afterwards."""
    argv = ["losetup", "-f", "--show"]
    if direct_io:
        argv.append("--direct-io=on")
    if read_only:
        argv.append("-r")
    if partscan:
        argv.append("-P")
    dev = run([*argv, str(backing)]).stdout.strip()
    try:
        if partscan:
            # Some kernels lack the MBR parser: partx adds the partitions through BLKPG.
            subprocess.run(["partx", "-a", dev], capture_output=True)
        yield dev
    finally:
        for _ in range(50):
            if subprocess.run(["losetup", "-d", dev], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)


def loop_read(dev: str) -> bytes:
    """Everything on the device, read with O_DIRECT (not from the page cache)."""
    import mmap

    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        buf = mmap.mmap(-1, size)
        done = 0
        while done < size:
            done += os.preadv(fd, [memoryview(buf)[done:]], done)
        return bytes(buf)
    finally:
        os.close(fd)


@contextlib.contextmanager
def mounted(dev: str, where: Path, fstype: str = "ext4") -> Iterator[Path]:
    """Make a file system on ``dev`` and mount it; always unmounted afterwards."""
    run([f"mkfs.{fstype}", "-q", "-F", dev] if fstype == "ext4" else [f"mkfs.{fstype}", dev])
    where.mkdir(parents=True, exist_ok=True)
    run(["mount", dev, str(where)])
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], capture_output=True)


def mbr(path: Path, size: int, parts: list[tuple[int, int, int]]) -> Path:
    """A disk image with an MBR partition table: ``parts`` = (type, first sector, sectors)."""
    random_file(path, size)
    table = bytearray(512)
    for i, (ptype, first, count) in enumerate(parts):
        entry = bytearray(16)
        entry[4] = ptype
        entry[8:12] = first.to_bytes(4, "little")
        entry[12:16] = count.to_bytes(4, "little")
        table[446 + 16 * i : 462 + 16 * i] = entry
    table[510:512] = b"\x55\xaa"
    with path.open("r+b") as fh:
        fh.write(table)
    return path


class FaultyDisk:
    """A FUSE-backed file with a fault mode, and a loop device on top of it."""

    def __init__(self, root: Path, size: int, mode: str, **opts: object) -> None:
        self.root = root
        self.size = size
        self.mode = mode
        self.opts = opts
        self.mountpoint = root / "fuse"
        self.backing = root / "backing.img"
        self.counter = root / "written"
        self.log = root / "fuse.log"
        self.proc: subprocess.Popen | None = None

    @property
    def image(self) -> Path:
        return self.mountpoint / "disk.img"

    def start(self) -> FaultyDisk:
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        random_file(self.backing, self.size)
        argv = [
            sys.executable,
            __file__,
            str(self.mountpoint),
            str(self.backing),
            "--mode",
            self.mode,
            "--counter",
            str(self.counter),
        ]
        for key, value in self.opts.items():
            flag = f"--{key.replace('_', '-')}"
            argv += [flag] if value is True else [flag, str(value)]
        self.proc = subprocess.Popen(argv, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.ismount(self.mountpoint):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"FUSE did not mount: {self.log.read_text()}")
            time.sleep(0.05)
        return self

    def written(self) -> int:
        try:
            return int(self.counter.read_text() or 0)
        except (OSError, ValueError):
            return 0

    def stop(self) -> None:
        subprocess.run(["fusermount3", "-u", "-z", str(self.mountpoint)], capture_output=True)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def faulty_loop(
    root: Path, size: int, mode: str, **opts: object
) -> Iterator[tuple[str, FaultyDisk]]:
    """A loop device (O_DIRECT) over a misbehaving FUSE file; all torn down afterwards."""
    disk = FaultyDisk(root, size, mode, **opts).start()
    try:
        with loop_device(disk.image) as dev:
            yield dev, disk
    finally:
        disk.stop()


# -- the FUSE file system (runs in its own process) -----------------------------------------------


def _serve(argv: list[str]) -> None:
    import argparse

    import mfusepy as fuse

    parser = argparse.ArgumentParser()
    parser.add_argument("mountpoint")
    parser.add_argument("backing")
    parser.add_argument(
        "--mode",
        default="normal",
        choices=["normal", "drop", "eio", "remap", "short", "slow", "die"],
    )
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--end", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--die-after", type=int, default=0)
    parser.add_argument("--counter", default=None)
    parser.add_argument("--fsync-eio", action="store_true")
    args = parser.parse_args(argv)

    class Disk(fuse.Operations):
        use_ns = True

        def __init__(self) -> None:
            self.fd = os.open(args.backing, os.O_RDWR)
            self.size = os.fstat(self.fd).st_size
            self.mutex = threading.Lock()
            self.remapped: set[int] = set()
            self.written = 0

        def _bad_sectors(self, offset: int, n: int) -> range:
            lo, hi = max(offset, args.start), min(offset + n, args.end)
            if hi <= lo:
                return range(0)
            return range(lo // SECTOR, (hi + SECTOR - 1) // SECTOR)

        def getattr(self, path, fh=None):
            now = time.time_ns()
            times = {"st_atime": now, "st_mtime": now, "st_ctime": now}
            if path == "/":
                return {"st_mode": stat.S_IFDIR | 0o755, "st_nlink": 2, **times}
            if path == "/disk.img":
                return {
                    "st_mode": stat.S_IFREG | 0o644,
                    "st_nlink": 1,
                    "st_size": self.size,
                    **times,
                }
            raise fuse.FuseOSError(errno.ENOENT)

        def readdir(self, path, fh):
            return [".", "..", "disk.img"]

        def open(self, path, flags):
            if path != "/disk.img":
                raise fuse.FuseOSError(errno.ENOENT)
            return 0

        def read(self, path, size, offset, fh):
            bad = self._bad_sectors(offset, size)
            if args.mode == "eio" and bad:
                raise fuse.FuseOSError(errno.EIO)
            if args.mode == "remap" and any(s not in self.remapped for s in bad):
                raise fuse.FuseOSError(errno.EIO)
            return os.pread(self.fd, size, offset)

        def write(self, path, data, offset, fh):
            n = len(data)
            bad = self._bad_sectors(offset, n)
            if args.mode == "eio" and bad:
                raise fuse.FuseOSError(errno.EIO)
            if args.mode == "remap" and bad:
                with self.mutex:
                    fresh = [s for s in bad if s not in self.remapped]
                    if fresh:
                        self.remapped.update(fresh)
                        raise fuse.FuseOSError(errno.EIO)
            if args.mode == "slow" and args.delay:
                time.sleep(args.delay)
            if args.mode == "short" and bad:
                n = max(0, args.start - offset)
                data = data[:n]
            if args.mode == "drop" and (bad or not args.end):
                pass
            elif data:
                os.pwrite(self.fd, data, offset)
            with self.mutex:
                self.written += n
                if args.counter:
                    Path(args.counter).write_text(str(self.written))
                if args.mode == "die" and self.written >= args.die_after:
                    os.kill(os.getpid(), signal.SIGKILL)
            return n

        def truncate(self, path, length, fh=None):
            return 0

        def flush(self, path, fh):
            return 0

        def fsync(self, path, datasync, fh):
            if args.fsync_eio:
                raise fuse.FuseOSError(errno.EIO)
            return 0

    fuse.FUSE(Disk(), args.mountpoint, foreground=True, direct_io=True)


if __name__ == "__main__":
    _serve(sys.argv[1:])
