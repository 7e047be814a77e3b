"""One machine, one asset: `probe --save` recognises a laptop without a serial by its UUID, disks
or network addresses, never by a placeholder or by a USB adapter that goes from laptop to laptop."""

from __future__ import annotations

from pathlib import Path

import pytest
from support_probe import E480, VM, copy_folder

from refurb import identity

VM_MAC = "02:fc:00:00:00:01"  # eth0 of the captured VM (virtio)
REAL_UUID = "4c4c4544-0042-3510-8052-b4c04f4a4b32"
SDA = "S3YZNB0KB00864E"  # the E480's SATA disk


def _e480(tmp_path: Path, name: str, *, uuid: str | None = None, disk: str | None = None) -> Path:
    """The E480 capture (its serial is masked: "--") with a DMI UUID and another disk serial."""
    folder = copy_folder(E480, tmp_path / name)
    dmi = folder / "dmidecode.txt"
    if uuid is not None:
        dmi.write_text(dmi.read_text().replace("\tUUID: --", f"\tUUID: {uuid}", 1))
    if disk is not None:
        sda = folder / "smartctl" / "sda.json"
        sda.write_text(sda.read_text().replace(SDA, disk))
    return folder


def _vm(tmp_path: Path, name: str, *, usb: bool = False) -> Path:
    folder = copy_folder(VM, tmp_path / name)
    if usb:  # the same MAC on a USB adapter (r8152, a USB-C dock's Ethernet)
        (folder / "sys/class/net/eth0/device/uevent").write_text(
            "DEVTYPE=usb_interface\nDRIVER=r8152\nPRODUCT=bda/8153/3100\n"
            "MODALIAS=usb:v0BDAp8153d3100dc00dsc00dp00icFFiscFFip00in00\n"
        )
    return folder


def _save(run_cli, folder: Path, *args: str, expect: int | None = 0):
    result = run_cli("probe", "--from", str(folder), "--save", *args, "--json", expect=expect)
    return result.json["saved"] if expect == 0 else result


def _assets(run_cli) -> list[str]:
    return [d["asset_id"] for d in run_cli("list", "--json", expect=0).json]


def test_a_vm_probed_twice_is_one_asset_found_by_its_mac(run_cli, initialized):
    first = _save(run_cli, VM, "--create")
    second = _save(run_cli, VM, "--create")
    assert first["created"] is True and second["created"] is False
    assert second["asset_id"] == first["asset_id"]
    assert (second["matched_by"], second["matched_value"]) == ("mac", VM_MAC)
    assert _assets(run_cli) == [first["asset_id"]]
    text = run_cli("probe", "--from", str(VM), "--save", expect=0).stdout
    assert f"found by its network address {VM_MAC}" in text
    nl = run_cli("--lang", "nl", "probe", "--from", str(VM), "--save", expect=0).stdout
    assert f"gevonden via zijn netwerkadres {VM_MAC}" in nl


def test_the_uuid_comes_before_the_disks(run_cli, initialized, tmp_path):
    first = _save(run_cli, _e480(tmp_path, "a", uuid=REAL_UUID.upper()), "--create")
    # The same laptop with its SSD replaced: the firmware UUID still knows it.
    swapped = _save(run_cli, _e480(tmp_path, "b", uuid=REAL_UUID, disk="S4NEWDISK0001"))
    assert (swapped["asset_id"], swapped["matched_by"]) == (first["asset_id"], "system_uuid")
    assert swapped["matched_value"] == REAL_UUID
    text = run_cli("probe", "--from", str(tmp_path / "b"), "--save", expect=0).stdout
    assert f"found by its firmware UUID {REAL_UUID}" in text


