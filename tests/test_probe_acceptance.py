"""Acceptance runs as a new user does them: real captures of machines outside the first fixture set
go through `probe --from DIR --save --create`, `grade` and `label`, all through the CLI.

Each capture folder is put together from the answer-keyed fixture files (see the READMEs in
tests/fixtures/dmi and tests/fixtures/smartctl); the cases are the ones the acceptance run found
wrong before the fixes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from support_probe import FIXTURES

from refurb.probe import probe_from_dir, summary

CHECKS = ("screen", "keyboard", "touchpad", "webcam", "wifi", "audio", "usb", "hinges", "case")
D630 = "dell-latitude-d630-008c1bf0aebb.txt"
G5070 = "lenovo-g50-70-20351-02c8fb533cfd.txt"
KXG60 = "smartctl_exporter-KXG60ZNV512G_TOSHIBA_2.json"
NO_DEVICE = "smartctl_exporter-nonexistent-device.json"
P3581 = "dell-precision-3581-035ba62136e6.txt"
E480 = FIXTURES / "probe" / "thinkpad-e480"


def capture(tmp_path: Path, dmi: str, smartctl: dict[str, str] | None = None) -> Path:
    """A folder in the layout `refurb probe --capture` writes, from fixture files."""
    folder = tmp_path / "capture"
    folder.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "dmi" / dmi, folder / "dmidecode.txt")
    for name, source in (smartctl or {}).items():
        (folder / "smartctl").mkdir(exist_ok=True)
        shutil.copyfile(FIXTURES / "smartctl" / source, folder / "smartctl" / name)
    return folder


def probe_and_save(run_cli, folder: Path) -> tuple[dict, str]:
    data = run_cli("probe", "--from", str(folder), "--save", "--create", "--json", expect=0).json
    return data, data["saved"]["asset_id"]


def grade_all_ok(run_cli, asset: str) -> dict:
    args = ["grade", asset, "--profile", "school", "--cosmetic", "B", "--json"]
    for check in CHECKS:
        args += ["--check", f"{check}=ok"]
    return run_cli(*args, expect=0).json


def test_a_2007_laptop_is_not_for_school(run_cli, initialized, tmp_path):
    """Latitude D630: its firmware names no processor model, only the family (Core 2 Duo)."""
    probe, asset = probe_and_save(run_cli, capture(tmp_path, D630))
    assert probe["system"]["model"] == "Latitude D630"
    assert probe["cpu"]["model"] == "Intel Core 2 Duo"
    assert probe["memory"]["installed_bytes"] == 2 * 2**30
    assert [m["manufacturer"] for m in probe["memory"]["modules"]] == ["Kingston", "Nanya"]
    graded = grade_all_ok(run_cli, asset)
    assert graded["grade"] == "D"
    assert "school" not in graded["profiles"]
    assert any("2007" in reason for reason in graded["reasons"]), graded["reasons"]
    assert not any("processor unknown" in reason for reason in graded["reasons"])


def test_a_2008_macbook_is_not_for_school(run_cli, initialized, tmp_path):
    """MacBook5,1: Core 2 Duo P7350, module part numbers hex-encoded by Apple's firmware."""
    probe, asset = probe_and_save(run_cli, capture(tmp_path, "apple-macbook5-1-069ada04a7cf.txt"))
    assert [m["part_number"] for m in probe["memory"]["modules"]] == ["M471B5273DH0-CH9", None]
    assert probe["system"]["sku"] is None  # "System SKU#"
    graded = grade_all_ok(run_cli, asset)
    assert "school" not in graded["profiles"] and graded["grade"] == "D"
    assert any("Intel Core 2" in reason for reason in graded["reasons"]), graded["reasons"]


def test_a_2007_satellite_with_a_truncated_processor_name(run_cli, initialized, tmp_path):
    """Satellite A200: DMI says only "Genuine Intel(R) CPU T2" (a Yonah Core Duo, 32-bit)."""
    folder = capture(tmp_path, "toshiba-satellite-a200-097bd5438498.txt")
    probe, asset = probe_and_save(run_cli, folder)
    assert (probe["system"]["sku"], probe["system"]["model"]) == (None, "Satellite A200")
    graded = grade_all_ok(run_cli, asset)
    assert graded["grade"] == "D" and "school" not in graded["profiles"]
    assert any("2006" in reason for reason in graded["reasons"]), graded["reasons"]


