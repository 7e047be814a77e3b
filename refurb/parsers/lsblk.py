"""``lsblk -J -b -O`` -> block devices, read once for the probe and for erasure discovery.

:func:`nodes` gives lsblk's top-level nodes as they are (erasure discovery walks them for mounts
and holders) with an eMMC's hardware areas (``mmcblk0boot0/1``, ``rpmb``, ``gp*``) moved under
their eMMC as ``"areas"``: they are parts of one chip, not disks. :func:`record` turns one node
into plain facts; :func:`parse` is the probe's list of physical disks::

    {"disks": [{"name", "kname", "path", "type", "maj_min", "model", "serial", "vendor", "rev",
                "wwn", "size_bytes", "rotational", "transport", "subsystems",
                "protocol" (ATA|NVMe|SCSI|USB|MMC|virtio|None), "removable" (the kernel's rm),
                "hotplug", "read_only", "log_sec", "phy_sec", "mountpoints": [str],
                "live_medium", "children": [{"name", "type", "size_bytes"}]}],
     "warnings": [str]}

Only ``type == "disk"`` devices are disks; RAM disks (``zram``, ``ram``), loop and network block
devices are left out. ``mountpoints`` collects the disk's own and all its partitions' (and their
children's) mountpoints, so a caller can see at once that a disk holds the running system.
``children`` lists partitions and eMMC areas by name. Old lsblk versions print numbers and
booleans as strings; both forms are accepted. Never raises on garbled input.
"""

from __future__ import annotations

import json
from typing import Any

from refurb import disks as disk_model
from refurb.i18n import _
from refurb.parsers import clean

_NOT_DISKS = ("zram", "ram", "loop", "nbd", "mtdblock", "fd")


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    word = str(value).strip().lower()
    if word in ("1", "true", "yes"):
        return True
    if word in ("0", "false", "no"):
        return False
    return None


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def own_mountpoints(node: dict[str, Any]) -> list[str]:
    """A node's own mount points (lsblk >= 2.37 ``mountpoints``, older ``mountpoint``)."""
    points = node.get("mountpoints")
    if not isinstance(points, list):
        points = [node.get("mountpoint")]
    return [p for p in points if isinstance(p, str) and p]


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The node and every node stacked on it (partitions, LVM, LUKS...), depth first."""
    found = [node]
    for child in node.get("children") or []:
        if isinstance(child, dict):
            found += walk(child)
    return found


def nodes(text: str | bytes) -> dict[str, Any]:
    """``{"blockdevices": [top nodes], "warnings": [...]}``, eMMC areas under their eMMC."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        data = json.loads(text) if isinstance(text, str) and text.strip() else None
    except ValueError:
        data = None
    devices = data.get("blockdevices") if isinstance(data, dict) else None
    if not isinstance(devices, list):
        return {
            "blockdevices": [],
            "warnings": [_("lsblk output is not the JSON of `lsblk -J -b -O`")],
        }
    tops = [d for d in devices if isinstance(d, dict) and isinstance(d.get("name"), str)]
    names = {str(d["name"]).rsplit("/", 1)[-1] for d in tops}
    kept: list[dict[str, Any]] = []
    areas: dict[str, list[dict[str, Any]]] = {}
    for node in tops:
        owner = disk_model.mmc_area_of(str(node["name"]))
        if owner is not None and owner in names:
            areas.setdefault(owner, []).append(node)
        else:
            kept.append(node)
    out = []
    for node in kept:
        found = areas.get(str(node["name"]).rsplit("/", 1)[-1])
        out.append({**node, "areas": found} if found else node)
    return {"blockdevices": out, "warnings": []}


def record(node: dict[str, Any]) -> dict[str, Any]:
    """One lsblk node (any type) as plain facts; see the module docstring for the keys."""
    name = str(node.get("name") or node.get("kname") or "").rsplit("/", 1)[-1]
    transport = _str(node.get("tran"))
    subsystems = _str(node.get("subsystems"))
    size = clean.to_int(node.get("size"))
    mounts: list[str] = []
    for child in walk(node):
        mounts += own_mountpoints(child)
    children = [
        {
            "name": str(c.get("name")),
            "type": c.get("type"),
            "size_bytes": clean.to_int(c.get("size")),
        }
        for c in list(node.get("children") or []) + list(node.get("areas") or [])
        if isinstance(c, dict) and c.get("name")
    ]
    return {
        "name": name,
        "kname": _str(node.get("kname")) or name,
        "path": _str(node.get("path")) or f"/dev/{name}",
        "type": _str(node.get("type")) or "disk",
        "maj_min": _str(node.get("maj:min")) or "",
        "model": clean.text(node.get("model")),
        "serial": clean.text(node.get("serial")),
        "vendor": clean.text(node.get("vendor")),
        "rev": clean.text(node.get("rev")),
        "wwn": clean.text(node.get("wwn")),
        "size_bytes": size if size and size > 0 else None,
        "rotational": _bool(node.get("rota")),
        "transport": transport,
        "subsystems": subsystems,
        "protocol": disk_model.protocol(transport, name, subsystems),
        "removable": _bool(node.get("rm")),
        "hotplug": _bool(node.get("hotplug")),
        "read_only": _bool(node.get("ro")),
        "log_sec": clean.to_int(node.get("log-sec")),
        "phy_sec": clean.to_int(node.get("phy-sec")),
        "mountpoints": list(dict.fromkeys(mounts)),
        "live_medium": disk_model.is_live_medium(mounts),
        "children": children,
    }


def is_physical_disk(node: dict[str, Any]) -> bool:
    name = str(node.get("name") or "").rsplit("/", 1)[-1]
    return node.get("type") == "disk" and bool(name) and not name.startswith(_NOT_DISKS)


def parse(text: str | bytes) -> dict[str, Any]:
    """The physical disks of the machine from lsblk's JSON; never raises on garbled input."""
    read = nodes(text)
    disks = [record(node) for node in read["blockdevices"] if is_physical_disk(node)]
    return {"disks": disks, "warnings": read["warnings"]}
