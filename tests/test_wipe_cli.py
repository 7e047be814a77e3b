"""`refurb wipe list` and `refurb wipe run` through the CLI: safety refusals, confirmation,
dry runs, several disks, signals and a killed process, on real loop devices."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support_wipe import faulty_loop, loop_device, mbr, mounted, random_file

from refurb.exit import ExitStatus
from refurb.wipe.blockio import MiB

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def asset(run_cli, initialized) -> str:
    return run_cli("intake", "new", "--serial", "CLI-1", "--json", expect=0).json["asset_id"]


def events(run_cli, asset: str) -> list[dict]:
    return run_cli("show", asset, "--json", expect=0).json["events"]


def test_help_has_examples(run_cli):
    for args in (["wipe", "--help"], ["wipe", "list", "--help"], ["wipe", "run", "--help"]):
        out = run_cli(*args, expect=0).stdout
        assert "refurb wipe" in out
    assert "Example: refurb wipe run" in " ".join(run_cli("wipe", "run", "--help").stdout.split())


def test_asset_is_required_unless_dry_run(run_cli, initialized):
    result = run_cli("wipe", "run", "/dev/null", "--yes")
    assert result.exit_code == ExitStatus.USAGE
    assert "--asset" in result.stderr


@pytest.mark.root
def test_list_shows_loop_devices_and_why_the_system_disk_may_not_be_erased(tmp_path, run_cli):
    image = random_file(tmp_path / "listed.img", 8 * MiB)
    with loop_device(image) as dev:
        out = run_cli("wipe", "list", "--json", expect=0).json
        table = run_cli("wipe", "list", expect=0).stdout
    disks = {d["path"]: d for d in out["disks"]}
    loop = disks[dev]
    assert loop["erasable"] is True and loop["blockers"] == []
    assert loop["backing_file"] == str(image)
    assert loop["size_bytes"] == 8 * MiB
    assert loop["hidden_area"]["finding"] == "not_applicable"  # a loop device has no HPA/DCO
    assert dev in table and "HPA/DCO" in table
    root_dev = os.stat("/").st_dev
    system = [
        d for d in out["disks"] if d["maj_min"] == f"{os.major(root_dev)}:{os.minor(root_dev)}"
    ]
    if system:  # the root file system sits directly on a disk lsblk lists
        assert system[0]["erasable"] is False
        assert "system" in [b["code"] for b in system[0]["blockers"]]
    assert any(not d["erasable"] for d in out["disks"])


@pytest.mark.root
def test_a_mounted_loop_device_is_refused_and_left_alone(tmp_path, run_cli, asset):
    image = random_file(tmp_path / "fs.img", 16 * MiB)
    with loop_device(image) as dev, mounted(dev, tmp_path / "mnt") as where:
        (where / "donor-photo.jpg").write_bytes(b"precious")
        os.sync()  # nothing left for ext4 itself to write while we compare
        before = image.read_bytes()
        result = run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--method", "zero")
        assert result.exit_code == ExitStatus.ERROR, result
        assert "may not be erased" in result.stderr
        assert "mounted" in result.stderr and str(where) in result.stderr
        assert image.read_bytes() == before
        assert (where / "donor-photo.jpg").read_bytes() == b"precious"
    assert [e["kind"] for e in events(run_cli, asset)] == ["intake"]


@pytest.mark.root
def test_a_partition_is_refused_naming_its_disk(tmp_path, run_cli, asset):
    image = mbr(tmp_path / "parted.img", 16 * MiB, [(0x83, 2048, 8192)])
    with loop_device(image, partscan=True) as dev:
        part = dev + "p1"
        deadline = time.monotonic() + 5
        while not os.path.exists(part) and time.monotonic() < deadline:
            time.sleep(0.05)
        result = run_cli("wipe", "run", part, "--asset", asset, "--yes")
    assert result.exit_code == ExitStatus.ERROR, result
    assert f"is a partition of {dev}" in result.stderr
    assert f"use {dev}" in result.stderr


@pytest.mark.root
def test_a_read_only_disk_is_refused(tmp_path, run_cli, asset):
    image = random_file(tmp_path / "ro.img", 8 * MiB)
    before = image.read_bytes()
    with loop_device(image, read_only=True) as dev:
        result = run_cli("wipe", "run", dev, "--asset", asset, "--yes")
    assert result.exit_code == ExitStatus.ERROR, result
    assert "read-only" in result.stderr
    assert image.read_bytes() == before


def test_not_a_block_device_is_refused(tmp_path, run_cli, asset):
    plain = tmp_path / "disk.img"
    plain.write_bytes(b"x" * 4096)
    result = run_cli("wipe", "run", str(plain), "--asset", asset, "--yes")
    assert result.exit_code == ExitStatus.ERROR
    assert "is not a block device (it is a regular file)" in result.stderr
    assert "losetup" in result.stderr
    result = run_cli("wipe", "run", str(tmp_path), "--asset", asset, "--yes")
    assert "it is a directory" in result.stderr
    result = run_cli("wipe", "run", "/dev/no-such-disk", "--asset", asset, "--yes")
    assert result.exit_code == ExitStatus.ERROR
    assert "no such device" in result.stderr
    assert plain.read_bytes() == b"x" * 4096
    assert [e["kind"] for e in events(run_cli, asset)] == ["intake"]


@pytest.mark.root
def test_an_unknown_asset_stops_before_anything_is_written(tmp_path, run_cli, initialized):
    image = random_file(tmp_path / "d.img", 8 * MiB)
    before = image.read_bytes()
    with loop_device(image) as dev:
        result = run_cli("wipe", "run", dev, "--asset", "RF-00000-00000", "--yes")
    assert result.exit_code == ExitStatus.ERROR
    assert image.read_bytes() == before


@pytest.mark.root
def test_confirmation_needs_the_backing_file_name(tmp_path, run_cli, asset):
    image = random_file(tmp_path / "donated-disk.img", 8 * MiB)
    before = image.read_bytes()
    with loop_device(image) as dev:
        wrong = run_cli("wipe", "run", dev, "--asset", asset, "--method", "zero", input="yes\n")
        assert wrong.exit_code == ExitStatus.ERROR
        assert "not confirmed" in wrong.stderr
        assert "backing file name or the device name" in wrong.stderr
        assert image.read_bytes() == before
        eof = run_cli("wipe", "run", dev, "--asset", asset, "--method", "zero", input="")
        assert eof.exit_code == ExitStatus.ERROR
        assert image.read_bytes() == before
        right = run_cli(
            "wipe", "run", dev, "--asset", asset, "--method", "zero", input="donated-disk.img\n"
        )
        assert right.exit_code == 0, right
    assert image.read_bytes() == bytes(8 * MiB)
    assert [e["kind"] for e in events(run_cli, asset)] == ["intake", "wipe_started", "wipe"]


@pytest.mark.root
def test_dry_run_prints_the_plan_and_changes_nothing(tmp_path, run_cli, asset):
    image = random_file(tmp_path / "d.img", 8 * MiB)
    before = image.read_bytes()
    with loop_device(image) as dev:
        out = run_cli("wipe", "run", dev, "--asset", asset, "--dry-run", "--json", expect=0).json
        text = run_cli("wipe", "run", dev, "--dry-run", "--verify", "sample", expect=0)
    assert out["dry_run"] is True and out["asset_id"] == asset
    (plan,) = out["plans"]
    assert plan["method"] == "prng" and plan["requested_method"] == "auto"
    assert plan["nist_method"] == "Clear"
    assert "no firmware erase" in plan["fallback_reason"]
    assert plan["disk"]["path"] == dev
    assert plan["confirm_with"]["tokens"] == ["d.img", os.path.basename(dev)]
    assert any("read every byte back" in s for s in plan["steps"])
    assert "1% of the disk" in text.stderr and "Dry run" in text.stderr
    assert image.read_bytes() == before
    assert [e["kind"] for e in events(run_cli, asset)] == ["intake"]


@pytest.mark.root
def test_several_disks_in_one_run_and_one_named_twice(tmp_path, run_cli, asset):
    a = random_file(tmp_path / "a.img", 8 * MiB)
    b = random_file(tmp_path / "b.img", 12 * MiB)
    with loop_device(a) as da, loop_device(b) as db:
        twice = run_cli("wipe", "run", da, da, "--asset", asset, "--yes")
        assert twice.exit_code == ExitStatus.ERROR and "named twice" in twice.stderr
        out = run_cli(
            "wipe", "run", da, db, "--asset", asset, "--yes", "--method", "zero", "--json"
        )
        assert out.exit_code == 0, out
    assert [r["status"] for r in out.json["results"]] == ["erased", "erased"]
    assert a.read_bytes() == bytes(8 * MiB) and b.read_bytes() == bytes(12 * MiB)
    kinds = [e["kind"] for e in events(run_cli, asset)]
    assert kinds.count("wipe_started") == 2 and kinds.count("wipe") == 2


def _spawn_wipe(home: Path, dev: str, asset: str) -> subprocess.Popen:
    env = dict(os.environ, REFURB_HOME=str(home), PYTHONPATH=str(REPO), REFURB_ACTOR="tester")
    return subprocess.Popen(
        [sys.executable, "-m", "refurb", "wipe", "run", dev, "--asset", asset, "--yes",
         "--method", "prng"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for_writes(disk, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while disk.written() < 2 * MiB:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the wipe never started writing"
        time.sleep(0.02)


@pytest.mark.root
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_wipe_records_interrupted(tmp_path, run_cli, asset, refurb_home, sig, code):
    with faulty_loop(tmp_path, 32 * MiB, "slow", delay=0.02) as (dev, disk):
        proc = _spawn_wipe(refurb_home, dev, asset)
        _wait_for_writes(disk, proc)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=30)
        assert disk.written() < 32 * MiB
    assert proc.returncode == code, err
    assert "Traceback" not in err
    evs = events(run_cli, asset)
    assert [e["kind"] for e in evs][-2:] == ["wipe_started", "wipe"]
    last = evs[-1]["payload"]
    assert last["status"] == "interrupted"
    assert sig.name in last["record"]["reason"]
    assert 0 < last["record"]["bytes_written"] < 32 * MiB
    shown = run_cli("show", asset, "--json", expect=0).json
    assert shown["device"]["status"] == "quarantine"


@pytest.mark.root
def test_a_killed_wipe_is_recorded_interrupted_by_the_next_run(
    tmp_path, run_cli, asset, refurb_home
):
    spare = random_file(tmp_path / "spare.img", 8 * MiB)
    with faulty_loop(tmp_path / "slow", 32 * MiB, "slow", delay=0.02) as (dev, disk):
        proc = _spawn_wipe(refurb_home, dev, asset)
        _wait_for_writes(disk, proc)
        proc.kill()
        proc.wait(timeout=10)
    evs = events(run_cli, asset)
    assert [e["kind"] for e in evs] == ["intake", "wipe_started"]
    killed_id = evs[-1]["payload"]["wipe_id"]
    with loop_device(spare) as other:
        nxt = run_cli("wipe", "run", other, "--asset", asset, "--yes", "--method", "zero")
    assert nxt.exit_code == 0, nxt
    assert "cut off" in nxt.stderr
    evs = events(run_cli, asset)
    closing = [e for e in evs if e["kind"] == "wipe" and e["payload"]["wipe_id"] == killed_id]
    assert len(closing) == 1
    assert closing[0]["payload"]["status"] == "interrupted"
    assert "gone" in closing[0]["payload"]["record"]["reason"]
    assert closing[0]["payload"]["disk"]["path"] == dev
    # A second run finds nothing left to close.
    with loop_device(spare) as other:
        again = run_cli("wipe", "run", other, "--asset", asset, "--yes", "--method", "zero")
    assert "cut off" not in again.stderr


@pytest.mark.root
def test_a_real_wipe_gives_a_certificate_that_verifies(tmp_path, run_cli, asset):
    image = random_file(tmp_path / "cert.img", 8 * MiB)
    with loop_device(image) as dev:
        run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--method", "prng", expect=0)
    cert = tmp_path / "cert.json"
    run_cli("wipe", "certificate", asset, "--json", str(cert), "--no-pdf", expect=0)
    import json

    data = json.loads(cert.read_text())
    body = data.get("certificate", data)
    (disk,) = body["disks"]
    assert disk["status"] == "erased"
    assert disk["nist_level"] == "Clear" and disk["tool"] == "refurb"
    assert disk["verification"]["passed"] is True and disk["verification"]["fraction"] == 1.0
    assert disk["bytes_written"] == 8 * MiB
    run_cli("wipe", "verify-cert", str(cert), expect=0)


@pytest.mark.root
def test_firmware_method_on_a_loop_device_is_refused_before_anything_starts(
    tmp_path, run_cli, asset
):
    image = random_file(tmp_path / "fw.img", 8 * MiB)
    before = image.read_bytes()
    with loop_device(image) as dev:
        result = run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--method", "firmware")
    assert result.exit_code == ExitStatus.ERROR, result
    assert "has no firmware erase" in result.stderr
    assert "--method prng" in result.stderr
    assert image.read_bytes() == before
    assert [e["kind"] for e in events(run_cli, asset)] == ["intake"]
