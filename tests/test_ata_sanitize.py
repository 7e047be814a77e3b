"""ATA SANITIZE plans from a real `hdparm -I` capture, and its execution (status polled) through
the runner's replay: success, a sanitize the drive reports failed, a frozen drive, a missing
hdparm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support_certs import fixture_text

from refurb import firmware
from refurb.errors import EraseFailed, Refused
from refurb.parsers import hdparm
from refurb.runner import ReplayRunner

SATA = {"name": "sda", "bus": "sata"}
CAPTURE = "report-intel-ssdsc2bb480g7k.txt"
KEY = json.loads(
    (Path(__file__).parent / "fixtures/hdparm" / CAPTURE).with_suffix(".json").read_text()
)
IN_PROCESS = (
    "\n/dev/sda:\nIssuing SANITIZE_STATUS command\nSanitize status:\n"
    "    State:    SD2 Sanitize operation In Process\n    Progress: 0x41c2 (25%)\n"
)
DONE = (
    "\n/dev/sda:\nIssuing SANITIZE_STATUS command\nSanitize status:\n"
    "    State:    SD0 Sanitize Idle\n    Last Sanitize Operation Completed Without Error\n"
)


def test_sanitize_capture_matches_its_answer_key():
    info = hdparm.parse(fixture_text("hdparm", CAPTURE))
    assert {k: info[k] for k in ("model", "serial", "size_bytes", "rotational", "sanitize")} == {
        k: KEY[k] for k in ("model", "serial", "size_bytes", "rotational", "sanitize")
    }


def _runner(capture_text: str, statuses: list[tuple[int, str, str]], start=(0, "", "")):
    seq = iter(statuses)

    def answer(argv):
        if argv == ("hdparm", "-I", "/dev/sda"):
            return 0, capture_text, ""
        if argv == ("hdparm", "-V"):
            return 0, "hdparm v9.65\n", ""
        if argv[:3] == ("hdparm", "--yes-i-know-what-i-am-doing", "--sanitize-crypto-scramble"):
            return start
        if argv == ("hdparm", "--sanitize-status", "/dev/sda"):
            return next(seq)
        return None

    return ReplayRunner(fallback=answer)


def test_auto_prefers_sanitize_crypto_scramble_over_security_erase():
    plan = firmware.plan(SATA, _runner(fixture_text("hdparm", CAPTURE), []))
    assert plan.kind == "ata_sanitize" and plan.technique == KEY["plan"]
    assert plan.nist_level == KEY["nist_level"]
    assert plan.argv_list == [
        ["hdparm", "--yes-i-know-what-i-am-doing", "--sanitize-crypto-scramble", "/dev/sda"]
    ]
    assert plan.password is None  # no ATA password: a failed sanitize cannot lock the drive
    assert any(
        "SANITIZE feature set: crypto scramble, block erase, overwrite" in c for c in plan.checks
    )


@pytest.mark.parametrize(
    ("drop", "technique"),
    [
        ("CRYPTO_SCRAMBLE_EXT", "ATA SANITIZE BLOCK ERASE"),
        ("both", "ATA SECURITY ERASE UNIT (enhanced)"),
    ],
)
def test_weaker_sanitize_or_none_on_flash(drop, technique):
    text = fixture_text("hdparm", CAPTURE)
    text = text.replace("CRYPTO_SCRAMBLE_EXT command", "")
    if drop == "both":  # overwrite only: not Purge on flash, so SECURITY ERASE is planned
        text = text.replace("BLOCK_ERASE_EXT command", "")
    plan = firmware.plan(SATA, _runner(text, []))
    assert plan.technique == technique


def test_sanitize_overwrite_on_a_hard_disk():
    text = fixture_text("hdparm", CAPTURE).replace("CRYPTO_SCRAMBLE_EXT command", "")
    text = text.replace("BLOCK_ERASE_EXT command", "").replace("Solid State Device", "7200")
    plan = firmware.plan(SATA, _runner(text, []))
    assert plan.technique == "ATA SANITIZE OVERWRITE"
    assert plan.argv_list[0][-2:] == ["hex:00000000", "/dev/sda"]


def test_sanitize_is_polled_until_the_drive_says_it_succeeded():
    runner = _runner(fixture_text("hdparm", CAPTURE), [(0, IN_PROCESS, ""), (0, DONE, "")])
    plan = firmware.plan(SATA, runner)
    seen = []
    results = firmware.execute(plan, runner, sleep=lambda s: None, progress=seen.append)
    assert [r.argv[1] for r in results] == [
        "--yes-i-know-what-i-am-doing",
        "--sanitize-status",
        "--sanitize-status",
    ]
    assert seen[0] == pytest.approx(0x41C3 / 0xFFFF) and seen[-1] == 1.0
    assert {r.tool_version for r in results} == {"9.65"}


@pytest.mark.parametrize(
    ("statuses", "start", "words"),
    [
        ([], (5, "", "SANITIZE device error reason: Sanitize Command Unsuccessful\n"), "refused"),
        (
            [(0, IN_PROCESS, ""), (0, "    State:    SD3 Sanitize Operation Failed\n", "")],
            (0, "", ""),
            "reports the sanitize failed",
        ),
        ([(0, "    State:    SD1 Sanitize Frozen\n", "")], (0, "", ""), "frozen"),
        ([(0, "    State:    SD0 Sanitize Idle\n", "")], (0, "", ""), "does not report"),
    ],
)
def test_a_sanitize_that_fails_or_cannot_be_confirmed_is_an_error(statuses, start, words):
    runner = _runner(fixture_text("hdparm", CAPTURE), statuses, start)
    plan = firmware.plan(SATA, runner)
    with pytest.raises(EraseFailed, match=words) as exc:
        firmware.execute(plan, runner, sleep=lambda s: None)
    assert exc.value.results  # every command that ran, for the record


def test_missing_hdparm_is_refused():
    with pytest.raises(Refused, match="hdparm is not installed"):
        firmware.plan(SATA, ReplayRunner())


def test_nvme_sanitize_overwrite_where_crypto_and_block_erase_are_missing():
    data = json.loads(fixture_text("nvme", "ipa-wdc-pc-sn730-crypto.json"))
    data["sanicap"] = 4  # the real controller, with only the overwrite bit left
    runner = ReplayRunner(
        answers={("nvme", "id-ctrl", "/dev/nvme0n1", "-o", "json"): (0, json.dumps(data), "")}
    )
    plan = firmware.plan({"name": "nvme0n1", "protocol": "NVMe"}, runner)
    assert plan.technique == "NVMe Sanitize Overwrite" and plan.nist_level == "Purge"
    assert plan.argv_list == [["nvme", "sanitize", "/dev/nvme0", "--sanact=3"]]
    assert plan.poll_argv == ["nvme", "sanitize-log", "/dev/nvme0", "-o", "json"]