def test_an_ideapad_with_a_five_digit_machine_type(run_cli, initialized, tmp_path):
    """Lenovo G50-70: Product Name "20351", the model in Version; one NVMe read, one not."""
    folder = capture(tmp_path, G5070, {"nvme0.json": KXG60, "sdb.json": NO_DEVICE})
    probe, asset = probe_and_save(run_cli, folder)
    assert probe["system"]["model"] == "Lenovo G50-70"
    (disk,) = probe["disks"]
    assert (disk["model"], disk["protocol"], disk["rotational"]) == (
        "KXG60ZNV512G TOSHIBA",
        "NVMe",
        False,
    )
    assert any("Unable to detect device type" in w for w in probe["warnings"])
    graded = grade_all_ok(run_cli, asset)
    assert not any("storage" in r or "disk" in r for r in graded["reasons"]), graded["reasons"]
    out = tmp_path / "label.png"
    run_cli("label", asset, "--out", str(out), expect=0)
    (code,) = zxingcpp.read_barcodes(Image.open(out))
    assert code.text == asset
    shown = run_cli("show", asset, "--json", expect=0).json
    assert shown["device"]["model"] == "Lenovo G50-70"


def test_a_ddr5_laptop_with_nvme_loses_nothing_for_wrong_reasons(run_cli, initialized, tmp_path):
    """Precision 3581 read by an old dmidecode (DDR5 printed as "<OUT OF SPEC>"), with a healthy
    NVMe, the E480 capture's 14" panel and battery: only the cosmetic answer lowers the grade."""
    folder = capture(tmp_path, P3581, {"nvme0.json": KXG60})
    for part in ("edid", "power_supply"):
        shutil.copytree(E480 / part, folder / part)
    probe, asset = probe_and_save(run_cli, folder)
    assert [m["type"] for m in probe["memory"]["modules"]] == ["DDR5", "DDR5"]
    assert probe["memory"]["installed_bytes"] == 32 * 2**30
    graded = grade_all_ok(run_cli, asset)
    assert graded["grade"] == "B"
    assert graded["reasons"] == ["cosmetic condition B (as answered)"]
    assert "school" in graded["profiles"]


@pytest.mark.parametrize(
    ("dmi", "name"),
    [
        ("clevo-nl40-50gu-a04c1628fdf5.txt", "NL40_50GU"),  # the firmware's maker says "Notebook"
        ("panasonic-cf-53aachyda-83085a76c362.txt", "Panasonic CF-53AACHYDA"),
        ("google-akemi-012887819694.txt", "Google Akemi"),
        (G5070, "Lenovo G50-70"),
    ],
)
def test_the_name_people_read(tmp_path, dmi, name):
    assert summary(probe_from_dir(capture(tmp_path, dmi)))["name"] == name


def test_the_bios_flash_chip_is_not_memory(tmp_path):
    probe = probe_from_dir(capture(tmp_path, "panasonic-cf-53aachyda-83085a76c362.txt"))
    memory = probe["memory"]
    assert (memory["installed_bytes"], memory["slots_total"], memory["slots_used"]) == (
        8 * 2**30,
        2,
        2,
    )
    assert {m["type"] for m in memory["modules"]} == {"DDR3"}


def test_soldered_memory_is_not_called_slots(run_cli, tmp_path):
    """X1 Carbon 6th: 16 GB LPDDR3 on the board, listed as two Row Of Chips devices."""
    folder = capture(tmp_path, "lenovo-thinkpad-x1-carbon-6th-20kgs23s00-c5381c43d554.txt")
    probe = run_cli("probe", "--from", str(folder), "--json", expect=0).json
    assert [m["soldered"] for m in probe["memory"]["modules"]] == [True, True]
    out = run_cli("probe", "--from", str(folder), expect=0).stdout
    assert "16 GB (soldered)" in out and "slots used" not in out
    dutch = run_cli("--lang", "nl", "probe", "--from", str(folder), expect=0).stdout
    assert "16 GB (vastgesoldeerd)" in dutch
    slots = capture(tmp_path / "p", P3581)
    assert "32 GB (2 of 2 slots used)" in run_cli("probe", "--from", str(slots), expect=0).stdout


@pytest.mark.parametrize(
    ("model", "label", "summary_name"),
    [
        # Ryzen 7040/8040 brand strings say "w/ Radeon", not "with Radeon".
        (
            "AMD Ryzen 7 PRO 7840U w/ Radeon 780M Graphics",
            "Ryzen 7 PRO 7840U",
            "AMD Ryzen 7 PRO 7840U",
        ),
        (
            "Intel(R) Core(TM)2 Duo CPU     P7350  @ 2.00GHz",
            "Core 2 Duo P7350",
            "Intel Core 2 Duo P7350",
        ),
        ("Intel(R) Core(TM) Ultra 9 185H", "Core Ultra 9 185H", "Intel Core Ultra 9 185H"),
    ],
)
def test_processor_names_on_labels(model, label, summary_name):
    from refurb.labels.data import short_cpu
    from refurb.probe import cpu_name

    assert short_cpu(model) == label
    assert cpu_name(model) == summary_name