@pytest.mark.parametrize(
    "placeholder",
    [
        "00000000-0000-0000-0000-000000000000",
        "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
        "03000200-0400-0500-0006-000700080009",
    ],
)
def test_a_placeholder_uuid_is_no_id(run_cli, initialized, tmp_path, placeholder):
    _save(run_cli, _e480(tmp_path, "a", uuid=placeholder, disk="S4AAAA0001"), "--create")
    other = _e480(tmp_path, "b", uuid=placeholder, disk="S4BBBB0002")
    result = _save(run_cli, other, expect=1)
    assert "no asset matches" in result.stderr and "S4BBBB0002" in result.stderr
    assert "UUID" not in result.stderr  # the placeholder is not shown as an id either
    _save(run_cli, other, "--create")
    assert len(_assets(run_cli)) == 2


def test_a_usb_network_adapter_is_not_the_laptops(run_cli, initialized, tmp_path):
    _save(run_cli, _vm(tmp_path, "one", usb=True), "--create")
    # Another machine with no id of its own, the same dock plugged in.
    result = _save(run_cli, _vm(tmp_path, "two", usb=True), expect=1)
    assert "no asset matches" in result.stderr and VM_MAC not in result.stderr
    assert len(_assets(run_cli)) == 1


def test_a_disk_moved_between_laptops_without_serials(run_cli, initialized, tmp_path):
    uuid_b = "4c4c4544-0042-3510-8052-b4c04f4a4b33"
    _save(run_cli, _e480(tmp_path, "a", uuid=REAL_UUID), "--create")
    # Laptop B has another firmware UUID but received laptop A's disk.
    result = _save(run_cli, _e480(tmp_path, "b", uuid=uuid_b), expect=1)
    assert "no asset matches" in result.stderr and uuid_b in result.stderr
    # Without a UUID on either side the disk still decides (as before).
    _save(run_cli, _e480(tmp_path, "c"), "--create")
    again = _save(run_cli, _e480(tmp_path, "d"))
    assert again["matched_by"] == "disk_serial" and again["matched_value"] == SDA


def test_rebuild_keeps_the_index(run_cli, initialized):
    first = _save(run_cli, VM, "--create")
    run_cli("admin", "rebuild", expect=0)
    again = _save(run_cli, VM)
    assert (again["asset_id"], again["matched_by"]) == (first["asset_id"], "mac")


def test_upgrading_a_store_indexes_the_uuids_already_probed(run_cli, initialized, tmp_path):
    from alembic import command
    from alembic.config import Config

    from refurb.env import Env
    from refurb.store import MIGRATIONS, make_engine

    first = _save(run_cli, _e480(tmp_path, "a", uuid=REAL_UUID), "--create")
    engine = make_engine(Env().database_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")  # a store as the previous refurb left it
    engine.dispose()
    # The next command migrates it; the UUID of the probe in the log is indexed by the upgrade.
    found = _save(run_cli, _e480(tmp_path, "b", uuid=REAL_UUID, disk="S4NEWDISK0001"))
    assert (found["asset_id"], found["matched_by"]) == (first["asset_id"], "system_uuid")


def test_facts_of_a_probe():
    probe = {
        "system": {
            "serial": "To be filled by O.E.M.",
            "uuid": "00000000-0000-0000-0000-000000000000",
        },
        "disks": [
            {"name": "sda", "serial": "S3YZ", "protocol": "ATA"},
            {"name": "sdb", "serial": "USB123", "protocol": "USB"},
            {"name": "nvme0n1", "serial": "0000000000000000"},
        ],
        "network": [
            {"name": "wlp2s0", "kind": "wifi", "mac": "A4:34:D9:01:02:03", "bus": "pci"},
            {"name": "enx00e04c", "kind": "ethernet", "mac": "00:e0:4c:68:00:01", "bus": "usb"},
            {"name": "eth0", "kind": "ethernet", "mac": "00:00:00:00:00:00", "bus": "pci"},
            {"name": "eth1", "kind": "ethernet", "mac": "52:54:00:12:34:56"},  # no bus: older probe
        ],
    }
    facts = identity.facts_of(probe)
    assert facts == identity.Facts(
        serial=None, uuid=None, disk_serials=("S3YZ",), macs=("a4:34:d9:01:02:03",)
    )
