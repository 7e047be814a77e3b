"""Which disks exist, what they are, and whether refurb may erase them.

Everything here is decided from ``lsblk -J -b -O`` (device paths come from lsblk, never from what
a person typed), the kernel's mount table, the active swap areas and, where available,
``smartctl -i --json``. The parsing and the safety rules are pure functions of that text, so they
are tested on captured outputs; :func:`gather` is the only part that reads the live system.

A disk may not be erased when it (or anything on it: partitions, LVM, LUKS, RAID) holds the
running system or active swap, has a mounted file system, holds the files refurb runs from (the
USB stick), is read-only, is in use by device-mapper or md, or has no medium.

The disk model and its parsers are :mod:`refurb.wipe.disk`, the rules :mod:`refurb.wipe.safety`
(both re-exported here); this module reads the live system.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from refurb.errors import InvalidInput, NotFound, Refused
from refurb.i18n import _
from refurb.runner import CommandResult, Runner
from refurb.wipe.disk import (  # noqa: F401  (re-exported: callers import them from here)
    HOLDER_TYPES,
    SYSTEM_MOUNTS,
    WHOLE_TYPES,
    Blocker,
    Confirmation,
    Disk,
    _bool,
    _int,
    _mountpoints,
    _text,
    build_disk,
    parse_lsblk,
    parse_mountinfo,
    parse_swaps,
    smartctl_identity,
    walk,
)
from refurb.wipe.safety import (  # noqa: F401  (re-exported: callers import them from here)
    SystemFacts,
    assess,
    blockers_for,
    confirmation_for,
    find_node,
    identity_changes,
)

# -- the live system (impure) ----------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def _dev_of(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"


def _mount_source(path: Path, mounts: list[dict[str, str]]) -> str | None:
    """The device a path's file system was mounted from (btrfs, overlay: st_dev is anonymous)."""
    best, best_len = None, -1
    text = str(path)
    for m in mounts:
        point = m["mountpoint"].rstrip("/") or "/"
        if (text == point or text.startswith(point.rstrip("/") + "/")) and len(point) > best_len:
            best, best_len = m["source"], len(point)
    return best


def self_paths(extra: Iterable[Path] = ()) -> list[Path]:
    """Files refurb runs from: the interpreter, this package, and the store/config folders."""
    import refurb

    paths = [Path(sys.executable).resolve(), Path(refurb.__file__).resolve().parent]
    return paths + [Path(p) for p in extra]


def gather(
    runner: Runner,
    *,
    own_paths: Iterable[Path] = (),
    with_smart: bool = True,
) -> tuple[str, SystemFacts, list[CommandResult]]:
    """Read lsblk, mounts, swaps, loop backing files and smartctl on the live system."""
    results: list[CommandResult] = []
    lsblk = runner.run(["lsblk", "-J", "-b", "-O"])
    results.append(lsblk)
    if not lsblk.ok:
        raise Refused(
            _("cannot list disks: lsblk failed ({detail})").format(
                detail=(lsblk.stderr.strip().splitlines() or [f"exit {lsblk.returncode}"])[0]
            ),
            _("install util-linux (lsblk) and run refurb as root"),
        )
    facts = SystemFacts(
        mounts=parse_mountinfo(_read("/proc/self/mountinfo")),
        swaps=parse_swaps(_read("/proc/swaps")),
    )
    root = _dev_of(Path("/"))
    if root:
        facts.root_devices.add(root)
    for p in self_paths(own_paths):
        probe = p
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        dev = _dev_of(probe)
        if dev:
            facts.self_devices.add(dev)
        source = _mount_source(probe.resolve(), facts.mounts)
        if source and source.startswith("/dev/"):
            facts.self_sources.add(source)
    for node in parse_lsblk(lsblk.stdout)["blockdevices"]:
        name = str(node.get("name"))
        if node.get("type") == "loop":
            backing = _read(f"/sys/block/{name}/loop/backing_file").strip()
            if backing:
                facts.backing_files[name] = backing
            if _read(f"/sys/block/{name}/ro").strip() == "1":
                facts.read_only.add(name)
        elif name.startswith("mmcblk"):
            kind = _read(f"/sys/block/{name}/device/type").strip()
            if kind:
                facts.mmc_types[name] = kind
        elif with_smart and node.get("type") == "disk" and _int(node.get("size")) > 0:
            if runner.which("smartctl") is None:
                continue
            res = runner.run(["smartctl", "-i", "--json", str(node.get("path"))])
            results.append(res)
            ident = smartctl_identity(res.stdout)
            if ident:
                facts.smart[name] = ident
    return lsblk.stdout, facts, results


