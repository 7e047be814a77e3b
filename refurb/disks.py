"""One disk model: how a disk is known, which bus it is on, and whether it is the laptop's own.

Every caller that needs one of these facts asks here: the probe's disk list, readiness
(``projection.missing_for_ready``), the certificate's disk list, grading's storage area, the label,
``show`` and ``wipe list``. Two copies of the "own disk" rule once disagreed and left a soldered
eMMC unerased, so there is one :func:`not_own_reason`.

**The rule.** A disk is the laptop's own unless it is

- the medium refurb runs from (a partition of it is mounted where live systems keep their boot
  medium, see :data:`LIVE_MEDIUM_MOUNTS`),
- removable media by the kernel's ``rm`` flag (a card in a USB card reader, an optical disc; an SD
  card on the mmc bus, see below), or
- on a USB or Thunderbolt transport (an external disk, a stick, a SATA disk in a USB enclosure).

``hotplug`` is not part of it: lsblk marks every device on the mmc bus (and SATA ports that allow
hot swapping) ``hotplug``, and a soldered eMMC is the laptop's only disk on many school laptops.
The kernel never sets ``rm`` on the mmc bus, so there an SD card is told from an eMMC by sysfs
(``/sys/block/mmcblkN/device/type``: ``SD`` or ``MMC``, the ``mmc_type`` key); where that is not
known, an mmc disk counts as the laptop's own (it must be erased or taken out before ``ready``),
which errs on the side of erasing too much. An eMMC's boot partitions (``mmcblk0boot0/1``), its
RPMB and general-purpose areas belong to the eMMC: they are listed under it, never as disks.

Disk dicts come in two shapes: a ``refurb.probe/1`` disk (``name, serial, protocol, transport,
removable, live_medium``...) and :class:`refurb.wipe.discovery.Disk`; both are read through
:func:`_getter`. Probes recorded before this rule stored ``removable`` as ``rm or hotplug``
(they have no ``hotplug`` key); their ``removable`` is not trusted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

# Where live systems (Debian live, Ubuntu, Arch ISO, Fedora live, ShredOS-like) keep their medium.
LIVE_MEDIUM_MOUNTS = (
    "/run/live/medium",
    "/lib/live/mount/medium",
    "/cdrom",
    "/run/initramfs/live",
    "/run/archiso/bootmnt",
    "/isodevice",
)
# lsblk's TRAN -> the probe's protocol vocabulary (ATA|NVMe|SCSI|USB|MMC|virtio).
_PROTOCOLS = {
    "sata": "ATA",
    "ata": "ATA",
    "pata": "ATA",
    "nvme": "NVMe",
    "usb": "USB",
    "sas": "SCSI",
    "scsi": "SCSI",
    "spi": "SCSI",
    "fc": "SCSI",
    "iscsi": "SCSI",
    "sbp": "SCSI",
    "mmc": "MMC",
    "virtio": "virtio",
}
_EXTERNAL_BUSES = ("usb", "thunderbolt")
# mmcblk0boot0, mmcblk0boot1, mmcblk0rpmb, mmcblk0gp0..3: hardware areas of one eMMC.
_MMC_AREA = re.compile(r"^(mmcblk\d+)(boot\d+|rpmb|gp\d+)$")

NOT_OWN_REASONS = ("live_medium", "removable", "usb", "thunderbolt")

D = TypeVar("D")


def _getter(disk: Any) -> Callable[[str], Any]:
    if isinstance(disk, Mapping):
        return disk.get
    return lambda key: getattr(disk, key, None)


def kernel_name(disk: Any) -> str | None:
    """``/dev/nvme0n1`` -> ``nvme0n1``: the name the kernel gives the disk."""
    get = _getter(disk)
    name = get("name") or get("kname") or get("path") or get("device")
    return str(name).rsplit("/", 1)[-1] if name else None


def disk_key(disk: Any) -> str:
    """How a disk is known across probes, wipes and certificates: its serial, else its name.

    Only virtual and loop devices lack a serial; their kernel name is the best there is.
    """
    get = _getter(disk)
    serial = get("serial") or get("serial_number")
    if serial and str(serial).strip():
        return str(serial).strip()
    return "dev:" + (kernel_name(disk) or "?")


def mmc_area_of(name: str) -> str | None:
    """The eMMC a hardware area belongs to: ``mmcblk0boot1`` -> ``mmcblk0``; else None."""
    match = _MMC_AREA.match(name.rsplit("/", 1)[-1])
    return match.group(1) if match else None


def protocol(transport: str | None, name: str, subsystems: str | None = None) -> str | None:
    """The bus a disk hangs on, in the probe's vocabulary, from lsblk's TRAN, name, SUBSYSTEMS."""
    buses = (subsystems or "").split(":")
    if "usb" in buses:
        return "USB"
    if transport:
        return _PROTOCOLS.get(transport.lower())
    if name.startswith("nvme") or "nvme" in buses:
        return "NVMe"
    if name.startswith("mmcblk") or "mmc" in buses:
        return "MMC"
    if "virtio" in buses:
        return "virtio"
    if "scsi" in buses:
        return "SCSI"
    return None


def with_smart(
    lsblk_protocol: str | None, smart_protocol: str | None, usb_bridge: bool
) -> str | None:
    """smartctl names the command set (it says "ATA" for a SATA disk behind a USB bridge); the
    bridge matters more, so USB wins; otherwise smartctl's word over lsblk's."""
    if lsblk_protocol == "USB" or usb_bridge:
        return "USB"
    return smart_protocol or lsblk_protocol


def is_live_medium(mountpoints: Iterable[str]) -> bool:
    """True when one of these mount points (``"/run/live/medium"`` or ``"sdb1:/cdrom"``) is
    where a live system keeps the medium it booted from."""
    for point in mountpoints:
        path = str(point).split(":", 1)[1] if ":" in str(point) else str(point)
        if path in LIVE_MEDIUM_MOUNTS:
            return True
    return False


def not_own_reason(disk: Any) -> str | None:
    """Why this disk is not the laptop's own (one of :data:`NOT_OWN_REASONS`), or None."""
    get = _getter(disk)
    mounts = get("mountpoints")
    if get("live_medium") or (isinstance(mounts, list) and is_live_medium(mounts)):
        return "live_medium"
    # Probes recorded before this rule had no "hotplug" key and stored rm-or-hotplug.
    trusted = not isinstance(disk, Mapping) or "hotplug" in disk
    if (trusted and get("removable")) or str(get("mmc_type") or "").upper() == "SD":
        return "removable"  # the rm flag; on the mmc bus (never rm) the card type says it
    buses = str(get("subsystems") or "").split(":")
    for bus in _EXTERNAL_BUSES:
        tran = str(get("transport") or get("tran") or "").lower()
        if tran == bus or bus in buses or str(get("bus") or "").lower() == bus:
            return bus
    if str(get("protocol") or "").upper() == "USB":
        return "usb"
    return None


