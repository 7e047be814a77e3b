"""eMMC erasure: `mmc extcsd read` parsed from real captures, the plan it leads to (the chip's
Sanitize or Secure Erase, then the overwrite and read-back every disk gets), and the erase path
on a loop device playing an eMMC, with stand-ins for `mmc` and `blkdiscard` that log their argv.
Why each method was chosen travels into the record, the `wipe` event, `show` and the certificate.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support_wipe import loop_device, random_file

from refurb.errors import Refused
from refurb.parsers import mmc_extcsd
from refurb.runner import ReplayRunner, Runner
from refurb.wipe.blockio import MiB
from refurb.wipe.discovery import build_disk, find_node, gather, resolve
from refurb.wipe.engine import DiskEraser, StopFlag, WipeContext, WipeOptions, plan_disk

FIXTURES = Path(__file__).parent / "fixtures" / "mmc"
CAPTURES = ["samsung-emmc51-copyright1999", "rock5b-emmc51-linux-mmc"]
SAMSUNG = (FIXTURES / "samsung-emmc51-copyright1999.extcsd.txt").read_text()


def _capture(name: str) -> str:
    return (FIXTURES / f"{name}.extcsd.txt").read_text()


def _with_support(value: int) -> str:
    """The Samsung capture with its one SEC_FEATURE_SUPPORT value changed (no public capture of
    an eMMC without these features was found; see fixtures/mmc/README.md)."""
    line = "Secure Feature support [SEC_FEATURE_SUPPORT: 0x55]"
    assert line in SAMSUNG
    return SAMSUNG.replace(line, f"Secure Feature support [SEC_FEATURE_SUPPORT: {value:#04x}]")


@pytest.mark.parametrize("name", CAPTURES)
def test_extcsd_captures_match_their_answer_keys(name):
    want = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    assert mmc_extcsd.parse(_capture(name)) == want
    assert want["sanitize"] is True and want["sec_feature_support"] == 0x55


@pytest.mark.parametrize("text", ["", "garbage\n", "Could not read EXT_CSD from /dev/mmcblk0\n"])
def test_garbled_extcsd_is_never_supported(text):
    got = mmc_extcsd.parse(text)
    assert got["sanitize"] is None and got["secure_erase"] is None and got["warnings"]


def test_an_emmc_older_than_441_has_no_secure_features():
    old = SAMSUNG.replace("Extended CSD rev 1.8 (MMC 5.1)", "Extended CSD rev 1.3 (MMC 4.3)")
    old = "\n".join(line for line in old.splitlines() if "SEC_FEATURE_SUPPORT" not in line)
    got = mmc_extcsd.parse(old)
    assert (got["mmc_version"], got["sanitize"], got["secure_erase"]) == ("4.3", False, False)


def emmc_disk(name: str = "mmcblk0"):
    """A real lsblk node (a loop's) given an eMMC's name and bus, as discovery names one."""
    here = Path(__file__).parent / "fixtures" / "wipe"
    node = find_node((here / "lsblk-loops.json").read_text(), "254:0")[0]
    disk = build_disk(dict(node, children=[]), smart=None)
    return replace(
        disk, name=name, path=f"/dev/{name}", protocol="MMC", mmc_type="MMC", rotational=False
    )


def _runner(extcsd: str | None, rc: int = 0) -> ReplayRunner:
    answers = {("blkdiscard", "--version"): (0, "blkdiscard from util-linux 2.38.1", "")}
    if extcsd is not None:
        answers[("mmc", "extcsd", "read", "/dev/mmcblk0")] = (rc, extcsd, "")
    return ReplayRunner(answers=answers)


@pytest.mark.parametrize("name", CAPTURES)
def test_auto_plans_sanitize_then_the_overwrite(name):
    plan = plan_disk(emmc_disk(), WipeOptions(method="auto"), _runner(_capture(name)))
    assert plan.method == "prng" and plan.verify == "full" and plan.nist_method == "Purge"
    assert plan.technique == "eMMC Sanitize + overwrite"
    assert plan.pre_erase.argv_list == [
        ["blkdiscard", "-f", "/dev/mmcblk0"],
        ["mmc", "sanitize", "/dev/mmcblk0"],
    ]
    data = plan.to_dict()
    assert data["steps"][:2] == ["blkdiscard -f /dev/mmcblk0", "mmc sanitize /dev/mmcblk0"]
    assert data["steps"][2].startswith("write ") and "read every byte back" in data["steps"][3]
    choice = data["method_choice"]
    assert choice["code"] == "emmc_sanitize" and choice["requested"] == "auto"
    assert "SEC_FEATURE_SUPPORT 0x55, bit 6" in choice["reason"]
    assert not any("spare blocks of flash" in n for n in plan.notes)  # Sanitize reaches them
    assert plan.hidden.finding == "not_applicable"
    assert [c.argv for c in plan.commands] == [("mmc", "extcsd", "read", "/dev/mmcblk0")]


def test_secure_erase_without_sanitize_is_clear():
    plan = plan_disk(emmc_disk(), WipeOptions(method="auto"), _runner(_with_support(0x15)))
    assert plan.pre_erase.argv_list == [["blkdiscard", "--secure", "-f", "/dev/mmcblk0"]]
    assert plan.nist_method == "Clear" and plan.choice()["code"] == "emmc_secure_erase"
    assert any("spare blocks of flash" in n for n in plan.notes)


def test_an_emmc_without_either_is_overwritten_and_says_why():
    plan = plan_disk(emmc_disk(), WipeOptions(method="auto"), _runner(_with_support(0x00)))
    assert plan.pre_erase is None and plan.method == "prng" and plan.nist_method == "Clear"
    choice = plan.choice()
    assert choice["code"] == "emmc_no_secure_feature"
    assert (
        "supports neither Sanitize nor Secure Erase (SEC_FEATURE_SUPPORT 0x00)"
        in (choice["reason"])
    )
    assert plan.notes[0].startswith("eMMC erase command not used: /dev/mmcblk0 supports neither")
    with pytest.raises(Refused, match="supports neither Sanitize"):
        plan_disk(emmc_disk(), WipeOptions(method="firmware"), _runner(_with_support(0)))


def test_without_mmc_utils_or_a_readable_register_no_chip_erase_is_planned():
    missing = plan_disk(emmc_disk(), WipeOptions(method="auto"), _runner(None))
    assert missing.pre_erase is None and missing.choice()["code"] == "emmc_unreadable"
    assert "mmc-utils is not installed" in missing.choice()["reason"]
    failed = plan_disk(emmc_disk(), WipeOptions(method="auto"), _runner("", rc=1))
    assert failed.pre_erase is None and "mmc extcsd read /dev/mmcblk0 failed (exit 1" in (
        failed.fallback_reason
    )


def test_an_sd_card_is_not_an_emmc_and_explicit_overwrites_ask_nothing():
    sd = replace(emmc_disk("mmcblk1"), mmc_type="SD")
    plan = plan_disk(sd, WipeOptions(method="auto"), _runner(SAMSUNG))
    assert plan.pre_erase is None and plan.choice()["code"] == "firmware_refused"
    zero = plan_disk(emmc_disk(), WipeOptions(method="zero"), _runner(SAMSUNG))
    assert zero.pre_erase is None and zero.commands == []
    assert zero.choice() | {"reason": None} == {
        "requested": "zero",
        "method": "zero",
        "technique": "overwrite",
        "nist_method": "Clear",
        "code": "requested",
        "reason": None,
    }


# -- the erase path: a loop device playing an eMMC, stand-in tools on PATH --------------------

STANDIN = r"""#!/bin/sh
# Stand-in {tool}: logs its argv to $STUB_DIR/argv; mmc answers with a real extcsd capture.
echo "{tool} $*" >> "$STUB_DIR/argv"
case "$1" in
  --version) echo "{version}"; exit 0 ;;