def resolve(arg: str, lsblk_text: str, facts: SystemFacts) -> Disk:
    """A device argument -> the Disk lsblk knows under that device number, or a clear error."""
    candidate = arg if "/" in arg else f"/dev/{arg}"
    try:
        st = os.stat(candidate)
    except FileNotFoundError:
        raise NotFound(
            _("{arg}: no such device").format(arg=arg),
            _("see the disks with: refurb wipe list"),
        ) from None
    except OSError as exc:
        raise InvalidInput(
            _("{arg}: cannot be read ({why})").format(arg=arg, why=exc.strerror)
        ) from None
    if not stat.S_ISBLK(st.st_mode):
        kind = (
            _("a regular file")
            if stat.S_ISREG(st.st_mode)
            else _("a directory")
            if stat.S_ISDIR(st.st_mode)
            else _("a character device")
            if stat.S_ISCHR(st.st_mode)
            else _("not a device")
        )
        hint = (
            _("to erase a disk image, attach it first: losetup -f --show --direct-io=on FILE")
            if stat.S_ISREG(st.st_mode)
            else _("see the disks with: refurb wipe list")
        )
        raise InvalidInput(
            _("{arg} is not a block device (it is {kind})").format(arg=arg, kind=kind), hint
        )
    maj_min = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    node, top = find_node(lsblk_text, maj_min)
    if node is None or top is None:
        raise NotFound(
            _("{arg} ({maj_min}) is not listed by lsblk: it may have been removed").format(
                arg=arg, maj_min=maj_min
            ),
            _("see the disks with: refurb wipe list"),
        )
    if node.get("type") == "part":
        raise Refused(
            _("{arg} is a partition of {disk}, not a whole disk").format(
                arg=arg, disk=top.get("path") or top.get("name")
            ),
            _("refurb erases whole disks: use {disk}").format(
                disk=top.get("path") or top.get("name")
            ),
        )
    if node.get("type") not in WHOLE_TYPES and node.get("type") != "rom":
        raise Refused(
            _("{arg} is a {kind} device, which refurb does not erase").format(
                arg=arg, kind=node.get("type")
            )
        )
    name = str(node.get("name"))
    disk = build_disk(
        node,
        smart=facts.smart.get(name),
        backing_file=facts.backing_files.get(name),
        mmc_type=facts.mmc_types.get(name),
    )
    disk.blockers = blockers_for(node, facts)
    return disk


def check_same_disk(planned: Disk, fd: int, size: int, runner: Runner) -> None:
    """Refuse to write when the open device is not the disk that was planned and confirmed.

    Called after the exclusive open: from then on the node cannot be swapped under us."""
    st = os.fstat(fd)
    maj_min = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    result = runner.run(["lsblk", "-J", "-b", "-O", planned.path])
    node = None
    if result.ok:
        node, _top = find_node(result.stdout, maj_min)
    if node is None:
        raise Refused(
            _("{path} cannot be identified again before writing: nothing was written").format(
                path=planned.path
            ),
            _("check the disk with: refurb wipe list"),
        )
    backing = None
    if planned.type == "loop" or node.get("type") == "loop":
        backing = _read(f"/sys/dev/block/{maj_min}/loop/backing_file").strip() or None
    changes = identity_changes(planned, maj_min=maj_min, size=size, node=node, backing_file=backing)
    if changes:
        raise Refused(
            _(
                "{path} is no longer the disk that was confirmed ({changes}): nothing was written"
            ).format(path=planned.path, changes="; ".join(changes)),
            _("was a disk swapped? check with: refurb wipe list, then run again"),
        )
