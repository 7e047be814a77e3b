"""How `wipe run` uses the firmware-erase planner (refurb.firmware, another module): the choice
between firmware Purge and an overwrite, the dry-run plan, and the read-back after a firmware
erase, which must catch a drive that claims success without erasing.

The planner here is a stand-in with the same interface; the commands it "executes" are real
programs run through the runner against a real loop device.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support_wipe import loop_device, random_file

from refurb.errors import Refused
from refurb.runner import ReplayRunner, Runner
from refurb.wipe.blockio import MiB
from refurb.wipe.discovery import build_disk, find_node, gather, resolve, smartctl_identity
from refurb.wipe.engine import DiskEraser, DiskPlan, StopFlag, WipeContext, WipeOptions, plan_disk

HERE = Path(__file__).parent / "fixtures" / "wipe"


@dataclass
class Plan:
    argv_list: list[list[str]]
    nist_level: str = "Purge"
    technique: str = "ATA SECURITY ERASE UNIT (enhanced)"
    reason: str = "drive supports enhanced secure erase and is not frozen"


@dataclass
class Firmware:
    """Same interface as refurb.firmware: plan(disk, runner) and execute(plan, runner)."""

    refuse: str | None = None
    argv_list: list[list[str]] = field(default_factory=list)
    planned: list[dict] = field(default_factory=list)

    def plan(self, disk: dict, runner) -> Plan:
        self.planned.append(disk)
        runner.run(["hdparm", "-I", disk["path"]])  # a planner reads the drive first
        if self.refuse:
            raise Refused(self.refuse)
        return Plan(self.argv_list)

    def execute(self, plan: Plan, runner, *, progress=None) -> list:
        results = []
        for n, argv in enumerate(plan.argv_list, start=1):
            results.append(runner.run(argv))
            if progress is not None:
                progress(n / len(plan.argv_list))
        return results


def sata_disk():
    """A real SATA disk's identity (smartctl capture) on a real lsblk node."""
    node = find_node((HERE / "lsblk-loops.json").read_text(), "254:0")[0]
    node = dict(node, subsystems="block:scsi:pci", tran="sata", children=[])
    smart = smartctl_identity((HERE / "smartctl" / "scrutiny-smart-ata.json").read_text())
    return build_disk(node, smart=smart)


def test_auto_chooses_the_firmware_purge_when_the_planner_allows_it():
    fw = Firmware(
        argv_list=[["hdparm", "--user-master", "u", "--security-set-pass", "p", "/dev/sda"]]
    )
    runner = ReplayRunner(answers={("hdparm", "-I", "/dev/vda"): (0, "ATA device", "")})
    plan = plan_disk(sata_disk(), WipeOptions(method="auto", verify="full"), runner, fw)
    assert plan.method == "firmware" and plan.nist_method == "Purge"
    assert plan.technique.startswith("ATA SECURITY ERASE")
    assert plan.verify == "sample"
    assert any("before/after sample" in n for n in plan.notes)
    data = plan.to_dict()
    assert data["firmware_commands"] == fw.argv_list
    assert "hdparm --user-master u --security-set-pass p /dev/sda" in data["steps"]
    assert data["confirm_with"]["tokens"] == ["9RK1XXXX"]
    assert fw.planned[0]["serial"] == "9RK1XXXX" and fw.planned[0]["protocol"] == "ATA"
    # The hidden-area read comes first (this stand-in drive does not answer it), then the planner.
    assert [c.argv[:2] for c in plan.commands] == [("hdparm", "-N"), ("hdparm", "-I")]
    assert plan.commands[-1].stdout == "ATA device"
    assert plan.hidden.finding == "could_not_be_read"


def test_auto_falls_back_to_one_overwrite_pass_and_says_why():
    fw = Firmware(refuse="the drive is frozen: suspend and resume the laptop, then try again")
    plan = plan_disk(sata_disk(), WipeOptions(method="auto"), ReplayRunner(), fw)
    assert plan.method == "prng" and plan.nist_method == "Clear"
    assert plan.fallback_reason.startswith("the drive is frozen")
    assert "firmware erase not used: the drive is frozen" in plan.to_dict()["notes"][0]
    # An overwrite says what it cannot reach on this disk (an ATA hard disk: hidden areas).
    assert any("HPA/DCO" in n for n in plan.notes)
    assert not any("spare blocks" in n for n in plan.notes)


