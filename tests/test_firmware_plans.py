"""Firmware-erase plans from real hdparm / nvme captures, and their execution via ReplayRunner."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support_certs import answer_key, fixture_text, sanitize_log

from refurb import firmware
from refurb.errors import EraseFailed, Refused
from refurb.runner import ReplayRunner

SATA = {"name": "sda", "bus": "sata", "model": "x", "serial": "y"}
NVME = {"name": "nvme0n1", "protocol": "NVMe", "serial": "1951B3444502"}


def ata_runner(capture: str, **more) -> ReplayRunner:
    answers = {("hdparm", "-I", "/dev/sda"): (0, fixture_text("hdparm", capture), "")}
    answers.update(more)
    return ReplayRunner(answers=answers)


@pytest.mark.parametrize("case", answer_key("hdparm"), ids=lambda c: c["file"])
def test_ata_plan_or_refusal_from_capture(case):
    runner = ata_runner(case["file"])
    if "refused" in case:
        with pytest.raises(Refused) as exc:
            firmware.plan(SATA, runner)
        assert case["refused"] in exc.value.message
        assert exc.value.hint  # says what to do about it
        return
    plan = firmware.plan(SATA, runner)
    assert plan.kind == "ata" and plan.technique == case["plan"]
    assert plan.nist_level == case["nist_level"]
    pw = plan.password
    flag = "--security-erase-enhanced" if case["enhanced_erase"] else "--security-erase"
    assert plan.argv_list == [
        ["hdparm", "--user-master", "u", "--security-set-pass", pw, "/dev/sda"],
        ["hdparm", "--user-master", "u", flag, pw, "/dev/sda"],
        ["hdparm", "-I", "/dev/sda"],
    ]
    minutes = case["enhanced_erase_minutes"] if case["enhanced_erase"] else case["erase_minutes"]
    assert plan.estimate_s == minutes * 60
    assert plan.timeout_s >= 2 * plan.estimate_s
    assert any("not frozen" in c for c in plan.checks)


def test_normal_erase_on_a_hard_disk_is_purge():
    text = fixture_text("hdparm", "ipa-7pin-sata-fdm-normal-erase-only.txt")
    text = text.replace("Solid State Device", "7200")
    runner = ReplayRunner(answers={("hdparm", "-I", "/dev/sda"): (0, text, "")})
    plan = firmware.plan(SATA, runner)
    assert plan.nist_level == "Purge" and "normal" in plan.technique


@pytest.mark.parametrize(
    ("stdout", "rc", "words"),
    [
        (fixture_text("hdparm", "ironlib-samsung-850-evo-2tb.txt"), 0, "USB bridge: an ATA"),
        ("\n/dev/sda:\n", 5, "does not pass ATA commands"),
    ],
)
def test_usb_bridge_is_refused(stdout, rc, words):
    runner = ReplayRunner(answers={("hdparm", "-I", "/dev/sda"): (rc, stdout, "SG_IO: bad")})
    with pytest.raises(Refused) as exc:
        firmware.plan({"name": "sda", "tran": "usb"}, runner)
    assert words in exc.value.message


def test_missing_tools_and_unknown_disks_are_refused():
    with pytest.raises(Refused, match="hdparm is not installed"):
        firmware.plan(SATA, ReplayRunner())
    with pytest.raises(Refused, match="nvme-cli is not installed"):
        firmware.plan(NVME, ReplayRunner())
    with pytest.raises(Refused, match="ATA .* or NVMe"):
        firmware.plan({"name": "mmcblk0", "bus": "mmc"}, ReplayRunner())


def nvme_runner(capture: str, dev: str = "/dev/nvme0n1", **more) -> ReplayRunner:
    answers = {("nvme", "id-ctrl", dev, "-o", "json"): (0, fixture_text("nvme", capture), "")}
    answers.update(more)
    return ReplayRunner(answers=answers)


@pytest.mark.parametrize("case", answer_key("nvme"), ids=lambda c: c["file"])
def test_nvme_plan_from_capture(case):
    plan = firmware.plan(NVME, nvme_runner(case["file"]))
    assert plan.argv_list == [case["plan"]]
    assert plan.nist_level == case["nist_level"]
    if case["plan"][1] == "sanitize":
        assert plan.poll_argv == ["nvme", "sanitize-log", "/dev/nvme0", "-o", "json"]
        assert plan.technique == "NVMe Sanitize Crypto Erase"
    else:
        assert plan.poll_argv is None


def test_nvme_block_erase_only_and_format_user_data_is_clear():
    doc = json.loads(fixture_text("nvme", "ipa-wdc-pc-sn730-crypto.json"))
    doc["sanicap"] = 0x60000002  # block erase only (derived from the capture in this test)
    runner = ReplayRunner(
        answers={("nvme", "id-ctrl", "/dev/nvme0n1", "-o", "json"): (0, json.dumps(doc), "")}
    )
    plan = firmware.plan(NVME, runner)
    assert plan.argv_list == [["nvme", "sanitize", "/dev/nvme0", "--sanact=2"]]
    doc.update(sanicap=0, fna=0)
    runner.answers[("nvme", "id-ctrl", "/dev/nvme0n1", "-o", "json")] = (0, json.dumps(doc), "")
    plan = firmware.plan(NVME, runner)
    assert plan.argv_list == [["nvme", "format", "/dev/nvme0n1", "--ses=1", "--force"]]
    assert plan.nist_level == "Clear"
    doc.update(oacs=0)
    runner.answers[("nvme", "id-ctrl", "/dev/nvme0n1", "-o", "json")] = (0, json.dumps(doc), "")
    with pytest.raises(Refused, match="neither sanitize nor Format"):
        firmware.plan(NVME, runner)


def test_nvme_partition_and_failed_identify_refused():
    with pytest.raises(Refused, match="partition"):
        firmware.plan(
            {"name": "nvme0n1p2", "protocol": "NVMe"},
            ReplayRunner(answers={("nvme",): (0, "", "")}),
        )
    runner = ReplayRunner(
        answers={("nvme", "id-ctrl", "/dev/nvme0n1", "-o", "json"): (1, "", "Permission denied")}
    )
    with pytest.raises(Refused, match="Permission denied"):
        firmware.plan(NVME, runner)


@settings(max_examples=200, deadline=None)
@given(
    sanicap=st.integers(0, 2**32 - 1),
    fna=st.integers(0, 255),
    oacs=st.integers(0, 2**16 - 1),
    nn=st.integers(1, 64),
)
def test_no_plan_ever_formats_with_ses_0(sanicap, fna, oacs, nn):
    doc = {"mn": "X", "sn": "Y", "sanicap": sanicap, "fna": fna, "oacs": oacs, "nn": nn}
    runner = ReplayRunner(
        answers={("nvme", "id-ctrl", "/dev/nvme0n1", "-o", "json"): (0, json.dumps(doc), "")}
    )
    try:
        plan = firmware.plan(NVME, runner)
    except Refused:
        assert not (sanicap & 3) and not (oacs & 2)
        return
    flat = [arg for argv in plan.argv_list for arg in argv]
    assert "--ses=0" not in flat
    assert plan.nist_level in ("Purge", "Clear")
    if sanicap & 3:
        assert flat[1] == "sanitize"


def test_execute_refuses_a_hand_made_ses_0_plan():
    plan = firmware.FirmwarePlan(
        kind="nvme",
        device="/dev/nvme0n1",
        argv_list=[["nvme", "format", "/dev/nvme0n1", "--ses=0"]],
        nist_level="Clear",
        technique="x",
        reason="x",
    )
    runner = ReplayRunner(answers={("nvme", "format", "/dev/nvme0n1", "--ses=0"): (0, "", "")})
    with pytest.raises(Refused):
        firmware.execute(plan, runner)
    assert runner.history == []


# -- execute -------------------------------------------------------------------------------


def test_execute_ata_sets_password_erases_and_checks():
    runner = ata_runner("ironlib-samsung-850-evo-2tb.txt")
    plan = firmware.plan(SATA, runner)
    for argv in plan.argv_list[:2]:
        runner.answers[tuple(argv)] = (0, "security_password: ...", "")
    results = firmware.execute(plan, runner)
    assert [list(r.argv) for r in results] == plan.argv_list
    assert all(r.ok for r in results)


def test_execute_ata_failure_removes_the_password_again():
    runner = ata_runner("ironlib-samsung-850-evo-2tb.txt")
    plan = firmware.plan(SATA, runner)
    runner.answers[tuple(plan.argv_list[0])] = (0, "", "")
    runner.answers[tuple(plan.argv_list[1])] = (5, "", "SG_IO: bad/missing sense data")
    disable = ("hdparm", "--user-master", "u", "--security-disable", plan.password, "/dev/sda")
    runner.answers[disable] = (0, "", "")
    with pytest.raises(EraseFailed) as exc:
        firmware.execute(plan, runner)
    assert exc.value.exit_status == 3
    assert [r.argv for r in exc.value.results][-1] == disable
    assert "removed again" in exc.value.hint


def test_execute_ata_still_enabled_afterwards_fails():
    runner = ata_runner("ironlib-samsung-850-evo-2tb.txt")
    plan = firmware.plan(SATA, runner)
    for argv in plan.argv_list[:2]:
        runner.answers[tuple(argv)] = (0, "", "")
    runner.answers[("hdparm", "-I", "/dev/sda")] = (
        0,
        fixture_text("hdparm", "ipa-7pin-sata-fdm-enabled.txt"),
        "",
    )
    with pytest.raises(EraseFailed, match="still has security enabled"):
        firmware.execute(plan, runner)


def polling_runner(states: list[tuple[int, int]]) -> tuple[ReplayRunner, list]:
    remaining = list(states)
    log_argv = ("nvme", "sanitize-log", "/dev/nvme0", "-o", "json")

    def fallback(argv):
        if argv == log_argv:
            status, sprog = remaining.pop(0) if len(remaining) > 1 else remaining[0]
            return (0, sanitize_log(status, sprog), "")
        return None

    runner = nvme_runner("ipa-wdc-pc-sn730-crypto.json")
    runner.answers[("nvme", "sanitize", "/dev/nvme0", "--sanact=4")] = (0, "", "")
    runner.fallback = fallback
    return runner, remaining


def test_execute_sanitize_polls_until_completed():
    runner, _ = polling_runner([(2, 0), (2, 21845), (2, 43690), (1, 65535)])
    plan = firmware.plan(NVME, runner)
    sleeps, seen = [], []
    results = firmware.execute(plan, runner, sleep=sleeps.append, progress=seen.append)
    assert results[0].argv == ("nvme", "sanitize", "/dev/nvme0", "--sanact=4")
    assert [r.argv[1] for r in results[1:]] == ["sanitize-log"] * 4
    assert seen == [0.0, round(21845 / 65536, 4), round(43690 / 65536, 4), 1.0]
    assert sleeps == [firmware.POLL_INTERVAL_S] * 3


def test_execute_sanitize_failure_and_timeout():
    runner, _ = polling_runner([(2, 100), (3, 200)])
    plan = firmware.plan(NVME, runner)
    with pytest.raises(EraseFailed, match="reports the sanitize failed") as exc:
        firmware.execute(plan, runner, sleep=lambda s: None)
    assert "--sanact=1" in exc.value.hint

    runner, _ = polling_runner([(2, 100)])
    plan = firmware.plan(NVME, runner)
    ticks = iter(range(0, 10**9, 3600))
    with pytest.raises(EraseFailed, match="still not finished"):
        firmware.execute(plan, runner, sleep=lambda s: None, clock=lambda: float(next(ticks)))


def test_execute_sanitize_command_rejected():
    runner = nvme_runner("ipa-wdc-pc-sn730-crypto.json")
    runner.answers[("nvme", "sanitize", "/dev/nvme0", "--sanact=4")] = (
        1,
        "",
        "NVMe status: INVALID_FIELD: A reserved coded value or an unsupported value",
    )
    plan = firmware.plan(NVME, runner)
    with pytest.raises(EraseFailed, match="INVALID_FIELD") as exc:
        firmware.execute(plan, runner)
    assert len(exc.value.results) == 1
