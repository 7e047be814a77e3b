"""nwipe logs: parsed from real runs of Debian's nwipe, imported as wipe events, garbled refused."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support_certs import FIXTURES, fixture_text

from refurb.certificates import nwipe_records
from refurb.errors import InvalidInput, NotFound
from refurb.parsers import nwipe_log

LOGS = FIXTURES / "nwipe"

# file -> per device: (nwipe status, our status, verification mode, bytes written)
EXPECTED = {
    "zero.log": {"loop0": ("erased", "erased", "full", 2 * 64 * 2**20)},
    "prng.log": {"loop0": ("erased", "erased", "full", 2 * 64 * 2**20)},
    "prng-noblank.log": {"loop0": ("erased", "erased", "full", 64 * 2**20)},
    "two-disks.log": {
        "loop3": ("erased", "erased", "full", 2 * 32 * 2**20),
        "loop4": ("erased", "erased", "full", 2 * 48 * 2**20),
    },
    "readonly.log": {"loop2": ("failed", "failed", "off", 0)},
    "interrupted.log": {"loop1": ("aborted", "interrupted", "off", 0)},
    "killed.log": {"loop0": (None, "interrupted", "off", 0)},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parse_real_logs(name):
    parsed = nwipe_log.parse(fixture_text("nwipe", name))
    assert parsed["version"] == "0.33"
    assert parsed["unrecognized"] == []
    devices = {d["name"]: d for d in parsed["devices"]}
    assert set(devices) == set(EXPECTED[name])
    for dev_name, (raw, _ours, _mode, written) in EXPECTED[name].items():
        dev = devices[dev_name]
        assert dev["status"] == raw
        assert dev["bytes_written"] == written
        assert dev["model"] == "Loopback device" and dev["serial"] is None
        assert dev["bus"] == "VIRT"
    assert parsed["completed"] is (name != "killed.log")
    assert parsed["aborted"] is (name == "interrupted.log")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_records_never_claim_more_than_the_log(name):
    payloads = {p["disk"]["name"]: p for p in nwipe_records(LOGS / name, actor="ann")}
    assert set(payloads) == set(EXPECTED[name])
    for dev_name, (_raw, ours, mode, written) in EXPECTED[name].items():
        payload = payloads[dev_name]
        record = payload["record"]
        assert payload["status"] == ours == record["result"]
        assert record["verification"]["mode"] == mode
        assert record["bytes_written"] == written
        assert record["nist_level"] == "Clear"
        assert record["tool"] == {"name": "nwipe", "version": "0.33"}
        assert record["who"] == "ann"
        assert record["source"]["file"] == name and len(record["source"]["sha256"]) == 64
        assert record["media"]["size_bytes"] == payload["disk"]["size_bytes"] > 0
        if ours == "erased":
            assert record["verification"]["passed"] is True and not record["exceptions"]
        else:
            assert record["exceptions"]
    # the same log gives the same wipe ids (so a second import is recognised)
    again = nwipe_records(LOGS / name, actor="bob")
    assert [p["wipe_id"] for p in again] == [p["wipe_id"] for p in payloads.values()]


def test_unverified_erase_is_erased_with_exceptions(tmp_path):
    text = fixture_text("nwipe", "zero.log")
    text = text.replace("verify   = 1 (last pass)", "verify   = 0 (off)")
    text = "\n".join(line for line in text.splitlines() if "Verif" not in line) + "\n"
    log = tmp_path / "noverify.log"
    log.write_text(text)
    (payload,) = nwipe_records(log, actor="ann")
    assert payload["status"] == "erased_with_exceptions"
    assert "did not verify" in payload["record"]["exceptions"][0]


@pytest.mark.parametrize(
    ("mangle", "line"),
    [
        (
            lambda t: t.replace("[2026/11/23 13:30:12]  notice: Finished pass", "garbage here", 1),
            26,
        ),
        (lambda t: "PK\x03\x04 not a log\n" + t, 1),
        (lambda t: t[:400] + "\x00\x01\x02" + t[400:], None),
        (lambda t: "hello world\n", 1),
    ],
)
def test_garbled_log_names_file_and_line(tmp_path, mangle, line):
    log = tmp_path / "bad.log"
    log.write_text(mangle(fixture_text("nwipe", "zero.log")))
    with pytest.raises(InvalidInput) as exc:
        nwipe_records(log, actor="ann")
    assert "bad.log" in exc.value.message and "line" in exc.value.message
    if line is not None:
        assert f"line {line}:" in exc.value.message


def test_binary_and_missing_files(tmp_path):
    log = tmp_path / "bin.log"
    log.write_bytes(b"[2026/11/23 13:30:11]  notice: x\n\xff\xfe\x00binary")
    with pytest.raises(InvalidInput, match="line 2"):
        nwipe_records(log, actor="ann")
    with pytest.raises(NotFound):
        nwipe_records(tmp_path / "nope.log", actor="ann")
    empty = tmp_path / "empty.log"
    empty.write_text("")
    with pytest.raises(InvalidInput, match="no device"):
        nwipe_records(empty, actor="ann")


def test_only_one_device_of_a_log():
    (payload,) = nwipe_records(LOGS / "two-disks.log", actor="ann", only=["/dev/loop4"])
    assert payload["disk"]["path"] == "/dev/loop4"
    with pytest.raises(NotFound, match="loop9"):
        nwipe_records(LOGS / "two-disks.log", actor="ann", only=["loop9"])


# -- through the CLI -------------------------------------------------------------------------


def _asset(run_cli) -> str:
    return run_cli("intake", "new", "--serial", "PF0ABC12", "--json", expect=0).json["asset_id"]


def test_cli_import_then_show(run_cli, initialized):
    asset = _asset(run_cli)
    result = run_cli(
        "wipe", "import-nwipe", str(LOGS / "two-disks.log"), "--asset", asset, "--json", expect=0
    )
    imported = result.json["imported"]
    assert [i["status"] for i in imported] == ["erased", "erased"]
    shown = run_cli("show", asset, "--json", expect=0).json
    assert [e["kind"] for e in shown["events"]] == ["intake", "wipe", "wipe"]
    # importing the same log twice is refused, nothing more is recorded
    again = run_cli("wipe", "import-nwipe", str(LOGS / "two-disks.log"), "--asset", asset)
    assert again.exit_code == 1 and "already recorded" in again.stderr
    assert len(run_cli("show", asset, "--json", expect=0).json["events"]) == 3


@pytest.mark.parametrize("name", ["readonly.log", "interrupted.log", "killed.log"])
def test_cli_import_of_a_failed_wipe_exits_3_and_quarantines(run_cli, initialized, name):
    asset = _asset(run_cli)
    result = run_cli("wipe", "import-nwipe", str(LOGS / name), "--asset", asset)
    assert result.exit_code == 3, result
    assert "did not erase" in result.stderr
    assert run_cli("show", asset, "--json", expect=0).json["device"]["status"] == "quarantine"


def test_cli_import_garbled_and_unknown_asset(run_cli, initialized, tmp_path):
    asset = _asset(run_cli)
    bad = tmp_path / "notes.txt"
    bad.write_text("shopping list\nmilk\n")
    result = run_cli("wipe", "import-nwipe", str(bad), "--asset", asset)
    assert result.exit_code == 1 and "notes.txt, line 1" in result.stderr
    result = run_cli("wipe", "import-nwipe", str(LOGS / "zero.log"), "--asset", "RF-00000-00000")
    assert result.exit_code == 1


# -- a real nwipe run (root: loop devices) ---------------------------------------------------


def _loop(path: Path) -> str:
    out = subprocess.run(
        ["losetup", "--find", "--show", str(path)], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


@pytest.mark.root
@pytest.mark.parametrize("method", ["zero", "prng"])
def test_real_nwipe_run_is_imported_as_erased(run_cli, initialized, tmp_path, method):
    if shutil.which("nwipe") is None:
        pytest.fail("nwipe is not installed (apt-get install nwipe)")
    image = tmp_path / "disk.img"
    image.write_bytes(os.urandom(8 * 2**20))
    dev = _loop(image)
    log = tmp_path / "nwipe.log"
    try:
        subprocess.run(
            [
                "nwipe",
                "--autonuke",
                "--nogui",
                "--nowait",
                f"--method={method}",
                "--verify=last",
                "-l",
                str(log),
                dev,
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)
    assert image.read_bytes() == bytes(8 * 2**20)  # nwipe really zeroed it (blank pass)
    asset = _asset(run_cli)
    result = run_cli("wipe", "import-nwipe", str(log), "--asset", asset, "--json", expect=0)
    (item,) = result.json["imported"]
    assert item["device"] == dev and item["status"] == "erased"


@pytest.mark.root
def test_real_nwipe_interrupted_is_imported_as_interrupted(run_cli, initialized, tmp_path):
    if shutil.which("nwipe") is None:
        pytest.fail("nwipe is not installed (apt-get install nwipe)")
    image = tmp_path / "disk.img"
    image.write_bytes(os.urandom(256 * 2**20))
    dev = _loop(image)
    log = tmp_path / "nwipe.log"
    try:
        proc = subprocess.Popen(
            [
                "nwipe",
                "--autonuke",
                "--nogui",
                "--nowait",
                "--method=dodshort",
                "--verify=last",
                "-l",
                str(log),
                dev,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "Starting pass" not in (
            log.read_text(errors="replace") if log.exists() else ""
        ):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)
    asset = _asset(run_cli)
    result = run_cli("wipe", "import-nwipe", str(log), "--asset", asset, "--json")
    assert result.exit_code == 3, result
    assert result.json["imported"][0]["status"] == "interrupted"
