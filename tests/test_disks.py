"""Which disks are the laptop's own, read once from real-shaped `lsblk -J -b -O` captures by the
probe (`probe --from DIR`) and by erasure discovery, and what readiness makes of them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from refurb import disks
from refurb.env import Env
from refurb.probe import probe_from_dir
from refurb.projection import missing_for_ready
from refurb.store import open_store
from refurb.wipe.discovery import SystemFacts, assess, build_disk

LSBLK = Path(__file__).parent / "fixtures" / "lsblk"


def _folder(tmp_path: Path, capture: str) -> Path:
    folder = tmp_path / capture
    folder.mkdir()
    shutil.copy(LSBLK / f"{capture}.json", folder / "lsblk.json")
    return folder


def _probe_cli(run_cli, tmp_path: Path, capture: str) -> dict[str, dict[str, Any]]:
    probe = run_cli("probe", "--from", str(_folder(tmp_path, capture)), "--json", expect=0).json
    return {d["name"]: d for d in probe["disks"]}


def _wipe_list(capture: str) -> dict[str, dict[str, Any]]:
    found, warnings = assess((LSBLK / f"{capture}.json").read_text(), SystemFacts())
    assert warnings == []
    return {d.name: d.to_dict() for d in found if d.type == "disk"}


# -- the rule --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disk", "reason"),
    [
        ({"name": "mmcblk0", "protocol": "MMC", "removable": False, "hotplug": True}, None),
        ({"name": "sda", "protocol": "ATA", "removable": False, "hotplug": True}, None),
        ({"name": "sdc", "protocol": "SCSI", "removable": True, "hotplug": True}, "removable"),
        ({"name": "mmcblk1", "protocol": "MMC", "mmc_type": "SD", "hotplug": True}, "removable"),
        ({"name": "mmcblk0", "protocol": "MMC", "mmc_type": "MMC", "hotplug": True}, None),
        ({"name": "sdb", "protocol": "USB", "transport": "usb", "hotplug": True}, "usb"),
        (
            {
                "name": "nvme1n1",
                "protocol": "NVMe",
                "subsystems": "block:nvme:thunderbolt:pci",
                "hotplug": False,
            },
            "thunderbolt",
        ),  # fmt: skip
        ({"name": "sda", "protocol": "USB", "live_medium": True, "hotplug": True}, "live_medium"),
        # a probe recorded before the rule stored rm-or-hotplug: its eMMC is the laptop's own
        ({"name": "mmcblk0", "protocol": "MMC", "removable": True}, None),
        ({"name": "sdb", "protocol": "USB", "removable": True}, "usb"),
    ],
)
def test_one_rule_for_the_laptops_own_disks(disk: dict[str, Any], reason: str | None) -> None:
    assert disks.not_own_reason(disk) == reason
    assert disks.is_internal(disk) is (reason is None)


def test_emmc_areas_belong_to_their_emmc() -> None:
    assert [disks.mmc_area_of(n) for n in ("mmcblk0boot0", "mmcblk1boot1", "mmcblk0rpmb")] == [
        "mmcblk0",
        "mmcblk1",
        "mmcblk0",
    ]
    assert disks.mmc_area_of("mmcblk0") is None and disks.mmc_area_of("mmcblk0p1") is None


def test_disk_key_is_the_serial_else_the_kernel_name() -> None:
    assert disks.disk_key({"serial": " S41GNX0M ", "name": "nvme0n1"}) == "S41GNX0M"
    assert disks.disk_key({"serial": None, "path": "/dev/loop3"}) == "dev:loop3"


# -- probe --from DIR ------------------------------------------------------------------------------


def test_probe_emmc_sd_card_and_live_stick(run_cli, tmp_path: Path) -> None:
    found = _probe_cli(run_cli, tmp_path, "emmc-sd-usb")
    assert list(found) == ["sda", "sdb", "mmcblk0"]  # the boot partitions are not disks
    emmc = found["mmcblk0"]
    assert (emmc["protocol"], emmc["removable"], emmc["hotplug"]) == ("MMC", False, True)
    assert emmc["children"][-2:] == ["mmcblk0boot0", "mmcblk0boot1"]
    assert emmc["serial"] == "0x8a3c51f2" and emmc["size_bytes"] == 62537072640
    assert found["sda"]["live_medium"] is True and found["sdb"]["removable"] is True
    reasons = {name: disks.not_own_reason(d) for name, d in found.items()}
    assert reasons == {"sda": "live_medium", "sdb": "removable", "mmcblk0": None}
    text = run_cli("probe", "--from", str(tmp_path / "emmc-sd-usb"), expect=0).stdout
    assert "64 GB eMMC" in text and "the medium refurb runs from" in text


def test_probe_sd_card_in_a_pcie_reader_is_told_from_the_emmc_by_sysfs(
    run_cli, tmp_path: Path
) -> None:
    folder = _folder(tmp_path, "emmc-sd-pcie")
    for name, kind in (("mmcblk0", "MMC"), ("mmcblk1", "SD")):
        (folder / "sys" / "block" / name / "device").mkdir(parents=True)
        (folder / "sys" / "block" / name / "device" / "type").write_text(kind + "\n")
    probe = run_cli("probe", "--from", str(folder), "--json", expect=0).json
    found = {d["name"]: d for d in probe["disks"]}
    assert list(found) == ["sda", "mmcblk0", "mmcblk1"]
    assert found["mmcblk1"]["removable"] is False and found["mmcblk1"]["mmc_type"] == "SD"
    assert {n: disks.not_own_reason(d) for n, d in found.items()} == {
        "sda": "live_medium",
        "mmcblk0": None,
        "mmcblk1": "removable",
    }
    facts = SystemFacts(mmc_types={"mmcblk0": "MMC", "mmcblk1": "SD"})
    listed, _warnings = assess((LSBLK / "emmc-sd-pcie.json").read_text(), facts)
    own = {d.name: d.to_dict()["own"] for d in listed if d.type == "disk"}
    assert own == {"sda": False, "mmcblk0": True, "mmcblk1": False}


def test_probe_nvme_and_sata_on_a_hotplug_port(run_cli, tmp_path: Path) -> None:
    found = _probe_cli(run_cli, tmp_path, "nvme-sata")
    assert found["sda"]["hotplug"] is True and found["sda"]["removable"] is False
    assert [n for n, d in found.items() if disks.is_internal(d)] == ["sda", "nvme0n1"]
    assert found["nvme0n1"]["protocol"] == "NVMe" and found["sda"]["protocol"] == "ATA"


def test_probe_usb_bridged_sata_disk(run_cli, tmp_path: Path) -> None:
    found = _probe_cli(run_cli, tmp_path, "usb-sata")
    usb = found["sdb"]
    assert (usb["protocol"], usb["transport"], usb["removable"]) == ("USB", "usb", False)
    assert usb["serial"] is None  # the bridge's all-zero serial is no serial
    assert disks.not_own_reason(usb) == "usb" and disks.is_internal(found["sda"])


def test_probe_emmc_only_laptop(run_cli, tmp_path: Path) -> None:
    found = _probe_cli(run_cli, tmp_path, "emmc-only")
    assert [n for n, d in found.items() if disks.is_internal(d)] == ["mmcblk0"]
    assert "mmcblk0boot0" not in found and "mmcblk0boot1" not in found


# -- erasure discovery (wipe list) -----------------------------------------------------------------


def test_discovery_reads_the_same_disks() -> None:
    emmc = _wipe_list("emmc-sd-usb")
    assert set(emmc) == {"sda", "sdb", "mmcblk0"}
    assert emmc["mmcblk0"]["protocol"] == "MMC" and emmc["mmcblk0"]["own"] is True
    assert emmc["mmcblk0"]["areas"] == ["mmcblk0boot0", "mmcblk0boot1"]
    assert emmc["sda"]["not_own_reason"] == "live_medium"
    assert emmc["sdb"]["not_own_reason"] == "removable"
    assert any(b["code"] == "live_medium" for b in emmc["sda"]["blockers"])
    usb = _wipe_list("usb-sata")
    assert usb["sdb"]["protocol"] == "USB" and usb["sdb"]["not_own_reason"] == "usb"
    assert usb["sda"]["own"] is True and usb["sda"]["protocol"] == "ATA"
    nvme = _wipe_list("nvme-sata")
    assert {n: d["own"] for n, d in nvme.items()} == {"sda": True, "nvme0n1": True}
    assert set(_wipe_list("emmc-only")) == {"sda", "mmcblk0"}


@pytest.mark.parametrize(
    ("tran", "protocol"), [("pata", "ATA"), ("spi", "SCSI"), ("sata", "ATA"), ("sas", "SCSI")]
)
def test_probe_and_discovery_agree_on_the_protocol(tran: str, protocol: str) -> None:
    from refurb.parsers import lsblk

    node = {"name": "sda", "type": "disk", "size": 40007761920, "tran": tran,
            "subsystems": "block:scsi:pci"}  # fmt: skip
    assert build_disk(node).protocol == protocol
    assert lsblk.record(node)["protocol"] == protocol


# -- readiness -------------------------------------------------------------------------------------


def _erased(name: str, serial: str, size: int) -> dict[str, Any]:
    disk = {"name": name, "model": None, "serial": serial, "size_bytes": size}
    return {
        "wipe_id": f"w-{name}",
        "disk": disk,
        "status": "erased",
        "record": {
            "method": "zero",
            "end": "2026-11-23T10:00:00+00:00",
            "bytes_written": size,
            "verification": {"mode": "full", "fraction": 1.0, "passed": True},
        },
    }


def _seed(tmp_path: Path, capture: str) -> tuple[str, dict[str, Any]]:
    probe = json.loads(json.dumps(probe_from_dir(_folder(tmp_path, capture)), default=str))
    with open_store(Env()) as store:
        device = store.intake({"serial": f"T-{capture}"})
        store.append(device.asset_id, "probe", {"probe": probe})
        store.append(device.asset_id, "os_install", {"image": "Linux Mint", "version": "22.1"})
        store.append(device.asset_id, "grade", {"grade": "B"})
    return device.asset_id, {d["name"]: d for d in probe["disks"]}


def test_emmc_and_sata_laptop_is_not_ready_until_the_emmc_is_erased(
    initialized: Path, tmp_path: Path
) -> None:
    asset, found = _seed(tmp_path, "emmc-sata")
    with open_store(Env()) as store:
        missing = store.readiness(asset)
        assert any("mmcblk0" in m for m in missing) and any("sda" in m for m in missing)
        store.append(asset, "wipe", _erased("sda", "170385420917", found["sda"]["size_bytes"]))
        missing = store.readiness(asset)
        assert len(missing) == 1 and "mmcblk0" in missing[0]
        assert store.device_state(store.get_device(asset))["erasure"] != "erased"
        store.append(asset, "wipe", _erased("mmcblk0", "0x5d2e8f14", 62537072640))
        assert store.readiness(asset) == []
        store.set_status(asset, "ready")
        assert store.get_device(asset).status == "ready"


def test_emmc_only_laptop_can_become_ready(initialized: Path, tmp_path: Path) -> None:
    asset, _found = _seed(tmp_path, "emmc-only")
    with open_store(Env()) as store:
        state = store.device_state(store.get_device(asset))
        assert list(state["disks"]) == ["0x1c3a5b7e"]  # the eMMC; not its boot areas, not the stick
        assert state["storage"] == "32 GB eMMC"
        assert missing_for_ready(state) == store.readiness(asset)
        store.append(asset, "wipe", _erased("mmcblk0", "0x1c3a5b7e", 31268536320))
        assert store.readiness(asset) == []
        store.set_status(asset, "ready")
        assert store.get_device(asset).status == "ready"


def test_certificate_and_grading_count_the_emmc(initialized: Path, tmp_path: Path) -> None:
    from refurb.certificates import disks_from_events
    from refurb.grading import facts_from_probe, load_cpu_rules

    probe = probe_from_dir(_folder(tmp_path, "emmc-sata"))
    listed = disks_from_events([{"id": "e0", "kind": "probe", "payload": {"probe": probe}}])
    assert sorted(d["serial"] for d in listed) == ["0x5d2e8f14", "170385420917"]
    facts = facts_from_probe(probe, load_cpu_rules())
    assert sorted(d["name"] for d in facts.disks) == ["mmcblk0", "sda"]


def test_an_emmc_boot_partition_is_found_under_its_emmc_and_is_read_only() -> None:
    from refurb.wipe.discovery import blockers_for, find_node

    text = (LSBLK / "emmc-only.json").read_text()
    listed, _warnings = assess(text, SystemFacts())
    emmc = next(d for d in listed if d.name == "mmcblk0")
    assert emmc.areas == ["mmcblk0boot0", "mmcblk0boot1"]
    node, top = find_node(text, "179:8")
    assert node is not None and node["name"] == "mmcblk0boot0" and top is node
    assert [b.code for b in blockers_for(node, SystemFacts())] == ["read_only"]
