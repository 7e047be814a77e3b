"""Acceptance checks of `refurb wipe` as a workshop uses it, each one a defect found by trying
the CLI on real stand-ins (loop devices of awkward sizes and sector sizes, FUSE faults)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support_wipe import faulty_loop, loop_device, random_file

from refurb.exit import ExitStatus
from refurb.wipe.blockio import MiB

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def asset(run_cli, initialized) -> str:
    return run_cli("intake", "new", "--serial", "QA-1", "--json", expect=0).json["asset_id"]


@contextlib.contextmanager
def loop_4k(backing: Path) -> Iterator[str]:
    """A loop device with 4096-byte logical sectors (``losetup -b 4096``), direct I/O."""
    dev = subprocess.run(
        ["losetup", "-f", "--show", "--direct-io=on", "-b", "4096", str(backing)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        yield dev
    finally:
        for _ in range(50):
            if subprocess.run(["losetup", "-d", dev], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)


@pytest.mark.root
@pytest.mark.parametrize("verify", ["full", "sample"])
def test_a_size_that_is_not_whole_sectors_is_erased_up_to_the_last_sector_and_says_so(
    tmp_path, run_cli, asset, verify
):
    # 10 MiB + 512 bytes behind 4096-byte sectors: the kernel reports all 10 MiB + 512, but no
    # read or write can reach the last 512 bytes. Everything else must be erased and verified,
    # and the record must say what was left rather than fail with a bare EINVAL.
    image = random_file(tmp_path / "odd4k.img", 10 * MiB + 512)
    with loop_4k(image) as dev:
        result = run_cli(
            "wipe", "run", dev, "--asset", asset, "--yes", "--method", "zero",
            "--verify", verify, "--json",
        )  # fmt: skip
    assert result.exit_code == 0, result
    item = result.json["results"][0]
    record = item["record"]
    assert item["status"] == "erased_with_exceptions"
    assert "512 bytes" in item["reason"] and "4096-byte sector" in item["reason"]
    assert record["errors"] == []
    assert record["bytes_written"] == 10 * MiB
    assert record["verification"]["result"] == "passed"
    assert record["verification"]["read_errors"] == []
    data = image.read_bytes()
    assert data[: 10 * MiB] == bytes(10 * MiB)


@pytest.mark.root
def test_whole_sectors_of_4096_bytes_are_plainly_erased(tmp_path, run_cli, asset):
    image = random_file(tmp_path / "even4k.img", 12 * MiB + 4096)
    with loop_4k(image) as dev:
        result = run_cli(
            "wipe", "run", dev, "--asset", asset, "--yes", "--method", "prng", "--json",
        )  # fmt: skip
    assert result.exit_code == 0, result
    assert result.json["results"][0]["status"] == "erased"
    assert result.json["results"][0]["record"]["bytes_written"] == 12 * MiB + 4096


def test_run_help_shows_no_markup_tags(run_cli):
    out = run_cli("wipe", "run", "--help", expect=0).stdout
    assert "[bold]" not in out and "[/bold]" not in out
    assert "auto" in out and "firmware" in out


@pytest.mark.root
def test_a_disk_swapped_while_the_operator_confirms_is_not_written(tmp_path, run_cli, asset):
    # The plan and the prompt name one disk; while the operator types its name, it is detached
    # and another one takes the same /dev node (a USB disk unplugged, another plugged in).
    victim = random_file(tmp_path / "victim.img", 8 * MiB)
    bystander = random_file(tmp_path / "bystander.img", 8 * MiB)
    before = bystander.read_bytes()
    swapped = []
    with loop_device(victim) as dev:

        def swap() -> None:
            subprocess.run(["losetup", "-d", dev], check=True)
            again = subprocess.run(
                ["losetup", "--direct-io=on", dev, str(bystander)], capture_output=True
            )
            swapped.append(again.returncode == 0)

        proc = subprocess.Popen(
            [sys.executable, "-m", "refurb", "wipe", "run", dev, "--asset", asset,
             "--method", "zero"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
        )  # fmt: skip
        said = b""
        while b"to erase it" not in said:  # the operator reads the prompt ...
            chunk = proc.stderr.read1(4096)
            assert chunk, said
            said += chunk
        swap()  # ... the disk is swapped ...
        out, err = proc.communicate(b"victim.img\n", timeout=60)  # ... and they confirm.
        err = said.decode() + err.decode()
    if swapped != [True]:
        pytest.skip("another process took the loop device while it was free")
    assert proc.returncode == ExitStatus.ERASE_FAILED, err
    assert "Traceback" not in err
    assert "no longer the disk that was confirmed" in err
    assert "bystander.img" in err
    assert bystander.read_bytes() == before
    kinds = [e["kind"] for e in run_cli("show", asset, "--json", expect=0).json["events"]]
    assert kinds == ["intake", "wipe_started", "wipe"]
    assert run_cli("show", asset, "--json", expect=0).json["device"]["status"] == "quarantine"


def test_a_swapped_real_disk_is_told_apart_by_serial_model_size_or_number():
    from refurb.wipe.discovery import Disk, identity_changes

    planned = Disk(
        name="sdb", path="/dev/sdb", kname="sdb", type="disk", maj_min="8:16",
        size_bytes=500107862016, model="Samsung SSD 860 EVO 500GB", serial="S3Z9NB0K123456A",
        wwn="0x5002538e40a1b2c3",
    )  # fmt: skip
    same = {"serial": "S3Z9NB0K123456A", "model": "Samsung SSD 860 EVO 500GB", "wwn": None}
    assert (
        identity_changes(planned, maj_min="8:16", size=500107862016, node=same, backing_file=None)
        == []
    )
    other = {"serial": "WD-WX41A12B3456", "model": "WDC WD5000LPCX-24C6HT0"}
    changes = identity_changes(
        planned, maj_min="8:16", size=500107862016, node=other, backing_file=None
    )
    assert [c.split()[0] for c in changes] == ["serial", "model"]
    assert identity_changes(planned, maj_min="8:32", size=1000204886016, node=same,
                            backing_file=None)[:2] == [
        "device number 8:16 -> 8:32", "size 500107862016 -> 1000204886016"
    ]  # fmt: skip


def _save_probe(asset: str, *disks: dict) -> None:
    """What `refurb probe --save` records (the disks as refurb.probe builds them)."""
    from refurb.env import Env
    from refurb.store import open_store

    with open_store(Env()) as store:
        store.append(asset, "probe", {"probe": {"disks": list(disks)}})


@pytest.mark.root
def test_the_usb_stick_refurb_booted_from_does_not_spoil_the_certificate(tmp_path, run_cli, asset):
    # The laptop is probed while booted from the workshop's USB stick: the probe sees the
    # stick too. Erasing the laptop's own disk must give an `erased` certificate, as `show` says.
    from refurb.probe import _disk

    image = random_file(tmp_path / "internal.img", 8 * MiB)
    with loop_device(image) as dev:
        name = Path(dev).name
        internal = _disk(name, {"size_bytes": 8 * MiB, "protocol": None}, {})
        stick = _disk(
            "sdb",
            {"size_bytes": 16 * 10**9, "protocol": "USB", "removable": True, "model": "Ultra"},
            {"serial": "4C530001230512116360", "model": "SanDisk Ultra", "usb_bridge": True},
        )
        _save_probe(asset, internal, stick)
        run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--method", "zero", expect=0)
    shown = run_cli("show", asset, "--json", expect=0).json
    assert not any("erasure" in m for m in shown["missing_for_ready"]), shown
    cert = tmp_path / "cert.json"
    out = run_cli("wipe", "certificate", asset, "--json", str(cert), expect=0)
    body = json.loads(cert.read_text())["certificate"]
    assert body["result"] == "erased", out.stdout
    assert [d["name"] for d in body["disks"]] == [name]


@pytest.mark.root
def test_a_bad_sector_leaves_only_itself_unverified(tmp_path, run_cli, asset):
    # A few unreadable sectors inside a 4 MiB block: the rest of that block is still read back
    # and compared, so the record says how much was checked (not "80 %" for one bad sector).
    start, end = 5 * MiB + 512, 5 * MiB + 4096
    with faulty_loop(tmp_path, 16 * MiB, "eio", start=start, end=end) as (dev, _disk):
        result = run_cli(
            "wipe", "run", dev, "--asset", asset, "--yes", "--method", "prng",
            "--verify", "full", "--json",
        )  # fmt: skip
    assert result.exit_code == ExitStatus.ERASE_FAILED, result
    item = result.json["results"][0]
    assert item["status"] == "failed"
    verification = item["record"]["verification"]
    assert [(e["offset"], e["length"]) for e in verification["read_errors"]] == [
        (start, end - start)
    ]
    assert verification["bytes_verified"] == 16 * MiB - (end - start)
    assert verification["mismatches"] == []


def test_nwipe_import_and_key_errors_speak_the_operators_language(tmp_path, run_cli, asset):
    garbage = tmp_path / "photo.jpg"
    garbage.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    fr = run_cli("--lang", "fr", "wipe", "import-nwipe", str(garbage), "--asset", asset)
    assert fr.exit_code == ExitStatus.ERROR
    assert "ce n’est pas un journal nwipe" in fr.stderr
    empty = tmp_path / "empty.log"
    empty.write_text("")
    nl = run_cli("--lang", "nl", "wipe", "import-nwipe", str(empty), "--asset", asset)
    assert "in dit logboek werd geen schijf gewist" in nl.stderr
    assert "nwipe met -l/--logfile schreef" in nl.stderr
    cert = tmp_path / "c.json"
    run_cli("wipe", "certificate", asset, "--json", str(cert), expect=0)
    key = run_cli("--lang", "nl", "wipe", "verify-cert", str(cert), "--key", str(tmp_path / "x"))
    assert key.exit_code != 0
    assert "publieke sleutel" in key.stderr


@pytest.mark.root
def test_a_disk_another_erasure_holds_is_refused_before_anything_is_recorded(
    tmp_path, run_cli, asset
):
    # Two terminals, the same disk: the second run must not record a "failed" erasure (and
    # quarantine the device) while the first one is still writing.
    image = random_file(tmp_path / "busy.img", 8 * MiB)
    before = image.read_bytes()
    with loop_device(image) as dev:
        held = os.open(dev, os.O_RDONLY | os.O_EXCL)  # what the running erasure holds
        try:
            result = run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--method", "zero")
        finally:
            os.close(held)
    assert result.exit_code == ExitStatus.ERROR, result
    assert "in use" in result.stderr
    assert image.read_bytes() == before
    shown = run_cli("show", asset, "--json", expect=0).json
    assert [e["kind"] for e in shown["events"]] == ["intake"]
    assert shown["device"]["status"] != "quarantine"


@pytest.mark.root
def test_a_disk_that_died_before_its_read_back_is_not_said_to_have_failed_verification(
    tmp_path, run_cli, asset
):
    from refurb.certificates import verification_text

    with faulty_loop(tmp_path, 32 * MiB, "die", die_after=8 * MiB) as (dev, _disk):
        run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--method", "zero", expect=3)
    cert = tmp_path / "cert.json"
    run_cli("wipe", "certificate", asset, "--json", str(cert), expect=0)
    (disk,) = json.loads(cert.read_text())["certificate"]["disks"]
    assert disk["status"] == "failed"
    assert disk["verification"]["passed"] is None
    text = verification_text(disk["verification"])
    assert "FAILED" not in text and "not done" in text


@pytest.mark.root
def test_a_read_only_disk_gets_a_hint_about_writing_not_about_being_in_use(
    tmp_path, run_cli, asset
):
    image = random_file(tmp_path / "ro.img", 8 * MiB)
    with loop_device(image, read_only=True) as dev:
        result = run_cli("--lang", "nl", "wipe", "run", dev, "--asset", asset, "--yes")
    assert result.exit_code == ExitStatus.ERROR, result
    assert "schrijfbeveiliging" in result.stderr and "zonder -r" in result.stderr
    assert "in gebruik" not in result.stderr


def test_a_certificate_whose_pdf_cannot_be_written_leaves_no_json(tmp_path, run_cli, asset):
    cert = tmp_path / "cert.json"
    result = run_cli(
        "wipe", "certificate", asset, "--json", str(cert), "--pdf", str(tmp_path / "no" / "c.pdf")
    )  # fmt: skip
    assert result.exit_code == ExitStatus.ERROR, result
    assert "cannot write" in result.stderr
    assert not cert.exists()
    events = run_cli("show", asset, "--json", expect=0).json["events"]
    assert [e["kind"] for e in events] == ["intake"]
    bad_json = run_cli(
        "wipe", "certificate", asset, "--json", str(tmp_path / "no" / "c.json"),
        "--pdf", str(tmp_path / "c.pdf"),
    )  # fmt: skip
    assert bad_json.exit_code == ExitStatus.ERROR, bad_json
    assert not (tmp_path / "c.pdf").exists()
