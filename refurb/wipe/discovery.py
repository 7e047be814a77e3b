"""Which disks exist, what they are, and whether refurb may erase them.

Everything here is decided from ``lsblk -J -b -O`` (device paths come from lsblk, never from what
a person typed), the kernel's mount table, the active swap areas and, where available,
``smartctl -i --json``. The parsing and the safety rules are pure functions of that text, so they
are tested on captured outputs; :func:`gather` is the only part that reads the live system.

A disk may not be erased when it (or anything on it: partitions, LVM, LUKS, RAID) holds the
running system or active swap, has a mounted file system, holds the files refurb runs from (the
USB stick), is read-only, is in use by device-mapper or md, or has no medium.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from refurb import disks as disk_model
from refurb.disks import LIVE_MEDIUM_MOUNTS
from refurb.errors import InvalidInput, NotFound, Refused
from refurb.i18n import _
from refurb.parsers import lsblk, smartctl
from refurb.runner import CommandResult, Runner

# Mount points that mean "this is the running system", reported as such rather than as a mount.
SYSTEM_MOUNTS = ("/", "/boot", "/boot/efi", "/efi", "/usr", "/var", "/etc", "/opt", "/home")
# lsblk node types that mean "something is stacked on this disk and active".
HOLDER_TYPES = ("crypt", "lvm", "dm", "mpath", "md", "linear", "multipath")
WHOLE_TYPES = ("disk", "loop", "lvm", "crypt", "dm", "mpath", "md", "linear", "multipath")


@dataclass
class Blocker:
    """One reason a disk may not be erased: a stable code for scripts and a sentence for people."""

    code: str
    message: str


@dataclass
class Disk:
    """A whole disk (or loop / device-mapper device) as refurb sees it."""

    name: str
    path: str
    kname: str
    type: str
    maj_min: str
    size_bytes: int
    model: str | None = None
    serial: str | None = None
    vendor: str | None = None
    firmware: str | None = None
    wwn: str | None = None
    tran: str | None = None
    bus: str | None = None
    protocol: str | None = None
    media_type: str | None = None
    rotational: bool | None = None
    removable: bool = False
    hotplug: bool = False
    read_only: bool = False
    logical_sector_size: int = 512
    physical_sector_size: int = 512
    backing_file: str | None = None
    mountpoints: list[str] = field(default_factory=list)
    stacked: list[str] = field(default_factory=list)
    # An eMMC's boot partitions and RPMB: parts of this chip, not disks of their own.
    areas: list[str] = field(default_factory=list)
    mmc_type: str | None = None  # sysfs device/type on the mmc bus: "MMC" (eMMC) or "SD"
    blockers: list[Blocker] = field(default_factory=list)
    smart: dict[str, Any] = field(default_factory=dict)

    @property
    def erasable(self) -> bool:
        return not self.blockers

    @property
    def not_own_reason(self) -> str | None:
        """Why this is not the laptop's own disk (:func:`refurb.disks.not_own_reason`), or None."""
        return disk_model.not_own_reason(self)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["erasable"] = self.erasable
        data["own"] = self.not_own_reason is None
        data["not_own_reason"] = self.not_own_reason
        return data

    def identity(self) -> dict[str, Any]:
        """What a `wipe_started` event names: enough to find the disk again."""
        return {
            "name": self.name,
            "path": self.path,
            "model": self.model,
            "serial": self.serial,
            "size_bytes": self.size_bytes,
        }


@dataclass
class Confirmation:
    """What a person must type to confirm erasing a disk, and what that token is."""

    tokens: tuple[str, ...]
    what: str


# -- small coercions: lsblk before 2.33 printed every value as a string ----------------------------


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in ("1", "true", "yes")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


_mountpoints = lsblk.own_mountpoints