def test_firmware_method_refused_is_an_error_not_a_fallback():
    fw = Firmware(refuse="USB bridge: ATA commands do not reach the drive")
    with pytest.raises(Refused, match="USB bridge"):
        plan_disk(sata_disk(), WipeOptions(method="firmware"), ReplayRunner(), fw)


def test_explicit_overwrite_never_asks_the_planner():
    fw = Firmware()
    plan = plan_disk(sata_disk(), WipeOptions(method="zero"), ReplayRunner(), fw)
    assert plan.method == "zero" and fw.planned == []


@pytest.mark.root
def test_loop_devices_have_no_firmware_erase(tmp_path):
    fw = Firmware()
    image = random_file(tmp_path / "d.img", 4 * MiB)
    with loop_device(image) as dev:
        text, facts, _ = gather(Runner(), with_smart=False)
        disk = resolve(dev, text, facts)
    with pytest.raises(Refused, match="no firmware erase"):
        plan_disk(disk, WipeOptions(method="firmware"), Runner(), fw)
    assert plan_disk(disk, WipeOptions(method="auto"), Runner(), fw).method == "prng"
    assert fw.planned == []


def erase_with(tmp_path: Path, argv_for) -> tuple[str, dict, bytes]:
    """Run the firmware path of the engine on a loop device; ``argv_for(dev)`` is what the
    "firmware" does to it."""
    image = random_file(tmp_path / "fw.img", 24 * MiB)
    runner = Runner()
    with loop_device(image) as dev:
        text, facts, cmds = gather(runner, with_smart=False)
        disk = resolve(dev, text, facts)
        fw = Firmware(argv_list=argv_for(dev))
        plan = DiskPlan(
            disk=disk,
            requested="firmware",
            method="firmware",
            nist_method="Purge",
            technique="ATA SECURITY ERASE UNIT",
            pattern=None,
            passes=1,
            verify="sample",
            sample_fraction=0.01,
            chunk_size=4 * MiB,
            firmware=Plan(fw.argv_list),
        )
        ctx = WipeContext("w-1", "RF-TEST", "tester", "ws", None, lambda: datetime.now(UTC), cmds)
        outcome = DiskEraser(
            plan, ctx, runner=runner, options=WipeOptions(), stop=StopFlag(), firmware=fw
        ).run()
    return outcome.status, outcome.record, image.read_bytes()


@pytest.mark.root
@pytest.mark.parametrize("source", ["/dev/zero", "/dev/urandom"])
def test_a_firmware_erase_is_read_back_before_it_counts(tmp_path, source):
    status, record, content = erase_with(
        tmp_path,
        lambda dev: [["dd", f"if={source}", f"of={dev}", "bs=4M", "oflag=direct", "count=6"]],
    )
    assert status == "erased", record["reason"]
    assert record["nist_method"] == "Purge" and record["method"] == "firmware"
    v = record["verification"]
    assert v["mode"].startswith("sample") and v["result"] == "passed"
    assert 0.01 <= v["fraction"] <= 1.0
    dd = [c for c in record["commands"] if c["argv"][0] == "dd"]
    assert dd and dd[0]["returncode"] == 0
    if source == "/dev/zero":
        assert content == bytes(len(content))


@pytest.mark.root
def test_a_firmware_erase_that_changed_nothing_fails(tmp_path):
    status, record, _content = erase_with(tmp_path, lambda dev: [["true"]])
    assert status == "failed"
    assert "still hold the data" in record["reason"]
    assert record["verification"]["result"] == "failed"


@pytest.mark.root
def test_a_firmware_command_that_fails_fails_the_erasure(tmp_path):
    status, record, _content = erase_with(tmp_path, lambda dev: [["false"]])
    assert status == "failed"
    assert "firmware erase failed: false exited 1" in record["reason"]
    assert any(c["argv"] == ["false"] and c["returncode"] == 1 for c in record["commands"])
