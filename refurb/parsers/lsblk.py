"""``lsblk -J -b -O`` -> the whole disks of the machine, with every mountpoint under each.

Result::

    {"disks": [{"name", "path", "model", "serial", "size_bytes", "rotational", "transport",
                "protocol" (ATA|NVMe|SCSI|USB|MMC|None), "removable", "hotplug",
                "mountpoints": [str], "subsystems"}],
     "warnings": [str]}

Only ``type == "disk"`` devices count; RAM disks (``zram``, ``ram``), loop and network block
devices are left out. ``mountpoints`` collects the disk's own and all its partitions' (and their
children's) mountpoints, so a caller can see at once that a disk holds the running system.
Old lsblk versions print numbers and booleans as strings; both forms are accepted.
"""

from __future__ import annotations

import json
from typing import Any

from refurb.i18n import _
from refurb.parsers import clean

_NOT_DISKS = ("zram", "ram", "loop", "nbd", "mtdblock", "fd")
_PROTOCOLS = {
    "sata": "ATA",
    "ata": "ATA",
    "pata": "ATA",
    "nvme": "NVMe",
    "usb": "USB",
    "sas": "SCSI",
    "scsi": "SCSI",
    "fc": "SCSI",
    "iscsi": "SCSI",
    "spi": "SCSI",
    "mmc": "MMC",
}


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in ("1", 1):
        return True
    if value in ("0", 0):
        return False
    return None


def _mountpoints(device: dict[str, Any]) -> list[str]:
    found: list[str] = []
    points = device.get("mountpoints")
    if not isinstance(points, list):
        points = [device.get("mountpoint")]
    found += [p for p in points if isinstance(p, str) and p]
    children = device.get("children")
    if isinstance(children, list):
        for child in children:
            if isinstance(child, dict):
                found += _mountpoints(child)
    return list(dict.fromkeys(found))


def protocol(transport: str | None, name: str) -> str | None:
    """The bus a disk hangs on, in the probe's vocabulary."""
    if transport:
        return _PROTOCOLS.get(transport.lower())
    if name.startswith("nvme"):
        return "NVMe"
    if name.startswith("mmcblk"):
        return "MMC"
    return None


def disk_from(device: dict[str, Any]) -> dict[str, Any] | None:
    """One lsblk device entry as a disk record, or None when it is not a physical disk."""
    name = device.get("name") or device.get("kname")
    if not isinstance(name, str) or not name:
        return None
    name = name.rsplit("/", 1)[-1]
    if device.get("type") != "disk" or name.startswith(_NOT_DISKS):
        return None
    transport = device.get("tran") if isinstance(device.get("tran"), str) else None
    size = clean.to_int(device.get("size"))
    return {
        "name": name,
        "path": device.get("path") if isinstance(device.get("path"), str) else f"/dev/{name}",
        "model": clean.text(device.get("model")),
        "serial": clean.text(device.get("serial")),
        "size_bytes": size if size and size > 0 else None,
        "rotational": _bool(device.get("rota")),
        "transport": transport,
        "protocol": protocol(transport, name),
        "removable": _bool(device.get("rm")),
        "hotplug": _bool(device.get("hotplug")),
        "mountpoints": _mountpoints(device),
        "subsystems": device.get("subsystems")
        if isinstance(device.get("subsystems"), str)
        else None,
    }


def parse(text: str | bytes) -> dict[str, Any]:
    """Disks from lsblk's JSON; never raises on garbled input."""
    result: dict[str, Any] = {"disks": [], "warnings": []}
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        data = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        data = None
    devices = data.get("blockdevices") if isinstance(data, dict) else None
    if not isinstance(devices, list):
        result["warnings"].append(_("lsblk output is not the JSON of `lsblk -J -b -O`"))
        return result
    for device in devices:
        if isinstance(device, dict):
            disk = disk_from(device)
            if disk is not None:
                result["disks"].append(disk)
    return result