def is_internal(disk: Any) -> bool:
    """The laptop's own disk: one that must be erased before the laptop is ``ready``."""
    return not_own_reason(disk) is None


def own_disks(disks: Iterable[D] | None) -> list[D]:
    """The laptop's own disks among ``disks``, in their order."""
    return [d for d in disks or [] if is_internal(d)]


def not_own_text(reason: str | None) -> str:
    """:func:`not_own_reason`'s code in the words of the active language ("" for an own disk)."""
    from refurb.i18n import _

    words = {
        "live_medium": _("not the laptop's own: the medium refurb runs from"),
        "removable": _("not the laptop's own: removable media"),
        "usb": _("not the laptop's own: on USB"),
        "thunderbolt": _("not the laptop's own: on Thunderbolt"),
    }
    return words.get(reason or "", reason or "")


def own_probe_disks(probe: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The laptop's own disks of a ``refurb.probe/1`` dict."""
    found = probe.get("disks") if isinstance(probe, Mapping) else None
    return [d for d in found or [] if isinstance(d, Mapping) and is_internal(d)]


def kind(disk: Any) -> str | None:
    """What a person calls the disk: ``"NVMe SSD"``, ``"eMMC"``, ``"SSD"``, ``"HDD"`` or None."""
    get = _getter(disk)
    proto = str(get("protocol") or "")
    if proto == "NVMe":
        return "NVMe SSD"
    if proto == "MMC":
        return "eMMC"
    if get("rotational") is True:
        return "HDD"
    if get("rotational") is False:
        return "SSD"
    return None
