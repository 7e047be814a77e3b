"""Disk discovery and the safety rules, on real captured lsblk / mountinfo / swaps / smartctl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from refurb.wipe.discovery import (
    SystemFacts,
    assess,
    build_disk,
    confirmation_for,
    find_node,
    parse_lsblk,
    parse_mountinfo,
    parse_swaps,
    smartctl_identity,
)

HERE = Path(__file__).parent / "fixtures" / "wipe"
LSBLK = (HERE / "lsblk-loops.json").read_text()
MOUNTINFO = (HERE / "mountinfo-loops.txt").read_text()
SWAPS = (HERE / "swaps-loops.txt").read_text()


def facts(**extra) -> SystemFacts:
    base = SystemFacts(mounts=parse_mountinfo(MOUNTINFO), swaps=parse_swaps(SWAPS))
    for key, value in extra.items():
        setattr(base, key, value)
    return base


def by_name(disks):
    return {d.name: d for d in disks}


def codes(disk) -> list[str]:
    return [b.code for b in disk.blockers]


def test_every_top_level_disk_is_listed_with_its_size_and_path():
    disks, warnings = assess(LSBLK, facts())
    assert warnings == []
    raw = json.loads(LSBLK)["blockdevices"]
    assert [d.name for d in disks] == [n["name"] for n in raw]
    for disk, node in zip(disks, raw, strict=True):
        assert disk.path == node["path"]
        assert disk.size_bytes == node["size"]


def test_system_disk_mounted_partition_swap_and_read_only_are_refused():
    disks = by_name(assess(LSBLK, facts())[0])
    assert codes(disks["vda"]) == ["system"]
    assert "/ on vda" in disks["vda"].blockers[0].message
    # loop0 has an active swap partition and a mounted ext4 partition: both are named.
    assert codes(disks["loop0"]) == ["system", "mounted"]
    assert "swap on loop0p2" in disks["loop0"].blockers[0].message
    assert "loop0p1 on /media/refurb-usb" in disks["loop0"].blockers[1].message
    assert codes(disks["loop1"]) == ["read_only"]
    assert codes(disks["zram0"]) == ["empty"]
    assert disks["loop2"].erasable and disks["loop2"].blockers == []


def test_mounts_are_found_from_mountinfo_even_when_lsblk_missed_them():
    data = json.loads(LSBLK)
    for node in data["blockdevices"]:
        for n in [node, *node.get("children", [])]:
            n["mountpoints"] = [None]
            n.pop("mountpoint", None)
    disks = by_name(assess(json.dumps(data), facts())[0])
    assert "system" in codes(disks["vda"])
    assert "mounted" in codes(disks["loop0"])
    # ... and swap from /proc/swaps.
    assert "swap on loop0p2" in disks["loop0"].blockers[0].message


def test_the_disk_refurb_runs_from_is_refused():
    spare = find_node(LSBLK, "7:2")[0]
    assert spare is not None and spare["name"] == "loop2"
    disks = by_name(assess(LSBLK, facts(self_devices={"7:2"}))[0])
    assert codes(disks["loop2"]) == ["refurb_medium"]
    disks = by_name(assess(LSBLK, facts(self_sources={"/dev/loop2"}))[0])
    assert codes(disks["loop2"]) == ["refurb_medium"]


def test_the_disk_under_slash_is_the_system_even_where_no_mount_point_reads_slash():
    """In a chroot or container the root file system's mount point is not "/"; st_dev still is."""
    spare = find_node(LSBLK, "7:2")[0]
    disks = by_name(assess(LSBLK, facts(root_devices={spare["maj:min"]}))[0])
    assert codes(disks["loop2"]) == ["system"]
    assert "/ on loop2" in disks["loop2"].blockers[0].message


def test_a_live_medium_is_named_as_such():
    mountinfo = MOUNTINFO.replace("/media/refurb-usb", "/run/live/medium")
    data = json.loads(LSBLK.replace("/media/refurb-usb", "/run/live/medium"))
    disks = by_name(assess(json.dumps(data), SystemFacts(mounts=parse_mountinfo(mountinfo)))[0])
    assert "live_medium" in codes(disks["loop0"])


