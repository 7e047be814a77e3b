"""What a disk is, read from ``lsblk -J -b -O`` (and ``smartctl -i``): :class:`Disk`, its bus,
protocol and media type (pure functions of captured text, so tested on real outputs)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from refurb import disks as disk_model
from refurb.parsers import lsblk, smartctl

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