def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The node and every node stacked on it (partitions, LVM, LUKS...), depth first."""
    yield from lsblk.walk(node)


# -- parsers (pure) --------------------------------------------------------------------------------


def parse_lsblk(text: str) -> dict[str, Any]:
    """``lsblk -J -b -O`` -> ``{"blockdevices": [...], "warnings": [...]}``; never raises.

    The one lsblk reading the probe uses too (:func:`refurb.parsers.lsblk.nodes`): an eMMC's
    boot partitions and RPMB sit under their eMMC as ``areas``, never as disks of their own."""
    return lsblk.nodes(text)


def parse_mountinfo(text: str) -> list[dict[str, str]]:
    """``/proc/self/mountinfo`` -> ``[{maj_min, mountpoint, fstype, source}]``; never raises."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 7 or "-" not in fields[6:]:
            continue
        sep = fields.index("-", 6)
        if len(fields) < sep + 3:
            continue
        mounts.append(
            {
                "maj_min": fields[2],
                "mountpoint": _unescape(fields[4]),
                "fstype": fields[sep + 1],
                "source": _unescape(fields[sep + 2]),
            }
        )
    return mounts


def _unescape(value: str) -> str:
    # The kernel escapes space, tab, newline and backslash as octal (\040 ...).
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 4 <= len(value) and value[i + 1 : i + 4].isdigit():
            out.append(chr(int(value[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_swaps(text: str) -> list[str]:
    """``/proc/swaps`` -> the swap device or file names in use."""
    return [line.split()[0] for line in text.splitlines()[1:] if line.split()]


smartctl_identity = smartctl.identity


# -- classification (pure) -------------------------------------------------------------------------


def _bus(node: dict[str, Any]) -> str | None:
    tran = _text(node.get("tran"))
    subsystems = str(node.get("subsystems") or "")
    kind = node.get("type")
    if kind == "loop":
        return "loop"
    if "usb" in subsystems.split(":") or tran == "usb":
        return "usb"
    if tran:
        return tran
    if str(node.get("name", "")).startswith("nvme") or "nvme" in subsystems:
        return "nvme"
    for name in ("virtio", "mmc", "scsi"):
        if name in subsystems.split(":"):
            return name
    if kind in HOLDER_TYPES or str(node.get("name", "")).startswith("dm-"):
        return "device-mapper"
    return None


def _protocol(shared: str | None, bus: str | None, smart: dict[str, Any]) -> str | None:
    """The probe's protocol (``shared``, from :func:`refurb.disks.protocol`), smartctl's word
    where it has one, USB above both; loop and device-mapper devices are named so."""
    if bus in ("loop", "device-mapper"):
        return bus
    return disk_model.with_smart(shared, _text(smart.get("protocol")), False)


def _media_type(node: dict[str, Any], bus: str | None, rotational: bool | None) -> str:
    kind = node.get("type")
    if kind == "loop":
        return "loop device (file-backed)"
    if str(node.get("name", "")).startswith(("zram", "ram")):
        return "RAM disk"
    if bus == "device-mapper":
        return "device-mapper volume"
    if bus == "nvme":
        return "NVMe SSD"
    if bus == "mmc":
        return "eMMC / SD card"
    if bus == "virtio":
        return "virtual disk"
    if bus == "usb":
        return "USB disk" if rotational else "USB flash / SSD"
    if rotational is True:
        return "HDD"
    if rotational is False:
        return "SSD"
    return "disk"


def build_disk(
    node: dict[str, Any],
    *,
    smart: dict[str, Any] | None = None,
    backing_file: str | None = None,
    mmc_type: str | None = None,
) -> Disk:
    """One lsblk node (with its children) -> a :class:`Disk` without the safety verdict.

    The node's facts are read by :func:`refurb.parsers.lsblk.record`, as the probe reads them."""
    smart = smart or {}
    rec = lsblk.record(node)
    bus = _bus(node)
    rota = rec["rotational"]
    if smart.get("rotation_rate") is not None:
        rota = _int(smart["rotation_rate"]) > 0
    if bus == "nvme":
        rota = False
    mounts, stacked = [], []
    for child in walk(node):
        mounts += [f"{child.get('name')}:{m}" for m in _mountpoints(child)]
        if child is not node and child.get("type") in HOLDER_TYPES:
            stacked.append(f"{child.get('name')} ({child.get('type')})")
    return Disk(
        name=rec["name"],
        path=rec["path"],
        kname=rec["kname"],
        type=rec["type"],
        maj_min=rec["maj_min"],
        size_bytes=rec["size_bytes"] or 0,
        model=rec["model"] or smart.get("model"),
        serial=rec["serial"] or smart.get("serial"),
        vendor=rec["vendor"] or smart.get("vendor"),
        firmware=rec["rev"] or smart.get("firmware"),
        wwn=rec["wwn"] or smart.get("wwn"),
        tran=rec["transport"],
        bus=bus,
        protocol=_protocol(rec["protocol"], bus, smart),
        media_type=_media_type(node, bus, rota),
        rotational=rota,
        removable=bool(rec["removable"]),
        hotplug=bool(rec["hotplug"]),
        read_only=bool(rec["read_only"]),
        logical_sector_size=rec["log_sec"] or 512,
        physical_sector_size=rec["phy_sec"] or 512,
        backing_file=backing_file,
        mountpoints=mounts,
        stacked=stacked,
        areas=[str(a.get("name")) for a in node.get("areas") or []],
        mmc_type=mmc_type,
        smart=smart,
    )


@dataclass
class SystemFacts:
    """What the live system says beyond lsblk; every field may be empty (captured input)."""

    mounts: list[dict[str, str]] = field(default_factory=list)
    swaps: list[str] = field(default_factory=list)
    # maj:min and mount sources of the file systems holding refurb's own files.
    self_devices: set[str] = field(default_factory=set)
    self_sources: set[str] = field(default_factory=set)
    # maj:min of the file system this process sees as "/" (found so even in a chroot or a
    # container, where no mount point reads "/").
    root_devices: set[str] = field(default_factory=set)
    backing_files: dict[str, str] = field(default_factory=dict)
    smart: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Devices whose ``ro`` lsblk cannot see (e.g. a loop device on a read-only file).
    read_only: set[str] = field(default_factory=set)
    # /sys/block/mmcblkN/device/type by disk name: "MMC" (eMMC) or "SD" (a card).
    mmc_types: dict[str, str] = field(default_factory=dict)


def blockers_for(node: dict[str, Any], facts: SystemFacts) -> list[Blocker]:
    """Every reason not to erase this node, most important first (pure)."""
    reasons: list[Blocker] = []
    nodes = list(walk(node))
    maj_mins = {str(n.get("maj:min")) for n in nodes if n.get("maj:min")}
    paths = {str(n.get("path") or f"/dev/{n.get('name')}") for n in nodes}
    names = {str(n.get("name")) for n in nodes} | {str(n.get("kname")) for n in nodes}

    mounted: list[tuple[str, str]] = []
    for n in nodes:
        mounted += [(str(n.get("name")), m) for m in _mountpoints(n)]
    for m in facts.mounts:
        if m["maj_min"] in maj_mins or m["source"] in paths:
            who = next(
                (str(n.get("name")) for n in nodes if n.get("maj:min") == m["maj_min"]),
                m["source"].rsplit("/", 1)[-1],
            )
            if (who, m["mountpoint"]) not in mounted:
                mounted.append((who, m["mountpoint"]))

    swap = [name for name, point in mounted if point == "[SWAP]"]
    swap += [
        s.rsplit("/", 1)[-1]
        for s in facts.swaps
        if s in paths or (s.startswith("/dev/") and s.rsplit("/", 1)[-1] in names)
    ]
    system = [(name, p) for name, p in mounted if p in SYSTEM_MOUNTS]
    if not system:
        system = [
            (str(n.get("name")), "/") for n in nodes if n.get("maj:min") in facts.root_devices
        ]
    live = [(name, p) for name, p in mounted if p in LIVE_MEDIUM_MOUNTS]
    if system or swap:
        where = ", ".join(
            [_("{mount} on {dev}").format(mount=p, dev=name) for name, p in system]
            + [_("swap on {dev}").format(dev=s) for s in swap]
        )
        reasons.append(
            Blocker("system", _("holds the running system ({where})").format(where=where))
        )
    if live:
        where = ", ".join(_("{mount} on {dev}").format(mount=p, dev=name) for name, p in live)
        reasons.append(
            Blocker(
                "live_medium",
                _("is the medium this system booted from ({where})").format(where=where),
            )
        )
    if maj_mins & facts.self_devices or paths & facts.self_sources:
        reasons.append(Blocker("refurb_medium", _("holds the files refurb runs from")))
    others = [
        (name, p)
        for name, p in mounted
        if p != "[SWAP]" and (name, p) not in system and (name, p) not in live
    ]
    if others:
        where = ", ".join(_("{dev} on {mount}").format(dev=name, mount=p) for name, p in others[:4])
        reasons.append(
            Blocker("mounted", _("has a mounted file system ({where})").format(where=where))
        )
    stacked = [n for n in nodes[1:] if n.get("type") in HOLDER_TYPES]
    if stacked and not reasons:
        what = ", ".join(f"{n.get('name')} ({n.get('type')})" for n in stacked[:4])
        reasons.append(
            Blocker(
                "in_use",
                _("is in use by {what}: close or deactivate it first").format(what=what),
            )
        )
    if _bool(node.get("ro")) or str(node.get("name")) in facts.read_only:
        reasons.append(Blocker("read_only", _("is read-only")))
    if node.get("type") == "rom":
        reasons.append(Blocker("not_writable", _("is an optical drive")))
    elif _int(node.get("size")) <= 0:
        reasons.append(Blocker("empty", _("has no medium (size 0)")))
    return reasons


def assess(lsblk_text: str, facts: SystemFacts) -> tuple[list[Disk], list[str]]:
    """Every top-level disk with its safety verdict, plus parser warnings (pure)."""
    parsed = parse_lsblk(lsblk_text)
    disks = []
    for node in parsed["blockdevices"]:
        name = str(node.get("name"))
        disk = build_disk(
            node,
            smart=facts.smart.get(name),
            backing_file=facts.backing_files.get(name),
            mmc_type=facts.mmc_types.get(name),
        )
        disk.blockers = blockers_for(node, facts)
        disks.append(disk)
    return disks, parsed["warnings"]


def find_node(lsblk_text: str, maj_min: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The node with this maj:min and the top-level disk it sits on (pure).

    An eMMC boot partition is found too, as a whole device of its own (the kernel's view)."""
    for emmc in parse_lsblk(lsblk_text)["blockdevices"]:
        for top in [emmc, *(emmc.get("areas") or [])]:
            for node in walk(top):
                if str(node.get("maj:min")) == maj_min:
                    return node, top
    return None, None


def confirmation_for(disk: Disk) -> Confirmation:
    """Typing the serial proves the person looked at the right disk; loop devices have none."""
    if disk.type == "loop":
        tokens = [disk.name]
        if disk.backing_file:
            tokens.insert(0, os.path.basename(disk.backing_file))
        return Confirmation(tuple(tokens), _("the backing file name or the device name"))
    if disk.serial:
        return Confirmation((disk.serial,), _("the serial number"))
    return Confirmation((disk.name,), _("the device name (this disk reports no serial)"))


def identity_changes(
    planned: Disk, *, maj_min: str, size: int, node: dict[str, Any] | None, backing_file: str | None
) -> list[str]:
    """What differs between the disk that was planned and confirmed and the one opened now (pure).

    A disk unplugged while the operator typed its serial, and another one plugged in, gets the
    same /dev name; so does a loop device detached and attached to another file."""
    changes = []

    def differs(what: str, before: Any, now: Any) -> None:
        if before and now and str(before).strip() != str(now).strip():
            changes.append(f"{what} {before} -> {now}")

    differs("device number", planned.maj_min, maj_min)
    if planned.size_bytes != size:
        changes.append(f"size {planned.size_bytes} -> {size}")
    if node is not None:
        differs("serial", planned.serial, _text(node.get("serial")))
        differs("model", planned.model, _text(node.get("model")))
        differs("WWN", planned.wwn, _text(node.get("wwn")))
    if (planned.backing_file or "") != (backing_file or ""):
        changes.append(
            f"backing file {planned.backing_file or '(none)'} -> {backing_file or '(none)'}"
        )
    return changes


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
