"""Whether refurb may erase a disk (pure): every :class:`Blocker` from the lsblk tree and the
live system's facts, what a person types to confirm it, and what changed since it was confirmed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from refurb.disks import LIVE_MEDIUM_MOUNTS
from refurb.i18n import _
from refurb.wipe.disk import (
    HOLDER_TYPES,
    SYSTEM_MOUNTS,
    Blocker,
    Confirmation,
    Disk,
    _bool,
    _int,
    _mountpoints,
    _text,
    build_disk,
    parse_lsblk,
    walk,
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
