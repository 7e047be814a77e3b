"""The probe core: captured folders, the live system, capture round trips, bad input, summary."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from support_probe import E480, FIXTURES, VM, assert_probe_shape, copy_folder

from refurb import probe
from refurb.env import Env
from refurb.errors import InvalidInput
from refurb.runner import ReplayRunner, Runner

GIB = 2**30


# -- captured folders ----------------------------------------------------------------------------


def test_thinkpad_folder():
    result = probe.probe_from_dir(E480)
    assert_probe_shape(result)
    system = result["system"]
    assert (system["manufacturer"], system["product_name"], system["model"]) == (
        "LENOVO",
        "20KNS0E200",
        "ThinkPad E480",
    )
    assert system["serial"] is None and system["chassis_type"] == "Notebook"
    assert result["bios"]["vendor"] == "LENOVO"
    cpu = result["cpu"]  # no cpuinfo.txt: taken from DMI's Processor Information
    assert "i5-8250U" in cpu["model"] and (cpu["cores"], cpu["threads"], cpu["vendor"]) == (
        4,
        8,
        "Intel",
    )
    memory = result["memory"]
    assert (memory["installed_bytes"], memory["slots_total"], memory["slots_used"]) == (
        8 * GIB,
        2,
        1,
    )
    assert memory["usable_bytes"] is None
    disks = {d["name"]: d for d in result["disks"]}
    assert set(disks) == {"sda", "nvme0"}
    assert disks["sda"]["serial"] == "S3YZNB0KB00864E" and disks["sda"]["rotational"] is False
    assert disks["nvme0"]["serial"] is None  # "REDACTED" upstream
    assert disks["nvme0"]["protocol"] == "NVMe" and disks["nvme0"]["nvme_percentage_used"] == 0
    (bat,) = result["batteries"]  # the AC adapter is not a battery
    assert (bat["name"], bat["health_pct"], bat["cycle_count"]) == ("BAT0", 94.4, 205)
    (display,) = result["displays"]
    assert (display["manufacturer_id"], display["native_resolution"], display["connector"]) == (
        "LPL",
        "1280x800",
        "eDP-1",
    )
    assert result["os"]["id"] == "debian"
    text = "\n".join(result["warnings"])
    for missing in ("meminfo.txt", "lspci.txt", "sys/"):
        assert missing in text
    assert "serial" in text  # the masked system serial is explained


def test_virtual_machine_folder_says_why_things_are_unknown():
    result = probe.probe_from_dir(VM)
    assert_probe_shape(result)
    assert all(v is None for v in result["system"].values())
    assert result["memory"]["installed_bytes"] is None and result["memory"]["usable_bytes"] > 0
    assert result["cpu"]["threads"] >= 1
    assert result["batteries"] == [] and result["displays"] == []
    assert result["secure_boot"] is False  # captured on a legacy-BIOS boot
    assert [n["kind"] for n in result["network"]] == ["ethernet"]  # ifb* are virtual
    text = "\n".join(result["warnings"])
    assert "DMI" in text and "battery" in text and "EDID" in text and "TPM" in text
    names = [d["name"] for d in result["disks"]]
    assert names and all(any(n in w for w in result["warnings"]) for n in names)


def test_missing_folder_is_invalid_input(tmp_path):
    with pytest.raises(InvalidInput, match="no such folder"):
        probe.probe_from_dir(tmp_path / "nope")


def test_empty_folder_is_invalid_input(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing a probe reads")
    with pytest.raises(InvalidInput, match="nothing to read"):
        probe.probe_from_dir(tmp_path)


def test_folder_with_only_garbage_is_invalid_input(tmp_path):
    (tmp_path / "dmidecode.txt").write_bytes(os.urandom(2000))
    with pytest.raises(InvalidInput, match="nothing usable") as info:
        probe.probe_from_dir(tmp_path)
    assert "dmidecode.txt" in info.value.message


@pytest.mark.parametrize(
    ("rel", "data", "gone"),
    [
        ("smartctl/sda.json", b'{"json_format_version": [1, 0], "smartctl": {"exit_st', "sda"),
        ("edid/card0-eDP-1.bin", b"\x00\xff\xff\xff\xff\xff\xff\x00\x06\xaf", "displays"),
        ("power_supply/BAT0/uevent", b"\x89PNG\r\n\x1a\n\x00\x00", "batteries"),
        ("dmidecode.txt", b"Handle 0x0000, DMI ty", "system"),
    ],
)
def test_a_corrupt_file_loses_only_its_part(tmp_path, rel, data, gone):
    folder = copy_folder(E480, tmp_path / "e480")
    (folder / rel).write_bytes(data)
    result = probe.probe_from_dir(folder)
    assert_probe_shape(result)
    assert any(rel in w for w in result["warnings"]), result["warnings"]
    intact = probe.probe_from_dir(E480)
    if gone == "sda":
        assert [d["name"] for d in result["disks"]] == ["nvme0"]
    elif gone == "system":
        assert result["system"]["model"] is None
        assert result["disks"] == intact["disks"]
    else:
        assert result[gone] == []
        assert result["system"] == intact["system"] and result["disks"] == intact["disks"]


def test_unreadable_file_is_named(tmp_path):
    folder = copy_folder(E480, tmp_path / "e480")
    (folder / "os-release").unlink()
    # A file whose read fails even for root: /proc/self/mem has no page at offset 0.
    (folder / "os-release").symlink_to("/proc/self/mem")
    result = probe.probe_from_dir(folder)
    assert "os-release cannot be read: operating system unknown" in result["warnings"]
    assert result["os"] is None and result["system"]["model"] == "ThinkPad E480"


# -- live probing with replayed tools ------------------------------------------------------------


def _fake_root(tmp_path: Path) -> Path:
    """A /proc, /sys and /etc made of captured files (the VM's /proc, a laptop's sysfs files)."""
    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True)
    shutil.copy(VM / "cpuinfo.txt", root / "proc" / "cpuinfo")
    shutil.copy(VM / "meminfo.txt", root / "proc" / "meminfo")
    (root / "etc").mkdir()
    shutil.copy(VM / "os-release", root / "etc" / "os-release")
    for name in ("BAT0", "AC"):
        dest = root / "sys/class/power_supply" / name
        dest.mkdir(parents=True)
        shutil.copy(E480 / "power_supply" / name / "uevent", dest / "uevent")
    drm = root / "sys/class/drm/card0-eDP-1"
    drm.mkdir(parents=True)
    shutil.copy(E480 / "edid" / "card0-eDP-1.bin", drm / "edid")
    (root / "sys/class/drm/card0-HDMI-A-1").mkdir()
    (root / "sys/class/drm/card0-HDMI-A-1/edid").write_bytes(b"")  # nothing plugged in
    shutil.copytree(VM / "sys" / "class" / "net", root / "sys/class/net")
    tpm = root / "sys/class/tpm/tpm0"
    tpm.mkdir(parents=True)
    (tpm / "tpm_version_major").write_text("2\n")
    efivars = root / "sys/firmware/efi/efivars"
    efivars.mkdir(parents=True)
    (root / "sys/firmware/efi/fw_platform_size").write_text("64\n")
    (efivars / probe.SECURE_BOOT_VAR.rsplit("/", 1)[1]).write_bytes(b"\x06\x00\x00\x00\x01")
    return root


def _laptop_runner() -> ReplayRunner:
    return ReplayRunner(
        answers={
            ("dmidecode",): (0, (E480 / "dmidecode.txt").read_text(), ""),
            ("lsblk", "-J", "-b", "-O"): (0, (VM / "lsblk.json").read_text(), ""),
            ("smartctl", "-x", "--json", "/dev/vda"): (
                0,
                (FIXTURES / "smartctl" / "scrutiny-smart-ata-full.json").read_text(),
                "",
            ),
            ("lspci", "-mm", "-nn"): (0, (VM / "lspci.txt").read_text(), ""),
        }
    )


def test_live_probe_runs_every_tool_through_the_runner(tmp_path):
    env = Env(runner=_laptop_runner())
    result = probe.probe_live(env, root=_fake_root(tmp_path))
    assert_probe_shape(result)
    ran = sorted(r.argv[0] for r in env.runner.history)
    assert ran == ["dmidecode", "lsblk", "lspci", "smartctl"]
    assert result["system"]["model"] == "ThinkPad E480"
    assert result["cpu"]["model"]  # from the captured /proc/cpuinfo
    assert result["memory"]["usable_bytes"] > 0 and result["memory"]["installed_bytes"] == 8 * GIB
    (disk,) = result["disks"]
    assert disk["name"] == "vda" and disk["model"] == "Samsung SSD 860 EVO 500GB"
    assert [d["connector"] for d in result["displays"]] == ["eDP-1"]
    assert result["batteries"][0]["health_pct"] == 94.4
    assert result["tpm"] == {"version": "2.0"} and result["secure_boot"] is True


def test_capture_then_from_gives_the_same_probe(tmp_path):
    env = Env(runner=_laptop_runner())
    folder = tmp_path / "capture"
    live = probe.capture(env, folder, root=_fake_root(tmp_path))
    assert (folder / "dmidecode.txt").is_file() and (folder / "smartctl" / "vda.json").is_file()
    assert (folder / "edid" / "card0-eDP-1.bin").read_bytes()[:8] == bytes.fromhex(
        "00ffffffffffff00"
    )
    manifest = json.loads((folder / "capture.json").read_text())
    assert {tuple(c["argv"])[0] for c in manifest["commands"]} >= {"dmidecode", "smartctl"}
    assert probe.probe_from_dir(folder) == live


def test_machine_without_tools_or_firmware_tables(tmp_path):
    """No dmidecode, lsblk, lspci or smartctl, and an empty /sys: all unknown, and said why."""
    env = Env(runner=ReplayRunner(answers={}))
    root = tmp_path / "bare"
    root.mkdir()
    result = probe.probe_live(env, root=root)
    assert_probe_shape(result)
    text = "\n".join(result["warnings"])
    assert "dmidecode is not installed" in text
    assert "lsblk is not installed" in text
    assert "lspci is not installed" in text
    assert "battery" in text


def test_dmidecode_without_root_falls_back_to_sysfs(tmp_path, monkeypatch):
    root = tmp_path / "root"
    dmi = root / probe.DMI_ID
    dmi.mkdir(parents=True)
    for name, value in {
        "sys_vendor": "LENOVO",
        "product_name": "20FMA03MCL",
        "product_version": "ThinkPad T460",
        "chassis_type": "10",
        "bios_vendor": "LENOVO",
        "bios_date": "09/21/2018",
    }.items():
        (dmi / name).write_text(value + "\n")
    runner = ReplayRunner(
        answers={
            ("dmidecode",): (
                1,
                "# dmidecode 3.4\n",
                "/sys/firmware/dmi/tables/smbios_entry_point: Permission denied\n",
            )
        }
    )
    result = probe.probe_live(Env(runner=runner), root=root)
    assert result["system"]["model"] == "ThinkPad T460"
    assert result["system"]["chassis_type"] == "Notebook"
    assert result["system"]["serial"] is None
    assert result["bios"]["date"] == "2018-09-21"
    assert any("needs root" in w and "sudo" in w for w in result["warnings"])


# -- the real machine ---------------------------------------------------------------------------


def _check_warnings_explain_gaps(result: dict) -> None:
    text = "\n".join(result["warnings"]).lower()
    if result["system"]["model"] is None:
        assert "model" in text
    if result["memory"]["installed_bytes"] is None:
        assert "memory" in text
    if not result["batteries"]:
        assert "battery" in text
    if not result["displays"]:
        assert "screen" in text or "edid" in text
    for disk in result["disks"]:
        if disk["smart_passed"] is None and not (disk["protocol"] == "USB" and disk["removable"]):
            assert disk["name"].lower() in text, disk["name"]


def test_live_probe_of_this_machine():
    result = probe.probe_live(Env())
    assert_probe_shape(result)
    _check_warnings_explain_gaps(result)


class _Unprivileged(Runner):
    """Runs every tool as user nobody (through setpriv), as on a workbench without sudo."""

    def run(self, argv, **kwargs):
        if self.which(argv[0]) is None:
            return super().run(argv, **kwargs)
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        return super().run([*drop, *argv], **kwargs)


def test_live_probe_without_root(monkeypatch):
    """As an ordinary user: no serials, no SMART, and warnings that say to use sudo."""
    runner = Runner()
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv (util-linux) is needed to drop root")
        runner = _Unprivileged()
        monkeypatch.setattr(probe.sources, "_is_root", lambda: False)
    result = probe.probe_live(Env(runner=runner))
    assert_probe_shape(result)
    assert result["system"]["serial"] is None
    _check_warnings_explain_gaps(result)
    if shutil.which("dmidecode"):
        assert any("dmidecode needs root" in w and "sudo" in w for w in result["warnings"])
    for disk in result["disks"]:
        assert disk["smart_passed"] is None


# -- summary ------------------------------------------------------------------------------------


def test_summary_of_the_thinkpad():
    facts = probe.summary(probe.probe_from_dir(E480))
    assert facts["name"] == "Lenovo ThinkPad E480"
    assert facts["manufacturer"] == "Lenovo" and facts["model"] == "ThinkPad E480"
    assert facts["cpu"] == "Intel Core i5-8250U"
    assert facts["ram_bytes"] == 8 * GIB and facts["ram_from_modules"] is True
    assert [(d["name"], d["kind"], d["health"]) for d in facts["disks"]] == [
        ("nvme0", "NVMe SSD", "good"),
        ("sda", "SSD", "good"),
    ]
    assert facts["storage_bytes"] == 250059350016 + 500107862016
    assert facts["battery_health_pct"] == 94.4 and facts["battery_count"] == 1
    assert facts["screen"] == '14.1" 1280x800'  # the LP141WX3 is a 14.1" panel


def test_summary_leaves_out_usb_disks_and_reports_failing_ones(tmp_path):
    (tmp_path / "smartctl").mkdir()
    shutil.copy(FIXTURES / "smartctl" / "scrutiny-smart-fail2.json", tmp_path / "smartctl")
    result = probe.probe_from_dir(tmp_path)
    (disk,) = result["disks"]
    assert disk["protocol"] == "USB" and disk["smart_passed"] is False
    health, reasons = probe.disk_health(disk)
    assert health == "failing"
    assert any("1975" in r for r in reasons) and any("8 pending" in r for r in reasons)
    assert probe.summary(result)["disks"] == []  # a USB disk is not part of the laptop


def test_worn_disk(tmp_path):
    data = json.loads((FIXTURES / "smartctl" / "scrutiny-smart-ata-full.json").read_text())
    for row in data["ata_smart_attributes"]["table"]:
        if row["id"] == 5:
            row["raw"]["value"] = 12
    (tmp_path / "smartctl").mkdir()
    (tmp_path / "smartctl" / "sda.json").write_text(json.dumps(data))
    (disk,) = probe.probe_from_dir(tmp_path)["disks"]
    assert probe.disk_health(disk) == ("worn", ["12 reallocated sectors"])


def test_two_batteries_combine_by_energy():
    result = probe.probe_from_dir(E480)
    result["batteries"].append(
        {
            "name": "BAT1",
            "manufacturer": "LGC",
            "model": "42T4969",
            "design_wh": 20.0,
            "full_wh": 10.0,
            "health_pct": 50.0,
            "cycle_count": None,
        }
    )
    assert probe.summary(result)["battery_health_pct"] == round(100 * 52.75 / 65.28, 1)


@pytest.mark.parametrize(
    ("display", "inches"),
    [
        ({"size_mm": [344, 193], "diagonal_inches": 15.3}, 15.6),
        ({"size_mm": [256, 144], "diagonal_inches": 11.6}, 11.6),
        ({"size_mm": [294, 165], "diagonal_inches": 13.3}, 13.3),
        ({"size_mm": None, "diagonal_inches": 15.3}, 15.3),
        ({"size_mm": [16, 9], "diagonal_inches": 15.3}, 15.3),  # aspect ratio, not a size
    ],
)
def test_screen_inches(display, inches):
    assert probe.screen_inches(display) == inches


def test_summary_of_an_empty_probe_is_all_unknown():
    facts = probe.summary(probe.probe_from_dir(VM))
    assert facts["name"] is None and facts["battery_health_pct"] is None
    assert facts["screen"] is None and facts["ram_from_modules"] is False
    assert facts["disks"][0]["health"] == "unknown"


def test_the_usb_boot_stick_is_listed_but_not_warned_about(tmp_path):
    devices = [
        {"name": "sda", "type": "disk", "size": 500107862016, "tran": "sata", "rota": False},
        {"name": "sdb", "type": "disk", "size": 16008609792, "tran": "usb", "rm": True},
    ]
    (tmp_path / "lsblk.json").write_text(json.dumps({"blockdevices": devices}))
    result = probe.probe_from_dir(tmp_path)
    disks = {d["name"]: d for d in result["disks"]}
    assert disks["sdb"]["protocol"] == "USB" and disks["sdb"]["removable"] is True
    assert any(w.startswith("sda:") for w in result["warnings"])
    assert not any("sdb" in w for w in result["warnings"])
    assert [d["name"] for d in probe.summary(result)["disks"]] == ["sda"]
