"""How a machine is recognised again: one laptop, one asset, however often it is probed.

The facts are tried in the order eReuse builds its device id from: the system serial, then the
firmware's system UUID, then the serials of the laptop's own disks, then the addresses of its own
network interfaces. Placeholders are no ids (an all-zero UUID, a "To be filled by O.E.M." serial),
and neither is anything that travels from laptop to laptop in a workshop: USB disks and sticks,
USB network adapters and docks. A weaker fact never overrules a stronger one: a disk moved into
another laptop does not bring that laptop onto the disk's old asset when their serials or UUIDs
differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from refurb.disks import own_probe_disks
from refurb.parsers import clean, sysfs

# What each fact is called in `probe --save --json` (``matched_by``), strongest first.
SYSTEM_SERIAL = "system_serial"
SYSTEM_UUID = "system_uuid"
DISK_SERIAL = "disk_serial"
MAC = "mac"
# Facts kept in the ``device_facts`` index (disk serials have ``device_disks``).
INDEXED = (SYSTEM_UUID, MAC)
TRAVELLING_BUSES = frozenset({"usb"})


@dataclass(frozen=True)
class Facts:
    """The identifying facts of one probe."""

    serial: str | None
    uuid: str | None
    disk_serials: tuple[str, ...]
    macs: tuple[str, ...]

    def indexed(self) -> Iterator[tuple[str, str]]:
        """``(kind, value)`` pairs for the ``device_facts`` index."""
        if self.uuid:
            yield SYSTEM_UUID, self.uuid
        for mac in self.macs:
            yield MAC, mac

    def describe(self) -> dict[str, Any]:
        return {
            SYSTEM_SERIAL: self.serial,
            SYSTEM_UUID: self.uuid,
            "disk_serials": list(self.disk_serials),
            "macs": list(self.macs),
        }


def facts_of(probe: Mapping[str, Any]) -> Facts:
    """The facts of a ``refurb.probe/1`` document that can recognise its machine (pure)."""
    system = probe.get("system") or {}
    disks = []
    for disk in own_probe_disks(probe):  # the laptop's own: not USB, removable or the live stick
        serial = clean.serial(disk.get("serial"))
        if serial and serial not in disks:
            disks.append(serial)
    macs = []
    for iface in probe.get("network") or []:
        if not isinstance(iface, Mapping) or iface.get("bus") in TRAVELLING_BUSES:
            continue
        if "bus" not in iface:
            continue  # probes from before the bus was recorded: a USB adapter cannot be told apart
        mac = sysfs.mac_address(iface.get("mac"))
        if mac and mac not in macs:
            macs.append(mac)
    return Facts(
        serial=clean.serial(system.get("serial")),
        uuid=clean.uuid(system.get("uuid")),
        disk_serials=tuple(disks),
        macs=tuple(macs),
    )


class Lookup(Protocol):
    """What matching needs from the store."""

    def find_by_serial(self, serial: str | None) -> Any: ...
    def find_by_disk_serial(self, serial: str | None) -> Any: ...
    def find_by_fact(self, kind: str, value: str) -> Any: ...
    def facts_of_device(self, asset_id: str) -> dict[str, list[str]]: ...


@dataclass(frozen=True)
class Match:
    device: Any
    by: str
    value: str


def find_machine(store: Lookup, facts: Facts) -> Match | None:
    """The device these facts recognise, and by which fact; None when nothing matches."""
    if facts.serial:
        device = store.find_by_serial(facts.serial)
        if device is not None:
            return Match(device, SYSTEM_SERIAL, facts.serial)
    tries: list[tuple[str, str]] = []
    if facts.uuid:
        tries.append((SYSTEM_UUID, facts.uuid))
    tries += [(DISK_SERIAL, s) for s in facts.disk_serials]
    tries += [(MAC, m) for m in facts.macs]
    for kind, value in tries:
        if kind == DISK_SERIAL:
            device = store.find_by_disk_serial(value)
        else:
            device = store.find_by_fact(kind, value)
        if device is not None and _agrees(store, device, facts, kind):
            return Match(device, kind, value)
    for value in facts.disk_serials:
        # A placeholder from a donor's sheet or a scan whose serial is the disk's own sticker.
        device = store.find_by_serial(value)
        if device is not None and not getattr(device, "probed_at", None):
            return Match(device, DISK_SERIAL, value)
    return None


def _agrees(store: Lookup, device: Any, facts: Facts, by: str) -> bool:
    """Whether the stronger facts of the device and the probe do not contradict each other."""
    if facts.serial and device.serial and device.serial != facts.serial:
        return False
    if by != SYSTEM_UUID and facts.uuid:
        known = store.facts_of_device(device.asset_id).get(SYSTEM_UUID) or []
        if known and facts.uuid not in known:
            return False
    return True