def test_old_lsblk_strings_are_understood():
    """lsblk before 2.33 printed every value as a string ("0", "1", sizes as text)."""
    data = json.loads(LSBLK)

    def stringify(node):
        for key, value in list(node.items()):
            if isinstance(value, bool):
                node[key] = "1" if value else "0"
            elif isinstance(value, int):
                node[key] = str(value)
        for child in node.get("children", []):
            stringify(child)

    for node in data["blockdevices"]:
        stringify(node)
        node["mountpoint"] = (node.pop("mountpoints") or [None])[0]
        for child in node.get("children", []):
            child["mountpoint"] = (child.pop("mountpoints") or [None])[0]
    disks = by_name(assess(json.dumps(data), facts())[0])
    assert disks["loop1"].read_only and codes(disks["loop1"]) == ["read_only"]
    assert disks["loop2"].size_bytes == 33554432 and disks["loop2"].erasable
    assert "mounted" in codes(disks["loop0"])


@pytest.mark.parametrize("garbage", ["", "not json", "[]", '{"blockdevices": 3}', "{"])
def test_garbled_lsblk_gives_warnings_not_exceptions(garbage):
    parsed = parse_lsblk(garbage)
    assert parsed["blockdevices"] == []
    assert parsed["warnings"]
    disks, warnings = assess(garbage, SystemFacts())
    assert disks == [] and warnings


def test_mountinfo_escapes_are_decoded():
    line = "42 27 259:0 / /media/my\\040stick rw,relatime - vfat /dev/sdb1 rw\n"
    assert parse_mountinfo(line) == [
        {
            "maj_min": "259:0",
            "mountpoint": "/media/my stick",
            "fstype": "vfat",
            "source": "/dev/sdb1",
        }
    ]
    assert parse_mountinfo("garbage\n\n1 2 3") == []


def test_smartctl_identity_from_real_outputs():
    ata = smartctl_identity((HERE / "smartctl" / "scrutiny-smart-ata.json").read_text())
    assert ata["model"] == "WDC WD140EDFZ-11A0VA0"
    assert ata["serial"] == "9RK1XXXX"
    assert ata["protocol"] == "ATA"
    assert ata["rotation_rate"] == 5400
    assert ata["wwn"] == "0x5000cca264eb01d7"
    nvme = smartctl_identity((HERE / "smartctl" / "scrutiny-smart-nvme.json").read_text())
    assert nvme["serial"] == "BTNH93710FS91P0B"
    assert nvme["protocol"] == "NVMe"
    assert smartctl_identity("") == {} and smartctl_identity("{oops") == {}


def test_smartctl_fills_what_lsblk_lacks_and_a_usb_bridge_stays_usb():
    node = find_node(LSBLK, "254:0")[0]
    smart = smartctl_identity((HERE / "smartctl" / "scrutiny-smart-ata.json").read_text())
    disk = build_disk(node, smart=smart)
    assert disk.serial == "9RK1XXXX" and disk.model == "WDC WD140EDFZ-11A0VA0"
    assert disk.protocol == "ATA" and disk.rotational is True
    usb = dict(node, subsystems="block:scsi:usb:pci", tran="usb")
    assert build_disk(usb, smart=smart).protocol == "USB"


def test_confirmation_asks_for_the_serial_or_for_a_loop_device_its_file():
    node = find_node(LSBLK, "7:2")[0]
    loop = build_disk(node, backing_file="/var/tmp/x/spare.img")
    confirm = confirmation_for(loop)
    assert confirm.tokens == ("spare.img", "loop2")
    assert "backing file" in confirm.what
    smart = smartctl_identity((HERE / "smartctl" / "scrutiny-smart-nvme.json").read_text())
    nvme = build_disk(find_node(LSBLK, "254:0")[0], smart=smart)
    assert confirmation_for(nvme).tokens == ("BTNH93710FS91P0B",)
    bare = build_disk(find_node(LSBLK, "254:0")[0])
    assert confirmation_for(bare).tokens == ("vda",)
    assert "no serial" in confirmation_for(bare).what
