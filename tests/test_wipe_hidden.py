"""Hidden areas (HPA/DCO): parsers on real captures, the finding per disk, the plan, and the
erase path on a loop device with a stand-in hdparm that records its argv."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support_certs import fixture_text
from support_erasure import calls, stub_hdparm
from support_wipe import loop_device, random_file

from refurb.certificates import disk_summary
from refurb.parsers import hdparm
from refurb.runner import ReplayRunner, Runner, version_text
from refurb.wipe import hidden
from refurb.wipe.blockio import MiB
from refurb.wipe.discovery import gather, resolve
from refurb.wipe.engine import DiskEraser, StopFlag, WipeContext, WipeOptions, plan_disk

FIXTURES = Path(__file__).parent / "fixtures" / "hdparm"
N_FILES = ["jarvis-N-no-hpa", "jarvis-N-hpa-enabled", "forum-N-usb-bridge"]
DCO_FILES = ["forum-dco-wd5000bmvv", "forum-dco-3tb"]


@pytest.mark.parametrize("name", N_FILES)
def test_hdparm_N_captures_match_their_answer_key(name):
    got = hdparm.parse_max_sectors(fixture_text("hdparm", name + ".txt"))
    want = json.loads((FIXTURES / (name + ".json")).read_text())
    assert {k: got[k] for k in want} == want
    assert bool(got["warnings"]) is (not want["valid"])


@pytest.mark.parametrize("name", DCO_FILES)
def test_dco_identify_captures_match_their_answer_key(name):
    got = hdparm.parse_dco(fixture_text("hdparm", name + ".txt"))
    want = json.loads((FIXTURES / (name + ".json")).read_text())
    assert {k: got[k] for k in want} == want


@pytest.mark.parametrize("text", ["", "garbage\n", " max sectors   = 9/3, HPA is enabled\n"])
def test_garbled_hdparm_N_is_never_no_hpa(text):
    got = hdparm.parse_max_sectors(text)
    assert got["valid"] is False and got["hpa_enabled"] is None and got["warnings"]


class _Ata:
    """The parts of a Disk that hidden.read looks at."""

    def __init__(self, name="sdc", protocol="ATA"):
        self.name, self.path, self.protocol, self.logical_sector_size = (
            name,
            f"/dev/{name}",
            protocol,
            512,
        )


def _replay(n_text: str, dco_text: str | None = None, dco_rc: int = 0) -> ReplayRunner:
    answers = {
        ("hdparm", "-N", "/dev/sdc"): (0, n_text, ""),
        ("hdparm", "-V"): (0, "hdparm v9.43\n", ""),
    }
    if dco_text is not None:
        answers[("hdparm", "--dco-identify", "/dev/sdc")] = (dco_rc, dco_text, "")
    return ReplayRunner(answers=answers)


def test_a_disk_with_an_hpa_is_found_with_its_hidden_size():
    n = fixture_text("hdparm", "jarvis-N-hpa-enabled.txt")
    area = hidden.read(_Ata(), _replay(n, "\n/dev/sdc:\n\tReal max sectors: 312581808\n"))
    assert area.finding == "found" and area.hpa_sectors == 2097152 and area.dco_sectors == 0
    assert area.hpa_bytes == 2097152 * 512 == area.remaining_bytes()
    assert area.unlock_argv() == [
        "hdparm", "--yes-i-know-what-i-am-doing", "-N", "312581808", "/dev/sdc"
    ]  # fmt: skip
    assert "p312581808" not in " ".join(area.unlock_argv())  # volatile, never permanent
    assert [c.tool_version for c in area.commands] == ["9.43", "9.43"]


def test_a_dco_that_hides_more_than_the_native_size_is_found():
    n = " max sectors   = 976000000/976000000, HPA is disabled\n"
    area = hidden.read(_Ata(), _replay(n, fixture_text("hdparm", "forum-dco-wd5000bmvv.txt")))
    assert area.finding == "found" and area.hpa_sectors == 0
    assert area.dco_sectors == 976773168 - 976000000
    assert "Device Configuration Overlay" in area.statement()


def test_no_hidden_area_and_unreadable_answers():
    n = fixture_text("hdparm", "jarvis-N-no-hpa.txt")
    dco = "\n/dev/sdc:\n\tReal max sectors: 312581808\n"
    assert hidden.read(_Ata(), _replay(n, dco)).finding == "not_found"
    # A USB bridge's garbage, a missing DCO answer, a missing hdparm: could not be read.
    bridge = hidden.read(_Ata(), _replay(fixture_text("hdparm", "forum-N-usb-bridge.txt")))
    assert bridge.finding == "could_not_be_read" and "0/1" in bridge.why
    no_dco = hidden.read(_Ata(), _replay(n, "", dco_rc=5))
    assert no_dco.finding == "could_not_be_read" and "DCO" in no_dco.why
    missing = hidden.read(_Ata(), ReplayRunner())
    assert missing.finding == "could_not_be_read" and "not installed" in missing.why


@pytest.mark.parametrize(
    ("name", "protocol", "word"),
    [("nvme0n1", "NVMe", "NVMe"), ("mmcblk0", "MMC", "eMMC"), ("loop3", "loop", "loop")],
)
def test_nvme_emmc_and_loop_are_not_applicable(name, protocol, word):
    area = hidden.read(_Ata(name, protocol), ReplayRunner())
    assert area.finding == "not_applicable" and word in area.why and area.commands == []


def test_version_text_reads_real_version_lines():
    assert version_text("hdparm", "\nhdparm v9.65\n") == "9.65"
    assert version_text("nvme", "nvme version 2.3 (git 2.3)\nlibnvme version 1.3\n") == "2.3"
    smart = "smartctl 7.3 2022-02-28 r5338 [x86_64-linux] (local build)\nCopyright (C) 2002-22"
    assert version_text("smartctl", smart) == "7.3"
    assert version_text("blkdiscard", "blkdiscard from util-linux 2.38.1\n") == "2.38.1"
    assert version_text("mmc", "no version here") is None


def test_each_tool_is_asked_its_version_once_per_runner():
    runner = ReplayRunner(
        answers={
            ("hdparm", "-V"): (0, "hdparm v9.65\n", ""),
            ("hdparm", "-I", "/dev/sda"): (0, "", ""),
            ("nvme", "list"): (0, "", ""),
        }
    )
    asked = []
    inner = runner._execute

    def counting(argv, *rest):
        asked.append(argv)
        return inner(argv, *rest)

    runner._execute = counting
    for _n in range(3):
        runner.run(["hdparm", "-I", "/dev/sda"])
    runner.run(["nvme", "list"])
    assert [r.tool_version for r in runner.history] == ["9.65"] * 3 + [None]
    assert asked.count(("hdparm", "-V")) == 1 and asked.count(("nvme", "version")) == 1
    assert runner.tool_versions() == {"hdparm": "9.65", "nvme": None}
    assert all(r.argv != ("hdparm", "-V") for r in runner.history)  # not in the record's list


# -- the erase path on a loop device, with the stand-in hdparm ------------------------------------

SIZE = 24 * MiB
SECTORS = SIZE // 512
HPA = 2048  # sectors the stand-in drive hides before the HPA is lifted


def _erase(tmp_path, monkeypatch, *, unlock=False, restore=False, refuse=False):
    image = random_file(tmp_path / "hpa.img", SIZE)
    with (
        stub_hdparm(tmp_path, monkeypatch, SECTORS - HPA, SECTORS, refuse=refuse) as stub,
        loop_device(image) as dev,
    ):
        runner = Runner()
        text, facts, cmds = gather(runner, with_smart=False)
        disk = replace(resolve(dev, text, facts), protocol="ATA")  # the loop plays a SATA disk
        options = WipeOptions(
            method="zero", verify="sample", unlock_hidden=unlock, restore_hidden=restore
        )
        plan = plan_disk(disk, options, runner)
        ctx = WipeContext("w-h", "RF-TEST", "tester", "ws", None, lambda: datetime.now(UTC), cmds)
        outcome = DiskEraser(plan, ctx, runner=runner, options=options, stop=StopFlag()).run()
    return plan, outcome, calls(stub), dev


@pytest.mark.root
def test_without_consent_the_hpa_makes_it_erased_with_exceptions(tmp_path, monkeypatch):
    plan, outcome, argv, dev = _erase(tmp_path, monkeypatch)
    assert any("Host Protected Area hides 2048 sectors" in n for n in plan.notes)
    assert outcome.status == "erased_with_exceptions"
    assert f"{HPA * 512} bytes in a hidden area" in outcome.reason
    record = outcome.record
    assert record["hidden_area"]["finding"] == "found"
    assert record["hidden_area"]["remaining_bytes"] == HPA * 512
    assert not any("--yes-i-know-what-i-am-doing" in a for a in argv)  # nothing was changed
    hd = [c for c in record["commands"] if c["argv"][0] == "hdparm"]
    assert hd and {c["tool_version"] for c in hd} == {"9.65"} and hd[0]["tool"] == "hdparm"
    lsblk = [c for c in record["commands"] if c["argv"][0] == "lsblk"]
    assert lsblk and lsblk[0]["tool"] == "util-linux" and lsblk[0]["tool_version"]
    tools = {t["program"]: t for t in record["sanitization"]["external_tools"]}
    assert tools["hdparm"]["version"] == "9.65"
    summary = disk_summary({"status": outcome.status, "record": record, "disk": {}})
    assert summary["hidden_area"]["finding"] == "found"
    assert any(c["tool_version"] == "9.65" for c in summary["commands"])


@pytest.mark.root
def test_with_consent_the_hpa_is_lifted_then_set_back(tmp_path, monkeypatch):
    plan, outcome, argv, dev = _erase(tmp_path, monkeypatch, unlock=True, restore=True)
    steps = plan.steps()
    assert steps[0] == f"hdparm --yes-i-know-what-i-am-doing -N {SECTORS} {dev}"
    assert steps[-1] == f"hdparm --yes-i-know-what-i-am-doing -N {SECTORS - HPA} {dev}"
    assert outcome.status == "erased", outcome.reason
    assert f"--yes-i-know-what-i-am-doing -N {SECTORS} {dev}" in argv
    assert argv[-1] == f"--yes-i-know-what-i-am-doing -N {SECTORS - HPA} {dev}"
    area = outcome.record["hidden_area"]
    assert area["unlocked"] is True and area["restored"] is True and area["remaining_bytes"] == 0


@pytest.mark.root
def test_a_drive_that_refuses_the_hpa_change_is_not_erased(tmp_path, monkeypatch):
    plan, outcome, argv, dev = _erase(tmp_path, monkeypatch, unlock=True, refuse=True)
    assert outcome.status == "failed"
    assert f"--yes-i-know-what-i-am-doing -N {SECTORS} {dev}" in argv
    assert "could not be lifted" in outcome.reason and "exited 5" in outcome.reason
    assert outcome.record["hidden_area"]["unlocked"] is False
    assert "refused" in outcome.record["hidden_area"]["unlock_error"]
    failed = [c for c in outcome.record["commands"] if c["returncode"] == 5]
    assert failed and "SET_MAX_ADDRESS_EXT failed" in failed[0]["stderr"]
    assert outcome.record["bytes_written"] == 0