esac
if [ "{tool}" = "mmc" ] && [ "$1" = "extcsd" ]; then cat "$STUB_DIR/extcsd"; exit 0; fi
if [ "{tool}" = "mmc" ] && [ "$1" = "sanitize" ] && [ -e "$STUB_DIR/fail" ]; then
  echo "ioctl: Connection timed out" >&2; exit 1
fi
exit 0
"""


@pytest.fixture
def standins(tmp_path, monkeypatch):
    folder = tmp_path / "stub-bin"
    folder.mkdir()
    for tool, version in (("mmc", "mmc-utils 0.1"), ("blkdiscard", "blkdiscard 2.38.1")):
        script = folder / tool
        script.write_text(STANDIN.replace("{tool}", tool).replace("{version}", version))
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (folder / "extcsd").write_text(SAMSUNG)
    monkeypatch.setenv("STUB_DIR", str(folder))
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return folder


def _argv(folder: Path) -> list[str]:
    log = folder / "argv"
    return [x for x in log.read_text().splitlines() if "--version" not in x] if log.exists() else []


def _erase(tmp_path, size=4 * MiB):
    image = random_file(tmp_path / "emmc.img", size)
    before = image.read_bytes()
    with loop_device(image) as dev:
        runner = Runner()
        text, facts, cmds = gather(runner, with_smart=False)
        disk = replace(resolve(dev, text, facts), protocol="MMC")  # the loop plays an eMMC
        options = WipeOptions(method="auto", verify="full")
        plan = plan_disk(disk, options, runner)
        ctx = WipeContext("w-e", "RF-TEST", "tester", "ws", None, lambda: datetime.now(UTC), cmds)
        outcome = DiskEraser(plan, ctx, runner=runner, options=options, stop=StopFlag()).run()
    return dev, plan, outcome, image.read_bytes() != before


@pytest.mark.root
def test_sanitize_runs_before_the_overwrite_and_the_record_says_why(tmp_path, standins):
    dev, plan, outcome, changed = _erase(tmp_path)
    assert _argv(standins) == [
        f"mmc extcsd read {dev}",
        f"blkdiscard -f {dev}",
        f"mmc sanitize {dev}",
    ]
    assert outcome.status == "erased" and changed
    record = outcome.record
    assert record["technique"] == "eMMC Sanitize + overwrite" and record["nist_method"] == "Purge"
    assert record["method_choice"]["code"] == "emmc_sanitize"
    assert record["sanitization"]["pre_erase"]["argv"][1] == ["mmc", "sanitize", dev]
    assert record["verification"]["result"] == "passed"
    assert record["bytes_written"] == record["device_size_bytes"]
    mmc = [c for c in record["commands"] if c["argv"][0] == "mmc"]
    assert [c["argv"][1] for c in mmc] == ["extcsd", "sanitize"]
    assert {(c["tool"], c["tool_version"]) for c in mmc} == {("mmc-utils", "0.1")}
    assert record["hidden_area"]["finding"] == "not_applicable"

    from refurb.certificates import disk_summary
    from refurb.i18n import set_language
    from refurb.wipe.choice import choice_sentence

    summary = disk_summary({"status": outcome.status, "record": record, "disk": {}})
    assert summary["method_choice"]["code"] == "emmc_sanitize"
    assert choice_sentence(summary["method_choice"]).startswith(
        "eMMC Sanitize + overwrite: the eMMC's Sanitize, then one overwrite pass (the eMMC"
    )
    set_language("nl")
    try:
        assert "de Sanitize van de eMMC" in choice_sentence(summary["method_choice"])
    finally:
        set_language("en")


@pytest.mark.root
def test_a_sanitize_that_fails_leaves_the_disk_failed_and_unwritten(tmp_path, standins):
    (standins / "fail").write_text("")
    dev, _plan, outcome, changed = _erase(tmp_path)
    assert outcome.status == "failed" and not changed
    assert outcome.reason.startswith(
        f"eMMC Sanitize failed: mmc sanitize {dev} failed (exit 1: ioctl: Connection timed out)"
    )
    assert _argv(standins)[-1] == f"mmc sanitize {dev}"
    assert outcome.record["method_choice"]["code"] == "emmc_sanitize"


# -- through the CLI: the choice in the event, `show` and the certificate ----------------------


@pytest.mark.root
def test_the_choice_is_in_the_event_show_and_the_certificate(tmp_path, run_cli, initialized):
    asset = run_cli("intake", "new", "--serial", "EMMC-1", "--json", expect=0).json["asset_id"]
    image = random_file(tmp_path / "disk.img", 4 * MiB)
    with loop_device(image) as dev:
        run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--verify", "sample", expect=0)
    events = run_cli("show", asset, "--json", expect=0).json["events"]
    [wipe] = [e for e in events if e["kind"] == "wipe"]
    [started] = [e for e in events if e["kind"] == "wipe_started"]
    assert wipe["payload"]["choice"]["code"] == "no_firmware_erase"
    assert wipe["payload"]["choice"]["requested"] == "auto"
    assert started["payload"]["choice"] == wipe["payload"]["choice"]
    name = dev.rsplit("/", 1)[-1]
    shown = " ".join(run_cli("show", asset, expect=0).stdout.split())
    assert f"How {name} was erased: overwrite: this kind of disk has no firmware erase (" in shown
    french = " ".join(run_cli("--lang", "fr", "show", asset, expect=0).stdout.split())
    assert "ce type de disque n’a pas d’effacement firmware" in french

    out_json, pdf = tmp_path / "c.json", tmp_path / "c.pdf"
    summary = run_cli(
        "--lang", "nl", "wipe", "certificate", asset, "--json", str(out_json), "--pdf", str(pdf),
        "--print-json", expect=0,
    ).json  # fmt: skip
    assert summary["disks"][0]["method_choice"]["code"] == "no_firmware_erase"
    cert = json.loads(out_json.read_text())["certificate"]
    assert cert["disks"][0]["method_choice"]["code"] == "no_firmware_erase"
    assert run_cli("wipe", "verify-cert", str(out_json), "--json", expect=0).json["ok"] is True
    paper = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Waarom:" in paper and "geen firmware-wissing" in " ".join(paper.split())


def test_a_version_1_wipe_event_gives_the_reason_its_record_holds():
    from refurb import events

    record = {
        "method": "prng",
        "technique": "overwrite",
        "nist_method": "Clear",
        "sanitization": {"requested_method": "auto", "firmware_fallback_reason": "drive frozen"},
    }
    old = {"wipe_id": "w1", "disk": {"name": "sda"}, "status": "failed", "record": record}
    choice = events.from_data("wipe", old).choice
    assert (choice.code, choice.requested, choice.reason) == (
        "firmware_refused",
        "auto",
        "drive frozen",
    )
    del record["sanitization"]["firmware_fallback_reason"]
    assert events.from_data("wipe", old).choice is None
    assert (
        events.from_data("wipe_started", {"wipe_id": "w1", "disk": {"name": "sda"}}).choice is None
    )
